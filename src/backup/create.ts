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
import type { Db, SqlValue } from '../db/types.js';
import { InputError } from '../errors.js';
import { findTable, LINOTP_2_12, LINOTP_3_4, primaryKeyColumns } from '../schema/tables.js';
import { readStoredVersion } from '../schema/version.js';
import { tableDdl } from './ddl-source.js';
import { encryptKeyBytes } from './gpg.js';
import { FORMAT, KEY_MEMBER, MANIFEST_NAME, toolVersion, type Manifest, type TableManifest } from './manifest.js';
import { copyField, mysqlLiteral, RowHasher, sqliteLiteral } from './sqltext.js';
import { writeTarGz } from './tarball.js';

export interface CreateOptions {
  outDir: string;
  /** The key to include (encrypted with `passphrase`); null = --no-enc-key. */
  encKey: EncKey | null;
  passphrase?: string;
  skipAudit?: boolean;
  now?: Date;
  onTable?: (table: string, totalRows: number) => void;
  onRows?: (table: string, rows: number) => void;
}

export interface CreateResult {
  file: string;
  bytes: number;
  manifest: Manifest;
  seconds: number;
}

/** Shadow tables a killed MySQL restore may leave behind are never part of a backup. */
export const SHADOW_RE = /__lm_(new|old)$/;

export function backupStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}

/** Buffered writer with backpressure and a running SHA-256. */
class DumpWriter {
  private buf: string[] = [];
  private size = 0;
  private readonly hash = createHash('sha256');
  bytes = 0;
  private readonly ws;
  constructor(file: string) {
    this.ws = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  }
  async write(s: string): Promise<void> {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf.length) return;
    const data = Buffer.from(this.buf.join(''), 'utf8');
    this.buf = [];
    this.size = 0;
    this.hash.update(data);
    this.bytes += data.length;
    if (!this.ws.write(data)) await once(this.ws, 'drain');
  }
  async close(): Promise<string> {
    await this.flush();
    this.ws.end();
    await once(this.ws, 'finish');
    return this.hash.digest('hex');
  }
}

function orderBy(db: Db, table: string): string {
  const def = findTable(LINOTP_3_4, table) ?? findTable(LINOTP_2_12, table);
  const pk = def ? primaryKeyColumns(def) : [];
  return pk.length ? ` ORDER BY ${pk.map((c) => db.dialect.quoteIdent(c)).join(', ')}` : '';
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
  mkdirSync(opts.outDir, { recursive: true });
  if (opts.encKey && !opts.passphrase) throw new InputError('a passphrase is needed to encrypt the encKey in the backup');
  const work = mkdtempSync(join(opts.outDir, '.linotp-backup-'));
  try {
    const stamp = backupStamp(now);
    const dumpName = `linotp_backup_${stamp}.sql`;
    const dumpPath = join(work, dumpName);
    const serverVersion = await db.serverVersion();
    const out = new DumpWriter(dumpPath);
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
    await writeTarGz(
      tmpArchive,
      [
        { name: MANIFEST_NAME, data: manifestData, size: manifestData.length },
        { name: dumpName, file: dumpPath, size: out.bytes },
        ...(keyData ? [{ name: KEY_MEMBER, data: keyData, size: keyData.length }] : []),
      ],
      now,
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
    return { file, bytes: statSync(file).size, manifest, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function dumpTable(tx: Db, table: string, out: DumpWriter, opts: CreateOptions): Promise<{ manifest: TableManifest; foreignKeys: string[] }> {
  const q = (n: string) => tx.dialect.quoteIdent(n);
  const ddl = await tableDdl(tx, table);
  const columns = (await tx.listColumns(table)).map((c) => c.name);
  const total = Number((await tx.query(`SELECT COUNT(*) AS n FROM ${q(table)}`))[0].n);
  opts.onTable?.(table, total);
  await out.write(`\n-- table ${table}\n`);
  for (const s of ddl.drop) await out.write(s + ';\n');
  for (const s of ddl.before) await out.write(s + ';\n');
  const hasher = new RowHasher(tx.engine);
  const colList = columns.map(q).join(', ');
  const select = `SELECT ${colList} FROM ${q(table)}${orderBy(tx, table)}`;
  if (tx.engine === 'postgres') await out.write(`COPY ${q(table)} (${colList}) FROM stdin;\n`);
  const literal = tx.engine === 'mysql' ? mysqlLiteral : sqliteLiteral;
  const insertHead = `INSERT INTO ${q(table)} (${colList}) VALUES `;
  for await (const batch of tx.stream(select, [], { batchSize: 5000 })) {
    const values: SqlValue[][] = batch.map((r) => columns.map((c) => (r[c] === undefined ? null : r[c])));
    for (const v of values) hasher.add(v);
    if (tx.engine === 'postgres') {
      await out.write(values.map((v) => v.map(copyField).join('\t')).join('\n') + '\n');
    } else {
      // Statements of at most ~1000 rows / 1 MB stay far below max_allowed_packet and SQLite limits.
      let stmt: string[] = [];
      let size = 0;
      for (const v of values) {
        const tuple = '(' + v.map(literal).join(',') + ')';
        stmt.push(tuple);
        size += tuple.length;
        if (size > 1 << 20) {
          await out.write(insertHead + stmt.join(',') + ';\n');
          stmt = [];
          size = 0;
        }
      }
      if (stmt.length) await out.write(insertHead + stmt.join(',') + ';\n');
    }
    opts.onRows?.(table, values.length);
  }
  if (tx.engine === 'postgres') await out.write('\\.\n');
  for (const s of ddl.after) await out.write(s + ';\n');
  return { manifest: { name: table, rows: hasher.rows, sha256: hasher.digest() }, foreignKeys: ddl.foreignKeys };
}

