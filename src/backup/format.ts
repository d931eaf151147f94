/**
 * What a backup file is, from its first bytes (never from its name alone): the one detection that
 * `backup verify`, `backup list`, `backup restore` and catch-up's backup source share.
 * - read directly: a plain SQL dump or a tar archive, each raw or gzip-compressed;
 * - read through `pg_restore -f -`: pg_dump's custom (`-Fc`, "PGDMP"), directory (`-Fd`, a toc.dat)
 *   and tar (`-Ft`, a tar whose first member is toc.dat) formats — their data lives in the binary
 *   toc/NNNN.dat members, and restore.sql's `COPY … FROM '$$PATH$$/NNNN.dat'` must never be taken
 *   for the dump (its tables would be restored empty);
 * - refused, naming what the file is and the one command that converts it: bzip2, xz, zstd, lz4 and
 *   zip compression (decompressors this tool does not carry).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';

export type PgArchiveForm = 'custom' | 'directory' | 'tar';

export type BackupFormat =
  /** A SQL text dump (mysqldump/mariadb-dump, pg_dump plain, sqlite3 .dump, linotp-backup). */
  | { kind: 'plain'; gzip: boolean }
  /** A tar archive: ours (manifest.json first) or one packed by hand (encKey + linotp_backup_*.sql). */
  | { kind: 'tar'; gzip: boolean }
  /** A pg_dump archive, read as SQL through pg_restore. */
  | { kind: 'pg-archive'; form: PgArchiveForm; gzip: boolean }
  /** A compression or container this tool does not read. */
  | { kind: 'unsupported'; what: string; convert: string };

export const PG_ARCHIVE_NAMES: Record<PgArchiveForm, string> = {
  custom: 'pg_dump custom-format archive (pg_dump -Fc)',
  directory: 'pg_dump directory-format archive (pg_dump -Fd)',
  tar: 'pg_dump tar-format archive (pg_dump -Ft)',
};

interface Compression {
  magic: number[];
  name: string;
  /** The command that writes the content to stdout. */
  decompress: string;
  suffixes: RegExp;
}

const REFUSED: Compression[] = [
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2', decompress: 'bzip2 -dc', suffixes: /\.(bz2|tbz2?)$/i },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz', decompress: 'xz -dc', suffixes: /\.(xz|txz)$/i },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd', decompress: 'zstd -dc', suffixes: /\.(zst|tzst)$/i },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'lz4', decompress: 'lz4 -dc', suffixes: /\.lz4$/i },
];

const startsWith = (b: Buffer, magic: number[] | string) => {
  const m = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic);
  return b.length >= m.length && b.subarray(0, m.length).equals(m);
};

/** A tar header block: the ustar magic (POSIX "ustar\0" or GNU "ustar  ") at offset 257. */
const isTarHeader = (b: Buffer) => b.length >= 512 && b.subarray(257, 262).toString('latin1') === 'ustar';
const tarMemberName = (b: Buffer) => {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 || z > 100 ? 100 : z).toString('utf8').replace(/^\.\//, '');
};

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The first bytes of a gzip stream (a truncated stream gives what it has). Only 2 KiB of input are
 * inflated: deflate expands at most ~1032:1, so this stays ~2 MB even for a bomb, and a tar header
 * (512 bytes) needs about as many compressed bytes at worst.
 */
function gunzipHead(raw: Buffer): Buffer {
  try {
    return gunzipSync(raw.subarray(0, 2048), { finishFlush: 2 /* Z_SYNC_FLUSH: no error at the cut */ }).subarray(0, 4096);
  } catch {
    return Buffer.alloc(0); // damaged: reported when the file is read
  }
}

/** What `path` is (a file, or a pg_dump -Fd directory). Throws only when it cannot be read at all. */
export function detectFormat(path: string): BackupFormat {
  const st = statSync(path);
  if (st.isDirectory()) {
    if (existsSync(join(path, 'toc.dat'))) return { kind: 'pg-archive', form: 'directory', gzip: false };
    throw new InputError(`${path} is a directory, not a backup`, 'give the backup file (backup list shows the backups in a directory)');
  }
  if (!st.isFile()) throw new InputError(`${path} is not a file`);
  const raw = readHead(path, 4096);
  const gzip = startsWith(raw, [0x1f, 0x8b]);
  const head = gzip ? gunzipHead(raw) : raw;
  const refused = REFUSED.find((c) => startsWith(raw, c.magic));
  if (refused) return unsupported(path, refused);
  if (startsWith(raw, 'PK\x03\x04')) {
    return { kind: 'unsupported', what: 'a zip archive', convert: `unzip ${shellQuote(path)}, then give the dump (or the tar.gz) it holds` };
  }
  if (startsWith(head, 'PGDMP')) return { kind: 'pg-archive', form: 'custom', gzip };
  if (isTarHeader(head)) {
    return tarMemberName(head) === 'toc.dat' ? { kind: 'pg-archive', form: 'tar', gzip } : { kind: 'tar', gzip };
  }
  return { kind: 'plain', gzip };
}

function unsupported(path: string, c: Compression): BackupFormat {
  const name = basename(path);
  const isTarName = /\.(tar\.[a-z0-9]+|tbz2?|txz|tzst)$/i.test(name);
  const stem = name.replace(c.suffixes, '').replace(/\.tar$/i, '');
  const dir = path.slice(0, path.length - name.length);
  if (isTarName) {
    const out = `${dir}${stem}.tar.gz`;
    return { kind: 'unsupported', what: `a ${c.name}-compressed tar archive`, convert: `${c.decompress} ${shellQuote(path)} | gzip -c > ${shellQuote(out)}, then give ${out}` };
  }
  const out = `${dir}${stem === name ? `${name}.out` : stem}`;
  return { kind: 'unsupported', what: `a ${c.name}-compressed file`, convert: `${c.decompress} ${shellQuote(path)} > ${shellQuote(out)}, then give ${out}` };
}

/** The refusal of a format this tool does not read: what the file is, and the command that converts it. */
export function unsupportedError(path: string, f: Extract<BackupFormat, { kind: 'unsupported' }>): InputError {
  return new InputError(`${path} is ${f.what}, which linotp-migrate does not read`, `convert it: ${f.convert}`);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
