/**
 * Options shared by many commands: where the LinOTP installation is. Resolution order is
 * documented in docs/settings.md and implemented in src/settings/resolve.ts.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { OptionSpec } from './spec.js';

export const installationOptions: OptionSpec[] = [
  {
    flags: '--database-uri <uri>',
    description: 'database to work on (SQLAlchemy URL); beats LINOTP_DATABASE_URI, LinOTP 3 cfg files and --ini',
    env: 'LINOTP_DATABASE_URI',
  },
  {
    flags: '--ini <file>',
    description: 'LinOTP 2 linotp.ini: its sqlalchemy.url and linotpSecretFile are used when nothing else names them',
  },
  {
    flags: '--enc-key <file>',
    description: 'encKey file (96 bytes, or the 192-hex text or `linotp init enc-key --dump` form); beats LINOTP_SECRET_FILE, SECRET_FILE and the ini',
    env: 'LINOTP_SECRET_FILE',
  },
];

export const planOptions: OptionSpec[] = [
  { flags: '--dry-run', description: 'show what would be done and change nothing (same as --plan)' },
  { flags: '--plan', description: 'show what would be done and change nothing' },
];

/** Owner of written key and cfg files; defaults in src/files/linotp-file.ts (docs/files.md). */
export const ownerOption: OptionSpec = {
  flags: '--owner <user[:group]>',
  description: 'owner and group of the written key file (default: those of the key it replaces, else linotp:linotp when that user exists, else you, with a warning)',
};

/**
 * A directory option checked before anything runs: a path that is a file (or lies below one) is
 * a usage error naming it, not a raw ENOTDIR/EEXIST later. `mayBeMissing`: it is created later.
 */
export function checkDirectoryOption(dir: string, option: string, mayBeMissing: boolean): void {
  let p = dir;
  for (;;) {
    let st: import('node:fs').Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES') throw new UsageError(`${option} ${dir}: no permission to look into ${path.dirname(p)}`, 'run as a user who may read that directory, or give another one');
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${option} ${dir}: ${p} is a file, not a directory`, `give a directory to ${option}`);
      if (p !== dir && !mayBeMissing) throw new UsageError(`${option} ${dir} does not exist`, 'check the path');
      return;
    }
    if (!mayBeMissing && p === dir) throw new UsageError(`${option} ${dir} does not exist`, 'check the path');
    const parent = path.dirname(p);
    if (parent === p) return;
    p = parent;
  }
}
