/** `linotp-migrate verify`: flags → src/verify (read-only checks) → a compact table or --json. */
import type { ChalkInstance } from 'chalk';
import { ChecksFailedError, InputError } from '../errors.js';
import type { CheckStatus, VerifyReport } from '../verify/types.js';
import { installationOptions } from './options.js';
import { renderTable } from './output.js';
import type { CommandSpec } from './spec.js';

const SHOWN_ITEMS = 8;

function mark(status: CheckStatus, c: ChalkInstance): string {
  switch (status) {
    case 'pass':
      return c.green('ok');
    case 'fail':
      return c.red('FAIL');
    case 'warn':
      return c.yellow('warn');
    case 'skip':
      return c.dim('skip');
  }
}

export function renderVerify(r: VerifyReport, c: ChalkInstance): string {
  const lines: string[] = [];
  lines.push(`database  ${r.database.url} (${r.database.engine} ${r.database.server})`);
  lines.push(`encKey    ${r.encKey ? `${r.encKey.source} (sha256 ${r.encKey.fingerprint.slice(0, 16)}…)` : c.dim('none given')}`);
  lines.push(`model     ${r.model.stored ?? '(none)'} — ${r.model.releases}; schema checked against LinOTP ${r.model.schema}`);
  const types = Object.entries(r.tokens.byType)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  lines.push(`tokens    ${r.tokens.total}${types ? ` (${types})` : ''}`);
  if (r.key.checked) lines.push(`padding   ${r.key.paddings.legacy} LinOTP 2 (01 02 00…), ${r.key.paddings.pkcs7} PKCS#7`);
  lines.push('');
  const rows: string[][] = [];
  for (const ch of r.checks) {
    rows.push([mark(ch.status, c), ch.title, ch.summary]);
    const items = ch.items ?? [];
    if (ch.status !== 'pass' && items.length) {
      const more = items.length - SHOWN_ITEMS + (ch.moreItems ?? 0);
      const shown = items.slice(0, SHOWN_ITEMS).join(', ') + (more > 0 ? `, … and ${more} more` : '');
      rows.push(['', '', c.dim(`  ${shown}`)]);
    }
    if (ch.status !== 'pass' && ch.hint) rows.push(['', '', c.dim(`  → ${ch.hint}`)]);
  }
  lines.push(renderTable(['', 'check', 'result'], rows));
  if (r.encoding.samples.length) {
    lines.push('', 'double-encoded examples:');
    for (const s of r.encoding.samples.slice(0, 3)) lines.push(`  ${s.table}.${s.column}: ${JSON.stringify(s.value)} → ${JSON.stringify(s.repaired)}`);
  }
  const failed = r.checks.filter((x) => x.status === 'fail').length;
  lines.push('', failed ? c.red(`${failed} check(s) failed`) : c.green('all checks passed'));
  return lines.join('\n');
}

/** One line naming what failed, for the error that sets exit code 3. */
function failureLine(r: VerifyReport): string {
  if (r.key.verdict === 'wrong-key') return `wrong encKey: none of the ${r.key.checked} encrypted values decrypts with it`;
  const parts = r.checks
    .filter((x) => x.status === 'fail')
    .map((x) => {
      const items = x.items?.length ? `: ${x.items.slice(0, 3).join(', ')}${(x.failed ?? 0) > 3 ? ', …' : ''}` : '';
      return `${x.id}${x.failed ? ` (${x.failed})` : ''}${items}`;
    });
  return `verify found problems: ${parts.join('; ')}`;
}

export const commands: CommandSpec[] = [
  {
    path: ['verify'],
    summary: 'Check that a LinOTP database and an encKey belong together, and what state the database is in',
    description: [
      'Read-only checks on a LinOTP 2.x or 3.x database:',
      '  - the model version (linotp.sql_data_model_version) and which LinOTP releases accept it;',
      '  - the LinOTP tables are present;',
      '  - the encKey decrypts every token seed (pw tokens hold an unencrypted hash and qr/push none, so they are skipped), every @@ OTP PIN, user and SO PIN, ocra2 sharedSecret and every encrypted Config value, chunked ones reassembled;',
      '  - token counts per type; on LinOTP 3 the admin resolver and realm exist, and which local admins still have the password "*";',
      '  - how many text values look double-encoded (latin1/utf8 mojibake; repair with `admin fix-db-encoding`);',
      '  - on a cluster (automatic on a Galera node, else --cluster / --node): every table has the same rows on every node (docs/clusters.md).',
      '  - the user LinOTP 3 runs as can read the encKey, the audit keys and every cfg file (computed from owner, group, mode and its groups, directories included, not tried as root).',
      'Exit 0 when every check passes (warnings allowed), 3 when any fails; failing tokens and Config keys are named. Tokens and text columns are streamed, so memory stays bounded.',
    ].join('\n'),
    options: [
      ...installationOptions,
      { flags: '--skip-encoding', description: 'do not scan text columns for double-encoded values (faster on a large audit table)' },
      { flags: '--service-user <user>', description: 'user LinOTP 3 runs as, whose read access to the encKey, audit keys and cfg files is checked (default: the encKey\'s owner unless root, else linotp)' },
      { flags: '--audit-public-key <file>', description: "LinOTP 2's audit public key (public.pem): check every audit signature instead of only counting them" },
      { flags: '--cluster', description: 'compare every table on every node (row counts and SHA-256); automatic on a MariaDB Galera node, whose members come from wsrep_incoming_addresses' },
      {
        flags: '--node <uri>',
        description: 'a further node to compare: a URI, or host[:port] with the credentials and database of the database URI (a PostgreSQL standby is found only this way); repeatable',
        repeatable: true,
      },
    ],
    examples: [
      'linotp-migrate verify --ini /etc/linotp2/linotp.ini',
      'linotp-migrate verify --database-uri mysql://linotp:secret@localhost/LinOTP2 --enc-key /etc/linotp2/encKey --json',
      'linotp-migrate verify --ini /etc/linotp/linotp.cfg --node standby1.example.org:5432',
    ],
    async run(ctx, _args, opts) {
      const [{ resolveInstallation, requireDatabaseUri }, { loadEncKey }, { openDatabase }, { runVerify }] = await Promise.all([
        import('../settings/resolve.js'),
        import('../crypto/enckey.js'),
        import('../db/index.js'),
        import('../verify/index.js'),
      ]);
      const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini, encKey: opts.encKey }, ctx.env, ctx.cwd);
      const uri = requireDatabaseUri(inst);
      // Settings warnings (e.g. absent default LinOTP 3 cfg files) matter only when the settings
      // were consulted for the database; with --database-uri or --ini they are noise.
      const explicit = opts.databaseUri !== undefined || (opts.ini !== undefined && inst.ini !== undefined && uri.source.startsWith(inst.ini.file));
      for (const w of inst.warnings) (explicit ? ctx.out.debug(w) : ctx.out.warn(w));
      const key = inst.encKeyPath ? loadEncKey(inst.encKeyPath.value) : undefined;
      if (!key) ctx.out.warn('no encKey given: seeds, PINs and Config secrets will not be checked (give --enc-key, LINOTP_SECRET_FILE or --ini)');
      ctx.out.debug(`database from ${uri.source}${inst.encKeyPath ? `, encKey from ${inst.encKeyPath.source}` : ''}`);
      let auditPublicKeyPem: string | undefined;
      if (opts.auditPublicKey !== undefined) {
        const { readFileSync } = await import('node:fs');
        try {
          auditPublicKeyPem = readFileSync(String(opts.auditPublicKey), 'utf8');
        } catch (e) {
          throw new InputError(`cannot read the audit public key ${opts.auditPublicKey}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'give the public.pem of the LinOTP 2 installation (linotpAudit.key.public)');
        }
      }
      const db = await openDatabase(uri.value);
      const { auditLocation, openAuditDatabase } = await import('../audit/location.js');
      const location = auditLocation(inst.settings, uri.value);
      let auditDb: Awaited<ReturnType<typeof openAuditDatabase>>;
      let report: VerifyReport;
      try {
        auditDb = await openAuditDatabase(location.target, { cwd: ctx.cwd });
        const adminNames = {
          resolver: String(inst.settings.get('ADMIN_RESOLVER_NAME') ?? 'LinOTP_local_admins'),
          realm: String(inst.settings.get('ADMIN_REALM_NAME') ?? 'linotp_admins'),
        };
        const nodes = ([] as string[]).concat(opts.node ?? []).map(String);
        const { filesLinotpReads, chooseServiceUser } = await import('../verify/files.js');
        const encKeyPath = inst.encKeyPath?.value;
        const fileAccess = {
          files: filesLinotpReads(inst.settings, encKeyPath),
          serviceUser: chooseServiceUser(opts.serviceUser, encKeyPath, ctx.env),
          given: opts.serviceUser,
        };
        report = await runVerify(db, key, { skipEncoding: Boolean(opts.skipEncoding), auditPublicKeyPem, adminNames, cluster: Boolean(opts.cluster), nodes, fileAccess, audit: { location, db: auditDb }, progress: ctx.out.showsProgress ? (label, total) => ctx.out.progress(label, total) : undefined });
      } finally {
        await auditDb?.close();
        await db.close();
      }
      ctx.out.result(report, renderVerify);
      if (!report.ok) {
        throw new ChecksFailedError(
          failureLine(report),
          report.key.verdict === 'wrong-key'
            ? `use the encKey of the installation that wrote this database (${inst.encKeyPath?.source ?? ''})`
            : report.checks.find((x) => x.id === 'file-access' && x.status === 'fail')?.hint,
        );
      }
    },
  },
];
