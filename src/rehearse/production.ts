/**
 * The commands for the real upgrade, derived from what was rehearsed: the same inputs, the same
 * steps, against the LinOTP 3 installation's own settings (DATABASE_URI, SECRET_FILE from the
 * LinOTP 3 cfg files that `config convert` writes). Lines starting with `#` are comments.
 */
import { basename } from 'node:path';
import type { RehearseOptions } from './state.js';
import type { RehearsalReport } from './types.js';

/** Quotes a path for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function productionCommands(r: RehearsalReport, o: RehearseOptions): string[] {
  const q = shellQuote;
  const backup = `<the fresh backup, like ${basename(r.input.backup)}>`;
  const pass = o.passphraseFile ? ` --passphrase-file ${q(o.passphraseFile)}` : o.encKeyPath ? '' : ' --passphrase-file <file with the backup passphrase>';
  const key = o.encKeyPath ? ` --enc-key ${q(o.encKeyPath)}` : '';
  const out: string[] = [
    '# 1. LinOTP 2 server: stop the web server (no more writes), then make a fresh backup',
    'systemctl stop apache2',
    'linotp-backup   # writes linotp_backup_<YYMMDDHHMM>.sql and encKey_<YYMMDDHHMM>.gpg',
    '# copy both files (or a tar.gz of them) to the LinOTP 3 server',
    '# 2. LinOTP 3 server: settings',
  ];
  if (r.input.ini) out.push(`linotp-migrate config convert --ini ${q(r.input.ini)} --rebase /etc/linotp2=/etc/linotp --split --out /etc/linotp`);
  else out.push('# (no linotp.ini was rehearsed: write /etc/linotp/linotp.cfg by hand, or use linotp-migrate config convert --ini <linotp.ini>)');
  if (o.etc) {
    out.push(
      `linotp-migrate host inventory --from <copy of the old /etc>/linotp2 --apache <copy of the old /etc>/apache2   # what needs a decision`,
      `linotp-migrate host migrate --from <copy of the old /etc>/linotp2 --apache <copy of the old /etc>/apache2 --to /etc/linotp --plan`,
    );
  }
  out.push(
    '# 3. LinOTP 3 server: data (the database named by DATABASE_URI in the LinOTP 3 settings)',
    `linotp-migrate backup verify --file ${backup}${key}${pass}`,
  );
  if (o.encKeyPath) {
    out.push(`linotp-migrate backup restore --file ${backup}`, `install -m 0400 -o linotp ${q(o.encKeyPath)} /etc/linotp/encKey   # the encKey of the LinOTP 2 installation`);
  } else {
    out.push(`linotp-migrate backup restore --file ${backup}${pass} --install-enc-key`);
  }
  out.push('linotp-migrate init database --plan', 'linotp-migrate init database   # add --provider-files-dir /etc/linotp/providers --ca-out <dir> when the plan names provider certificates or LDAP CAs');
  const repaired = r.details.encoding?.repairedValues ?? 0;
  out.push(
    `linotp-migrate admin fix-db-encoding --dry-run --samples 10${repaired ? `   # the rehearsal repaired ${repaired} value(s)` : ''}`,
    'linotp-migrate admin fix-db-encoding',
  );
  if (o.auditTimezone) out.push(`linotp-migrate audit to-utc --timezone ${q(o.auditTimezone)}   # audit times as LinOTP 3 shows them (UTC)`);
  const admin = r.input.admin ? q(r.input.admin) : '<admin>';
  out.push(`linotp-migrate local-admins add ${admin}`, `linotp-migrate local-admins password ${admin}`, 'linotp-migrate verify');
  if (r.input.accessLogs.length) out.push(`linotp-migrate api-check --access-log ${r.input.accessLogs.map(q).join(' ')} --fail-on rejected   # clients to change before the switch`);
  out.push('# 4. start LinOTP 3 and log in to /manage as the admin', 'systemctl restart apache2');
  return out;
}
