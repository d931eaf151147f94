/**
 * Options shared by many commands: where the LinOTP installation is. Resolution order is
 * documented in docs/settings.md and implemented in src/settings/resolve.ts.
 */
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
