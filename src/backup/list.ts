/**
 * `backup list`: the backups in a directory — ours (described by their manifest, read without
 * touching the dump), LinOTP 2 `linotp_backup_<YYMMDDHHMM>.sql` (+ encKey_<stamp>.gpg), LinOTP 3
 * `linotp backup create` dumps (`linotp_backup_<YYYY-mm-dd_HH-MM>.sql`) and dbsnapshot `.sqldb`
 * files (listed, but they cannot be restored: see linotp-cli.md §0.3), pg_dump archives of those names,
 * and compressed files this tool does not read (listed as not restorable, with the command that
 * converts them). What a file is comes from src/backup/format.ts, as for verify and restore; only
 * the first member of an archive is read (a manifest is first), never a whole dump.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Engine } from '../db/types.js';
import { InputError } from '../errors.js';
import { MANIFEST_NAME, parseManifest } from './manifest.js';
import { detectFormat, PG_ARCHIVE_NAMES } from './format.js';
import { sniffDialect } from './source.js';
import { readTar } from './tarball.js';

export interface ListedBackup {
  file: string;
  name: string;
  kind: 'linotp-migrate' | 'linotp2' | 'linotp3' | 'dbsnapshot' | 'archive' | 'pg_dump archive' | 'unsupported';
  /** ISO date: from the manifest, else the name's time stamp (local time), else the file time. */
  date: string;
  bytes: number;
  engine: Engine | null;
  modelVersion: string | null;
  rows: Record<string, number> | null;
  encKey: boolean;
  restorable: boolean;
  /** Why it cannot be restored as it is, and how to convert it (set when not restorable). */
  note?: string;
}

// Any suffix: what the file is comes from its bytes (a .tar.bz2 or a pg_dump -Fc under this name is listed too).
const NAME = /^linotp_backup_(\d{10}|\d{4}-\d{2}-\d{2}_\d{2}-\d{2})(?:_\d+)?(?:\.([A-Za-z0-9.]+))?$/;

function stampDate(stamp: string): Date | undefined {
  let m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (m) return new Date(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  m = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})$/.exec(stamp);
  if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

function head(file: string, n = 16384): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

async function firstMember(file: string, gzip: boolean): Promise<{ name: string; data: Buffer } | undefined> {
  for await (const e of readTar(file, gzip)) {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of e.body) {
      parts.push(c);
      size += c.length;
      if (size > 16 << 20) break;
    }
    return { name: e.name, data: Buffer.concat(parts) };
  }
  return undefined;
}

export async function listBackups(dir: string): Promise<ListedBackup[]> {
  if (!existsSync(dir)) throw new InputError(`backup directory ${dir} does not exist`, 'give it with --dir, or set BACKUP_DIR');
  const out: ListedBackup[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = NAME.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    const st = statSync(file);
    if (!st.isFile() && !st.isDirectory()) continue;
    const stamp = m[1];
    const ext = m[2] ?? '';
    const base: ListedBackup = {
      file,
      name,
      kind: 'linotp2',
      date: (stampDate(stamp) ?? st.mtime).toISOString(),
      bytes: st.size,
      engine: null,
      modelVersion: null,
      rows: null,
      encKey: false,
      restorable: true,
    };
    try {
      if (ext === 'sqldb') {
        out.push({ ...base, kind: 'dbsnapshot', restorable: false, note: 'a LinOTP 3 dbsnapshot: restore it with linotp dbsnapshot restore' });
        continue;
      }
      const fmt = detectFormat(file);
      if (fmt.kind === 'unsupported') {
        out.push({ ...base, kind: 'unsupported', restorable: false, note: `${fmt.what}; convert it: ${fmt.convert}` });
      } else if (fmt.kind === 'pg-archive') {
        out.push({ ...base, kind: 'pg_dump archive', engine: 'postgres', note: `${PG_ARCHIVE_NAMES[fmt.form]}, read through pg_restore` });
      } else if (fmt.kind === 'tar') {
        const first = await firstMember(file, fmt.gzip);
        if (first?.name === MANIFEST_NAME) {
          const mf = parseManifest(first.data.toString('utf8'), file);
          out.push({
            ...base,
            kind: 'linotp-migrate',
            date: mf.createdAt,
            engine: mf.source.engine,
            modelVersion: mf.modelVersion,
            rows: Object.fromEntries(mf.tables.map((t) => [t.name, t.rows])),
            encKey: Boolean(mf.encKey),
          });
        } else {
          out.push({ ...base, kind: 'archive' });
        }
      } else {
        // 8 KiB of gzip input: enough text to tell the dialect, at most ~8 MB inflated (deflate's ~1032:1).
        const bytes = fmt.gzip ? gunzipSync(head(file, 8192), { finishFlush: 2 }) : head(file);
        let engine: Engine | null = null;
        try {
          engine = sniffDialect(bytes.toString('utf8'), file);
        } catch {
          engine = null;
        }
        const linotp2 = /^\d{10}$/.test(stamp);
        out.push({ ...base, kind: linotp2 ? 'linotp2' : 'linotp3', engine, encKey: linotp2 && existsSync(join(dir, `encKey_${stamp}.gpg`)), restorable: engine !== null });
      }
    } catch (e) {
      out.push({ ...base, kind: 'archive', restorable: false, note: e instanceof Error ? e.message : String(e) });
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
