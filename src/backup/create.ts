/**
 * `backup create`: one consistent snapshot of the database, dumped as SQL in the source engine's own
 * dialect (replayable with mariadb/mysql, psql or sqlite3), packed as
 * `linotp_backup_<YYMMDDHHMM>.tar.gz` = manifest.json, the dump, encKey.gpg.
 * Rows are streamed table by table, so memory stays bounded whatever the table sizes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { EncKey } from '../crypto/enckey.js';
import { describeDbUrl } from '../db/url.js';
import type { Db } from '../db/types.js';
import { InputError } from '../errors.js';
import { findTable, LINOTP_2_12, LINOTP_3_4, primaryKeyColumns } from '../schema/tables.js';
import { readStoredVersion } from '../schema/version.js';
import { tableDdl } from './ddl-source.js';
import { encryptKeyBytes } from './gpg.js';
import { FORMAT, KEY_MEMBER, MANIFEST_NAME, toolVersion, type Manifest, type TableManifest } from './manifest.js';
import { checkKeySamples, keyMismatchWarning, refuseWrongKey, sampleDatabase, type KeyCheck } from './key-check.js';
import { RowTextHasher } from './sqltext.js';
import { GzipMemberWriter, writeTarGzAround } from './tarball.js';

export interface CreateOptions {
  outDir: string;
  /** The key to include (encrypted with `passphrase`); null = --no-enc-key. */
  encKey: EncKey | null;
  passphrase?: string;
  /** Go on when the key decrypts none of the database's sampled values (--allow-key-mismatch). */
  allowKeyMismatch?: boolean;
  skipAudit?: boolean;
  /** gzip level of the archive, 0 (stored) to 9; default 1, the fastest compression. */
  compressLevel?: number;
  now?: Date;
  /** Called before each table with its row count (counted only when this is given: a full count of a large audit table takes a while). */
  onTable?: (table: string, totalRows: number) => void;
  onRows?: (table: string, rows: number) => void;
}

export interface CreateResult {
  file: string;
  bytes: number;
  manifest: Manifest;
  seconds: number;
  /** How the included key fits the database (src/backup/key-check.ts); null without a key. */
  keyCheck: KeyCheck | null;
  /** Set when only some sampled values decrypt, or none with allowKeyMismatch. */
  keyWarning?: string;
}

/** Shadow tables a killed MySQL restore may leave behind are never part of a backup. */
export const SHADOW_RE = /__lm_(new|old)$/;

export function backupStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}

/**
 * The dump member: hashed (SHA-256 of the member) and gzip-compressed as it is written, so the
 * uncompressed dump never touches the disk and compression runs beside the dumping. The member
 * writer copies what it is given: a written buffer may be reused at once.
 */
class DumpWriter {
  private readonly hash = createHash('sha256');
  readonly member: GzipMemberWriter;
  constructor(file: string, level: number) {
    this.member = new GzipMemberWriter(file, level);
  }
  get bytes(): number {
    return this.member.bytes;
  }
  async write(s: string | Buffer): Promise<void> {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.hash.update(b);
    await this.member.write(b);
  }
  async close(): Promise<string> {
    await this.member.finish();
    return this.hash.digest('hex');
  }
}

/** Primary-key order: two backups of the same rows are byte-identical. */
function orderBy(table: string): string[] {
  const def = findTable(LINOTP_3_4, table) ?? findTable(LINOTP_2_12, table);
  return def ? primaryKeyColumns(def) : [];
}

function header(db: Db, version: string, when: Date): string[] {
  const head = `-- linotp-migrate ${toolVersion()} backup of ${describeDbUrl(db.url)} (${db.engine} ${version}) at ${when.toISOString()}`;
  if (db.engine === 'mysql') {
    return [head, '/*!40101 SET NAMES utf8mb4 */;', "/*!40103 SET TIME_ZONE='+00:00' */;", '/*!40014 SET FOREIGN_KEY_CHECKS=0 */;', "/*!40101 SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;", ''];
  }
  if (db.engine === 'postgres') {
    return [head, "SET client_encoding = 'UTF8';", 'SET standard_conforming_strings = on;', ''];
  }
  return [head, 'PRAGMA foreign_keys=OFF;', 'BEGIN TRANSACTION;', ''];
}

export async function createBackup(db: Db, opts: CreateOptions): Promise<CreateResult> {
  const started = Date.now();
  const now = opts.now ?? new Date();
  if (existsSync(opts.outDir) && !statSync(opts.outDir).isDirectory()) throw new InputError(`${opts.outDir} is a file, not a directory; nothing was written`, 'give the directory the archive is to be written into');
  if (opts.encKey && !opts.passphrase) throw new InputError('a passphrase is needed to encrypt the encKey in the backup');
  // A backup whose key opens none of its values cannot be restored to a working server: found now,
  // not at the restore (issue 21 item 4). Checked before anything is written.
  let keyCheck: KeyCheck | null = null;
  let keyWarning: string | undefined;
  if (opts.encKey) {
    keyCheck = checkKeySamples(opts.encKey, await sampleDatabase(db));
    const what = `${opts.encKey.source} (sha256 ${opts.encKey.fingerprint().slice(0, 16)}…)`;
    refuseWrongKey(keyCheck, what, Boolean(opts.allowKeyMismatch));
    keyWarning = keyMismatchWarning(keyCheck, what) ?? (keyCheck.checked > 0 && keyCheck.decrypted === 0 ? `wrong encKey: ${what} decrypts none of the ${keyCheck.checked} sampled encrypted values (--allow-key-mismatch)` : undefined);
  }
  mkdirSync(opts.outDir, { recursive: true });
  const work = mkdtempSync(join(opts.outDir, '.linotp-backup-'));
  try {
    const stamp = backupStamp(now);
    const dumpName = `linotp_backup_${stamp}.sql`;
    const serverVersion = await db.serverVersion();
    const level = opts.compressLevel ?? 1;
    const out = new DumpWriter(join(work, 'dump.gz'), level);
    const tables: TableManifest[] = [];
    const skipped: string[] = [];
    let modelVersion: string | null = null;

    await db.transaction(
      async (tx) => {
        let restoreTz: string | undefined;
        if (tx.engine === 'mysql') {
          // TIMESTAMP columns are read (and replayed) in UTC, as mysqldump does: exact across time zones.
          restoreTz = String((await tx.query('SELECT @@SESSION.time_zone AS tz'))[0].tz);
          await tx.execute("SET time_zone = '+00:00'");
        }
        try {
          for (const line of header(tx, serverVersion, now)) await out.write(line + '\n');
          const all = (await tx.listTables()).filter((t) => !SHADOW_RE.test(t));
          const names = all.filter((t) => {
            if (opts.skipAudit && t.toLowerCase() === 'audit') {
              skipped.push(t);
              return false;
            }
            return true;
          });
          modelVersion = (await readStoredVersion(tx)).stored;
          const fks: string[] = [];
          for (const t of names) {
            const m = await dumpTable(tx, t, out, opts);
            tables.push(m.manifest);
            fks.push(...m.foreignKeys);
          }
          for (const fk of fks) await out.write(fk + ';\n');
          if (tx.engine === 'mysql') await out.write('/*!40014 SET FOREIGN_KEY_CHECKS=1 */;\n');
          if (tx.engine === 'sqlite') await out.write('COMMIT;\n');
          await out.write('-- end of linotp-migrate dump\n');
        } finally {
          if (restoreTz !== undefined) await tx.execute('SET time_zone = ?', [restoreTz]);
        }
      },
      { snapshot: true },
    );
    const dumpSha = await out.close();

    let keyEntry: Manifest['encKey'] = null;
    let keyData: Buffer | undefined;
    if (opts.encKey) {
      keyData = await encryptKeyBytes(opts.encKey.exportBytes(), opts.passphrase!);
      keyEntry = { member: KEY_MEMBER, sha256: createHash('sha256').update(keyData).digest('hex'), fingerprint: opts.encKey.fingerprint(), bytes: keyData.length };
    }
    const manifest: Manifest = {
      format: FORMAT,
      formatVersion: 1,
      tool: { name: 'linotp-migrate', version: toolVersion() },
      createdAt: now.toISOString(),
      source: { engine: db.engine, serverVersion, database: describeDbUrl(db.url) },
      modelVersion,
      dump: { member: dumpName, dialect: db.engine, bytes: out.bytes, sha256: dumpSha },
      tables,
      skippedTables: skipped,
      encKey: keyEntry,
    };
    const manifestData = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
    const tmpArchive = join(work, 'archive.tar.gz');
    await writeTarGzAround(
      tmpArchive,
      [{ name: MANIFEST_NAME, data: manifestData, size: manifestData.length }],
      { name: dumpName, writer: out.member },
      keyData ? [{ name: KEY_MEMBER, data: keyData, size: keyData.length }] : [],
      now,
      level,
    );
    // Publish under the LinOTP 2 name without ever replacing an existing file (link fails if it exists).
    let file = '';
    for (let i = 0; ; i++) {
      file = join(opts.outDir, `linotp_backup_${stamp}${i ? `_${i}` : ''}.tar.gz`);
      if (existsSync(file)) continue;
      try {
        linkSync(tmpArchive, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return { file, bytes: statSync(file).size, manifest, seconds: (Date.now() - started) / 1000, keyCheck, ...(keyWarning ? { keyWarning } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const COMMA = Buffer.from(',');
const END = Buffer.from(';\n');
const NL = Buffer.from('\n');
/** Statements of at most ~1 MB stay far below max_allowed_packet and SQLite's limits. */
const STATEMENT_BYTES = 1 << 20;

/**
 * INSERT statements of a batch given as lines (MySQL, src/db/types.ts DumpedRows): the `\n` after
 * each tuple, already hashed, becomes its `,` or the statement's `;` in place, so the rows are
 * written without another copy. Cut where the tuple writer below cuts: the same dump bytes.
 */
async function writeInserts(out: DumpWriter, insertHead: Buffer, lines: { text: Buffer; starts: number[] }): Promise<void> {
  const { text, starts } = lines;
  let from = 0;
  for (let i = 0; i < starts.length; i++) {
    const next = i + 1 < starts.length ? starts[i + 1] : text.length;
    if (next - from > STATEMENT_BYTES || next === text.length) {
      text[next - 1] = 0x3b; // ;
      await out.write(insertHead);
      await out.write(text.subarray(from, next));
      await out.write(NL);
      from = next;
    } else {
      text[next - 1] = 0x2c; // ,
    }
  }
}

async function dumpTable(tx: Db, table: string, out: DumpWriter, opts: CreateOptions): Promise<{ manifest: TableManifest; foreignKeys: string[] }> {
  const q = (n: string) => tx.dialect.quoteIdent(n);
  const ddl = await tableDdl(tx, table);
  const columnInfo = await tx.listColumns(table);
  const columns = columnInfo.map((c) => c.name);
  if (opts.onTable) opts.onTable(table, Number((await tx.query(`SELECT COUNT(*) AS n FROM ${q(table)}`))[0].n));
  await out.write(`\n-- table ${table}\n`);
  for (const s of ddl.drop) await out.write(s + ';\n');
  for (const s of ddl.before) await out.write(s + ';\n');
  const hasher = new RowTextHasher();
  const colList = columns.map(q).join(', ');
  const copy = tx.engine === 'postgres';
  if (copy) await out.write(`COPY ${q(table)} (${colList}) FROM stdin;\n`);
  const insertHead = Buffer.from(`INSERT INTO ${q(table)} (${colList}) VALUES `, 'utf8');
  // PostgreSQL rows in their physical order, as pg_dump writes them (sorting a large audit table
  // costs 60 % more there); InnoDB and SQLite rowid tables read in primary-key order at no cost.
  const order = tx.engine === 'postgres' ? [] : orderBy(table);
  // Each batch is hashed and copied into the compressor's segments before the next is asked for.
  for await (const batch of tx.dumpRows(table, columns, order, { batchSize: 5000, reuseBatches: true, columnInfo })) {
    if (copy) {
      // COPY lines end in \n already: the block is both the dump text and the checksummed text.
      for (const block of batch.chunks) {
        hasher.addLines(block, 0);
        await out.write(block);
      }
      hasher.rows += batch.rows;
    } else if (batch.lines) {
      hasher.addLines(batch.lines.text, batch.rows);
      await writeInserts(out, insertHead, batch.lines);
    } else {
      hasher.addTuples(batch.chunks);
      // Statements of at most ~1 MB stay far below max_allowed_packet and SQLite's limits.
      let parts: Buffer[] = [insertHead];
      let size = 0;
      for (const tuple of batch.chunks) {
        if (size) parts.push(COMMA);
        parts.push(tuple);
        size += tuple.length + 1;
        if (size > STATEMENT_BYTES) {
          parts.push(END);
          await out.write(Buffer.concat(parts));
          parts = [insertHead];
          size = 0;
        }
      }
      if (size) {
        parts.push(END);
        await out.write(Buffer.concat(parts));
      }
    }
    opts.onRows?.(table, batch.rows);
  }
  if (copy) await out.write('\\.\n');
  for (const s of ddl.after) await out.write(s + ';\n');
  return { manifest: { name: table, rows: hasher.rows, sha256: hasher.digest() }, foreignKeys: ddl.foreignKeys };
}
