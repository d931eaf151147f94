/** `linotp-migrate rehearse`: flags → src/rehearse (the whole upgrade on a scratch target) → reports. */
import path from 'node:path';
import { ChecksFailedError, MigrateError, UsageError } from '../errors.js';
import { readSecret } from './prompt.js';
import type { CommandSpec } from './spec.js';

export const commands: CommandSpec[] = [
  {
    path: ['rehearse'],
    summary: 'Rehearse the whole LinOTP 2 → 3 upgrade on a scratch database, with JSON, Markdown and JUnit reports',
    description:
      'Runs the upgrade end to end on a scratch target: by default a SQLite database in a temporary directory (no server needed); ' +
      '--target-db for a MariaDB/MySQL or PostgreSQL rehearsal (a non-empty target is refused unless --yes).\n\n' +
      'Steps: config convert (with --ini, plan only) → backup verify → backup restore with the key → init database → ' +
      'admin fix-db-encoding → audit to-utc (with --audit-timezone) → create/reset the admin (with --admin) → verify → api-check (with --access-log). ' +
      'Every step is timed; the first failing step stops the run and says what to fix. The target is removed afterwards ' +
      'unless --keep (in a --target-db database only the tables the rehearsal created are dropped).\n\n' +
      'Checks: the backup reads completely and the encKey opens and decrypts it; every row restored; rows per table preserved ' +
      '(minus what the upgrade deletes by design, e.g. open challenges); the encKey decrypts every seed, PIN and encrypted value; ' +
      'no mojibake left; model version current; admin resolver and realm present; an admin able to log in (hash set and verified); ' +
      'the converted config has no needs-attention items (warnings otherwise); api-check findings (warnings, or failures with --fail-on).\n\n' +
      'With --report-dir: report.json (schema in docs/report-schema.md), report.md (summary with the exact production commands) ' +
      'and junit.xml (one testcase per check). Exit 0 when every check passes (warnings allowed), 3 when a check fails ' +
      '(including a wrong passphrase or encKey), 1 on an operational error (e.g. an unreachable database).',
    options: [
      { flags: '--backup <file>', description: 'the LinOTP 2 backup: linotp-backup output (linotp_backup_*.sql with encKey_*.gpg, loose or in a tar.gz), a backup create archive, or a mysqldump/pg_dump' },
      { flags: '--ini <file>', description: 'the LinOTP 2 linotp.ini: rehearse config convert on it' },
      { flags: '--enc-key <file>', description: "the LinOTP 2 installation's encKey (default: the one in the backup, opened with the passphrase)" },
      { flags: '--passphrase-file <file>', description: "file whose first line is the passphrase of the backup's encKey_*.gpg", env: 'LINOTP_MIGRATE_PASSPHRASE' },
      { flags: '--target-db <uri>', description: 'rehearse into this database (SQLAlchemy URL) instead of a temporary SQLite file; refused when not empty unless --yes' },
      { flags: '--admin <name>', description: 'create (or reset) this local admin and check that it can log in' },
      { flags: '--admin-password-file <file>', description: "file whose first line is the admin's password", env: 'LINOTP_MIGRATE_ADMIN_PASSWORD' },
      { flags: '--access-log <file...>', description: 'access log(s) of the LinOTP 2 server for api-check (plain or .gz)' },
      { flags: '--fail-on <verdict>', description: 'make api-check findings failing checks: rejected, or deprecated (= rejected or deprecated); default: warnings', choices: ['rejected', 'deprecated'] },
      { flags: '--audit-timezone <zone>', description: 'rehearse audit to-utc: the IANA zone LinOTP 2 wrote audit times in, e.g. Europe/Berlin' },
      { flags: '--truncate-audit', description: 'rehearse init database --truncate-audit (the audit rows are deleted by design)' },
      { flags: '--etc <dir>', description: "the old server's /etc (or a copy): rehearse host migrate from DIR/linotp2 and DIR/apache2 into the scratch directory" },
      { flags: '--report-dir <dir>', description: 'write report.json, report.md and junit.xml into this directory' },
      { flags: '--keep', description: 'keep the scratch target (its path or URL is printed)' },
    ],
    examples: [
      'linotp-migrate rehearse --backup linotp2.backup.tar.gz --passphrase-file pass.txt --ini /etc/linotp2/linotp.ini --report-dir out/',
      'linotp-migrate rehearse --backup linotp_backup_2212061351.sql --enc-key /etc/linotp2/encKey --target-db postgresql://linotp@db/rehearsal --admin admin --admin-password-file pw.txt --access-log /var/log/apache2/access.log --json',
    ],
    async run(ctx, _args, opts) {
      if (!opts.backup) throw new UsageError('rehearse needs --backup', 'give the LinOTP 2 backup, e.g. --backup linotp_backup_2212061351.sql (with encKey_2212061351.gpg next to it)');
      if (opts.adminPasswordFile && !opts.admin) throw new UsageError('--admin-password-file needs --admin', 'name the admin to create, e.g. --admin admin');
      const abs = (p: string | undefined) => (p ? path.resolve(ctx.cwd, p) : undefined);
      let passphrase: string | undefined;
      if (!opts.encKey && (opts.passphraseFile || ctx.env.LINOTP_MIGRATE_PASSPHRASE)) {
        passphrase = await readSecret(ctx, { what: 'backup passphrase', file: abs(opts.passphraseFile), envVar: 'LINOTP_MIGRATE_PASSPHRASE', fileOption: '--passphrase-file' });
      } else if (opts.passphraseFile) {
        // With --enc-key the passphrase is only used to compare the key with the one in the backup.
        passphrase = await readSecret(ctx, { what: 'backup passphrase', file: abs(opts.passphraseFile) });
      }
      let admin: { name: string; password: string } | undefined;
      if (opts.admin) {
        const password = await readSecret(ctx, { what: `password for admin ${opts.admin}`, file: abs(opts.adminPasswordFile), envVar: 'LINOTP_MIGRATE_ADMIN_PASSWORD', fileOption: '--admin-password-file' });
        admin = { name: String(opts.admin), password };
      }
      const { runRehearsal } = await import('../rehearse/index.js');
      const { renderText, stepLine } = await import('../reports/text.js');
      const live = Boolean(ctx.out.stderr.isTTY) && !ctx.out.json && !ctx.out.quiet;
      if (live) ctx.out.info(`rehearsing the upgrade of ${opts.backup}${opts.targetDb ? '' : ' in a scratch SQLite database'}:`);
      const report = await runRehearsal(
        {
          backup: opts.backup,
          ini: opts.ini,
          encKeyPath: opts.encKey,
          passphrase,
          passphraseFile: opts.passphraseFile,
          targetDb: opts.targetDb,
          yes: ctx.global.yes,
          admin,
          accessLogs: opts.accessLog,
          keep: Boolean(opts.keep),
          apiFailOn: opts.failOn,
          truncateAudit: Boolean(opts.truncateAudit),
          auditTimezone: opts.auditTimezone,
          etc: opts.etc,
          cwd: ctx.cwd,
        },
        {
          onStepStart: (_id, title) => ctx.out.debug(`${title} …`),
          // Step lines as they finish, for people watching a terminal; the result repeats them.
          onStep: (s) => (live ? ctx.out.info(stepLine(s, ctx.out.c)) : undefined),
        },
      );
      let files: string[] = [];
      if (opts.reportDir) {
        const { writeReports } = await import('../reports/write.js');
        files = writeReports(path.resolve(ctx.cwd, opts.reportDir), report);
      }
      ctx.out.result(report, (r, c) => renderText(r, c, files, live));
      if (report.outcome === 'failed') {
        const first = report.checks.find((x) => x.status === 'fail');
        throw new ChecksFailedError(`rehearsal failed: ${report.counts.fail} check(s) failed${first ? ` (first: ${first.title}: ${first.summary})` : ''}`, first?.hint ?? 'see the report; fix the cause and rehearse again');
      }
      if (report.outcome === 'error') {
        const step = report.steps.find((x) => x.status === 'failed');
        throw new MigrateError(`rehearsal stopped at "${step?.title}": ${step?.error?.message ?? 'error'}`, { hint: step?.error?.hint });
      }
    },
  },
];
