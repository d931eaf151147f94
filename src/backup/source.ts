/**
 * Opens any backup a LinOTP administrator may hold, and reads it (validation pass):
 * - our archives (manifest.json, the dump, encKey.gpg);
 * - a tar.gz as the LinOTP migration guide packs it (encKey + linotp_backup_*.sql), or with encKey_*.gpg;
 * - a loose dump (`linotp_backup_*.sql`, any mysqldump/mariadb-dump or pg_dump plain dump, .gz allowed),
 *   with `encKey_<stamp>.gpg` next to it as LinOTP 2's linotp-backup leaves it.
 * - pg_dump's custom, directory and tar archives, read through pg_restore (src/backup/pgrestore.ts).
 * What a file is comes from its first bytes (src/backup/format.ts); other compressions are refused
 * with the command that converts them.
 * Archive members are read, never extracted; `..`, absolute names and links are refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Engine } from '../db/types.js';
import { InputError } from '../errors.js';
import { detectFormat, PG_ARCHIVE_NAMES, unsupportedError, type BackupFormat } from './format.js';
import { parseManifest, MANIFEST_NAME, type Manifest } from './manifest.js';
import { readPgArchive } from './pgrestore.js';
import { readTar, safeMemberName, type TarEntry } from './tarball.js';

export type BackupKind = 'linotp-migrate' | 'tar' | 'dump' | 'pg_dump archive';

export interface KeySource {
  /** 'gpg': OpenPGP-encrypted (passphrase needed); 'raw': the plain key file. */
  form: 'gpg' | 'raw';
  name: string;
  data: Buffer;
}

export interface BackupSource {
  path: string;
  kind: BackupKind;
  /** What the file is, from its first bytes. */
  format: BackupFormat;
  gzip: boolean;
  manifest?: Manifest;
  /** Name of the dump inside the archive (or the file name). */
  dumpName: string;
  dumpBytes: number;
  dialect: Engine;
  key?: KeySource;
  /** Opens the dump bytes (again) as a stream. */
  openDump(): AsyncIterable<Buffer>;
  /**
   * SHA-256 of the dump as the validation pass read it: by `openBackup` for archives, by
   * `inspectDump` for a loose uncompressed dump (empty until then: one read fewer of a large file).
   */
  dumpSha256: string;
}

/** Where the dump's text is, for messages: the file, or `archive:member`. */
export function dumpWhere(src: BackupSource): string {
  return src.kind === 'dump' || src.kind === 'pg_dump archive' ? src.path : `${src.path}:${src.dumpName}`;
}

/** Guesses the dialect of a plain dump from its first bytes. */
export function sniffDialect(head: string, where: string): Engine {
  if (/PostgreSQL database dump|^\\restrict|COPY\s+\S+.*FROM stdin;|SET standard_conforming_strings/m.test(head)) return 'postgres';
  if (/(MySQL|MariaDB) dump|\/\*!40\d{3}|\/\*M!999999|ENGINE=|`/.test(head)) return 'mysql';
  if (/PRAGMA foreign_keys|BEGIN TRANSACTION;|linotp-migrate .* \(sqlite /.test(head)) return 'sqlite';
  if (/linotp-migrate .* \(postgres /.test(head)) return 'postgres';
  if (/linotp-migrate .* \(mysql /.test(head)) return 'mysql';
  throw new InputError(`${where} does not look like a SQL dump of MySQL/MariaDB, PostgreSQL or SQLite`, 'give a backup made by backup create, linotp-backup, mysqldump/mariadb-dump or pg_dump (plain format)');
}

async function readHead(stream: AsyncIterable<Buffer>, n = 16384): Promise<string> {
  let head = Buffer.alloc(0);
  for await (const c of stream) {
    head = Buffer.concat([head, c]);
    if (head.length >= n) break;
  }
  return head.subarray(0, n).toString('utf8');
}

async function collect(body: AsyncIterable<Buffer>, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > limit) throw new InputError(`${what} is larger than expected (${size} bytes)`, 'this is not a LinOTP backup member');
    parts.push(c);
  }
  return Buffer.concat(parts);
}

const isDumpName = (n: string) => /\.sql$/i.test(n);
const keyForm = (n: string): KeySource['form'] | undefined => (/(^|\/)encKey(_[\w-]+)?\.gpg$/.test(n) ? 'gpg' : /(^|\/)encKey$/.test(n) ? 'raw' : undefined);

async function hashStream(stream: AsyncIterable<Buffer>): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of stream) {
    h.update(c);
    bytes += c.length;
  }
  return { sha: h.digest('hex'), bytes };
}

function checkEntry(path: string, e: TarEntry): void {
  if (!safeMemberName(e.name)) throw new InputError(`${path} contains a member with an unsafe name (${e.name})`, 'backups never contain absolute paths or ".."; this archive was not made by a LinOTP tool');
  if (e.type !== '0' && e.type !== '\0' && e.type !== '5' && e.type !== '7') {
    throw new InputError(`${path} contains a link or special file (${e.name})`, 'backups contain plain files only; this archive was not made by a LinOTP tool');
  }
}

/** A file's bytes (gunzipped when `gzip`), with read and decompression errors as one-line InputErrors. */
async function* readFileStream(path: string, gzip: boolean): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  raw.on('error', (e) => stream.destroy(e));
  try {
    for await (const c of stream as AsyncIterable<Buffer>) yield c;
  } catch (e) {
    throw new InputError(`${path} cannot be read: ${(e as Error).message} (the file is truncated or damaged)`, 'use another copy of the backup');
  } finally {
    raw.destroy();
  }
}

export async function openBackup(path: string): Promise<BackupSource> {
  if (!existsSync(path)) throw new InputError(`backup file ${path} does not exist`, 'check the path (backup list shows the backups in BACKUP_DIR)');
  const format = detectFormat(path);
  if (format.kind === 'unsupported') throw unsupportedError(path, format);
  if (format.kind === 'tar') return openTar(path, format);
  if (format.kind === 'pg-archive') {
    const open = (): AsyncIterable<Buffer> => readPgArchive(path, format.form, format.gzip);
    const { sha, bytes } = await hashStream(open());
    const name = `${basename(path)} (${PG_ARCHIVE_NAMES[format.form]}, read through pg_restore)`;
    return { path, kind: 'pg_dump archive', format, gzip: format.gzip, dumpName: name, dumpBytes: bytes, dialect: 'postgres', openDump: open, dumpSha256: sha };
  }
  // a loose dump
  const gzip = format.gzip;
  const open = (): AsyncIterable<Buffer> => readFileStream(path, gzip);
  const dialect = sniffDialect(await readHead(open()), path);
  // A gzipped dump's size is known only once it is read; a plain one is hashed by inspectDump as it parses it.
  const { sha, bytes } = gzip ? await hashStream(open()) : { sha: '', bytes: statSync(path).size };
  const src: BackupSource = { path, kind: 'dump', format, gzip, dumpName: basename(path), dumpBytes: bytes, dialect, openDump: open, dumpSha256: sha };
  // LinOTP 2 linotp-backup: linotp_backup_<stamp>.sql next to encKey_<stamp>.gpg
  const stamp = /^linotp_backup_(\w+?)\.sql(\.gz)?$/.exec(basename(path))?.[1];
  const dir = dirname(path);
  const candidates = stamp ? [`encKey_${stamp}.gpg`] : [];
  if (!candidates.some((c) => existsSync(join(dir, c)))) {
    // a lone encKey_*.gpg in the same directory is only taken when it is the only one
    const gpgs = readdirSync(dir).filter((f) => /^encKey_\w+\.gpg$/.test(f));
    if (stamp && gpgs.length === 1) candidates.push(gpgs[0]);
  }
  const keyName = candidates.find((c) => existsSync(join(dir, c)));
  if (keyName) {
    const data = await collect(createReadStream(join(dir, keyName)) as AsyncIterable<Buffer>, 1 << 20, keyName);
    src.key = { form: 'gpg', name: join(dir, keyName), data };
  }
  return src;
}

async function openTar(path: string, format: BackupFormat & { kind: 'tar' }): Promise<BackupSource> {
  const gzip = format.gzip;
  let manifest: Manifest | undefined;
  let first = true;
  let dumpName: string | undefined;
  let dumpSha = '';
  let dumpBytes = 0;
  let dialectHead = '';
  let key: KeySource | undefined;
  const others: string[] = [];
  for await (const e of readTar(path, gzip)) {
    checkEntry(path, e);
    const name = e.name.replace(/^\.\//, '');
    if (e.type === '5') continue;
    if (first && name === MANIFEST_NAME) {
      manifest = parseManifest((await collect(e.body, 16 << 20, MANIFEST_NAME)).toString('utf8'), path);
    } else if (isDumpName(name)) {
      if (dumpName) throw new InputError(`${path} contains more than one SQL dump (${dumpName}, ${name})`, 'give the dump file itself');
      dumpName = name;
      const h = createHash('sha256');
      for await (const c of e.body) {
        if (dialectHead.length < 16384) dialectHead += c.subarray(0, 16384).toString('utf8');
        h.update(c);
        dumpBytes += c.length;
      }
      dumpSha = h.digest('hex');
    } else if (keyForm(name)) {
      if (key) throw new InputError(`${path} contains more than one encKey (${key.name}, ${name})`);
      key = { form: keyForm(name)!, name, data: await collect(e.body, 1 << 20, name) };
    } else {
      others.push(name);
    }
    first = false;
  }
  if (!dumpName) throw new InputError(`${path} contains no SQL dump (*.sql)`, `members: ${others.join(', ') || 'none'}`);
  const member = dumpName;
  const dialect = manifest ? manifest.dump.dialect : sniffDialect(dialectHead, `${path}:${member}`);
  if (manifest) {
    if (manifest.dump.member !== member) throw new InputError(`${path}: the manifest names the dump ${manifest.dump.member}, but the archive holds ${member}`, 'the archive is damaged');
    if (manifest.dump.sha256 !== dumpSha || manifest.dump.bytes !== dumpBytes) {
      throw new InputError(`${path}: the dump's checksum does not match the manifest (the archive is damaged or was changed)`, 'use another copy of the backup');
    }
    if (manifest.encKey && !key) throw new InputError(`${path}: the manifest lists ${manifest.encKey.member}, but the archive does not contain it`, 'the archive is damaged');
    if (manifest.encKey && key && createHash('sha256').update(key.data).digest('hex') !== manifest.encKey.sha256) {
      throw new InputError(`${path}: ${key.name} does not match its checksum in the manifest`, 'the archive is damaged');
    }
  }
  const kind: BackupKind = manifest ? 'linotp-migrate' : 'tar';
  return {
    path,
    kind,
    format,
    gzip,
    manifest,
    dumpName: member,
    dumpBytes,
    dialect,
    key,
    dumpSha256: dumpSha,
    openDump: () =>
      (async function* () {
        for await (const e of readTar(path, gzip)) {
          if (e.name.replace(/^\.\//, '') !== member) continue;
          yield* e.body;
          return;
        }
      })(),
  };
}
