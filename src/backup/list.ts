/**
 * `backup list`: the backups in a directory — ours (described by their manifest, read without
 * touching the dump), LinOTP 2 `linotp_backup_<YYMMDDHHMM>.sql` (+ encKey_<stamp>.gpg), LinOTP 3
 * `linotp backup create` dumps (`linotp_backup_<YYYY-mm-dd_HH-MM>.sql`) and dbsnapshot `.sqldb`
 * files (listed, but they cannot be restored: see linotp-cli.md §0.3).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Engine } from '../db/types.js';
import { InputError } from '../errors.js';
import { MANIFEST_NAME, parseManifest } from './manifest.js';
import { sniffDialect } from './source.js';
import { readTar } from './tarball.js';

export interface ListedBackup {
  file: string;
  name: string;
  kind: 'linotp-migrate' | 'linotp2' | 'linotp3' | 'dbsnapshot' | 'archive';
  /** ISO date: from the manifest, else the name's time stamp (local time), else the file time. */
  date: string;
  bytes: number;
  engine: Engine | null;
  modelVersion: string | null;
  rows: Record<string, number> | null;
  encKey: boolean;
  restorable: boolean;
}

const NAME = /^linotp_backup_(\d{10}|\d{4}-\d{2}-\d{2}_\d{2}-\d{2})(?:_\d+)?\.(tar\.gz|tgz|sql|sql\.gz|sqldb)$/;

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

async function firstMember(file: string): Promise<{ name: string; data: Buffer } | undefined> {
  for await (const e of readTar(file, true)) {
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
    if (!st.isFile()) continue;
    const stamp = m[1];
    const ext = m[2];
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
        out.push({ ...base, kind: 'dbsnapshot', restorable: false });
      } else if (ext === 'tar.gz' || ext === 'tgz') {
        const first = await firstMember(file);
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
        const bytes = ext === 'sql.gz' ? gunzipSync(head(file, 1 << 16), { finishFlush: 2 }) : head(file);
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
      out.push({ ...base, kind: 'archive', restorable: false });
      void e;
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
