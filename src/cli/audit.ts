/** `linotp-migrate audit …` (issue 11): flags → src/audit → rendering. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import { ChecksFailedError, InputError, UsageError } from '../errors.js';
import type { Db } from '../db/types.js';
import { linotp2Value, requireDatabaseUri, resolveInstallation, type Sourced } from '../settings/resolve.js';
import type { ToUtcPlan, ToUtcResult, TimestampSample } from '../audit/to-utc.js';
import type { SignatureCheck } from '../audit/signatures.js';
import { DEFAULT_AUDIT_TABLE } from '../audit/table.js';
import { auditLocation } from '../audit/location.js';
import { confirmOrAbort } from './prompt.js';
import { installationOptions, planOptions } from './options.js';
import { renderTable } from './output.js';
import type { CommandContext, CommandSpec, OptionSpec } from './spec.js';

const TOOL = `linotp-migrate ${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}`;

const whereOptions: OptionSpec[] = [
  ...installationOptions.filter((o) => !o.flags.startsWith('--enc-key')),
  {
    flags: '--audit-database-uri <uri>',
    description: "the audit trail's database when it is not the main one; default: the ini's linotpAudit.sql.url, else where LinOTP 3.4 reads it (AUDIT_DATABASE_URI; SHARED = the main database, for SQLite its <file>_audit sibling), else — rows not yet moved by init database — the main database",
  },
  {
    flags: '--audit-table <name>',
    description: "audit table name (LinOTP 2: linotpAudit.sql.table_prefix + 'audit'); default from the ini, else audit",
  },
];

interface AuditTarget {
  uri: Sourced<string>;
  table: string;
  /**
   * The main database, when LinOTP 3.4 reads the audit trail from elsewhere (`locatedAt`) but the rows may
   * still be there (a restored LinOTP 2 database before `init database` moved them).
   */
  main?: Sourced<string>;
  locatedAt?: string;
}

/**
 * Which database and table hold the audit trail: --audit-database-uri > LinOTP 2 ini
 * `linotpAudit.sql.url` > where LinOTP 3.4 reads it (src/audit/location.ts: AUDIT_DATABASE_URI,
 * SHARED = the main database, SQLite's `<file>_audit`).
 */
export function resolveAuditTarget(ctx: CommandContext, opts: Record<string, any>): AuditTarget {
  const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini }, ctx.env, ctx.cwd);
  for (const w of inst.warnings) ctx.out.warn(w);
  const ini = inst.ini;
  // Values read as LinOTP 2 (Python 2 PasteDeploy) read them: `%` unescaped, [DEFAULT] precedence.
  const prefix = (ini && linotp2Value(ini, 'linotpAudit.sql.table_prefix')?.value) ?? '';
  const table = opts.auditTable ? String(opts.auditTable) : `${prefix}${DEFAULT_AUDIT_TABLE}`;
  if (opts.auditDatabaseUri) return { uri: { value: String(opts.auditDatabaseUri), source: '--audit-database-uri' }, table };
  const iniAudit = !opts.databaseUri && ini ? linotp2Value(ini, 'linotpAudit.sql.url') : undefined;
  if (iniAudit) return { uri: iniAudit, table };
  const main = requireDatabaseUri(inst);
  const location = auditLocation(inst.settings, main.value);
  if (location.target.kind === 'off') {
    if (inst.settings.isExplicit('AUDIT_DATABASE_URI')) throw new UsageError(`the audit trail is switched off (AUDIT_DATABASE_URI = OFF in ${location.source})`, 'name the database that holds the old audit table with --audit-database-uri');
    return { uri: main, table };
  }
  if (location.target.kind === 'separate') {
    return { uri: { value: location.target.uri, source: `AUDIT_DATABASE_URI (${location.source})` }, table, main, locatedAt: location.description };
  }
  return { uri: main, table };
}

async function withAuditDb<T>(ctx: CommandContext, target: AuditTarget, fn: (db: Db, database: string) => Promise<T>): Promise<T> {
  const { openDatabase, describeDbUrl } = await import('../db/index.js');
  const { findAuditTable } = await import('../audit/table.js');
  const { openAuditDatabase } = await import('../audit/location.js');
  let db = target.main ? await openAuditDatabase({ kind: 'separate', uri: target.uri.value }, { cwd: ctx.cwd }) : await openDatabase(target.uri.value);
  try {
    if (target.main && (!db || !(await findAuditTable(db, target.table)))) {
      // Not moved yet: a restored LinOTP 2 database keeps its audit table in the main database until init database.
      const main = await openDatabase(target.main.value);
      if (await findAuditTable(main, target.table)) {
        await db?.close();
        db = main;
        ctx.out.warn(`the audit rows are still in the main database ${describeDbUrl(main.url)}; LinOTP 3.4 reads ${target.locatedAt}: \`linotp-migrate init database\` moves them there`);
      } else await main.close();
    }
    if (!db) throw new InputError(`no audit table in ${target.locatedAt} (${target.uri.source}), nor in the main database`, 'run `linotp-migrate init database`, or name the database with --audit-database-uri');
    ctx.out.debug(`audit database from ${target.uri.source}: ${describeDbUrl(db.url)}`);
    return await fn(db, describeDbUrl(db.url));
  } finally {
    await db?.close();
  }
}

function readKeyFile(file: string | undefined, option: string, what: string, cwd: string): string {
  if (!file) throw new UsageError(`${option} is required`, `give the ${what} PEM file`);
  const p = path.resolve(cwd, file);
  try {
    return readFileSync(p, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'check the path and its permissions');
  }
}

function n(v: number): string {
  return v.toLocaleString('en-US');
}

function sampleRows(doc: ToUtcPlan): (string | number)[][] {
  const tagged: [string, TimestampSample][] = [
    ...doc.samples.map((s): [string, TimestampSample] => ['', s]),
    ...doc.ambiguousSamples.map((s): [string, TimestampSample] => ['ambiguous', s]),
    ...doc.nonexistentSamples.map((s): [string, TimestampSample] => ['nonexistent', s]),
    ...doc.unparseableSamples.map((s): [string, TimestampSample] => ['unparseable', s]),
  ];
  tagged.sort(([, a], [, b]) => Number(a.id) - Number(b.id));
  return tagged.map(([kind, s]) => [s.id, s.before ?? 'NULL', s.after ?? '(unchanged)', kind]);
}

export function renderToUtc(doc: ToUtcPlan | ToUtcResult, c: ChalkInstance, database: string): string {
  const applied = 'converted' in doc;
  const lines = [
    `audit table ${doc.table} in ${database}: ${n(doc.total)} rows`,
    renderTable(
      ['', 'rows'],
      [
        [applied ? `converted ${doc.timezone} → UTC` : `to convert ${doc.timezone} → UTC`, n(applied ? doc.converted : doc.toConvert)],
        ['already UTC (LinOTP 3 form, left alone)', n(doc.alreadyUtc)],
        ['unparseable (reported, never changed)', n(doc.unparseable)],
        [`ambiguous: repeated hour, resolved by ${doc.ambiguousRule === 'order' ? 'row order' : `the ${doc.ambiguousRule} instant`}`, n(doc.ambiguous)],
        ['nonexistent: skipped hour, offset before the change', n(doc.nonexistent)],
      ],
      ['left', 'right'],
    ),
  ];
  const samples = sampleRows(doc);
  if (samples.length) lines.push('', renderTable(['id', 'before', 'after', ''], samples));
  if (applied) lines.push('', c.green(`${n(doc.converted)} rows converted in ${(doc.elapsedMs / 1000).toFixed(1)} s (${n(doc.rowsPerSecond)} rows/s)`));
  return lines.join('\n');
}

const toUtc: CommandSpec = {
  path: ['audit', 'to-utc'],
  summary: "Rewrite LinOTP 2's local audit timestamps as LinOTP 3's UTC timestamps",
  description:
    'LinOTP 2 wrote audit times in the server\'s local time (YYYY-MM-DD HH:MM:SS.ffffff); LinOTP 3.1+ writes UTC ' +
    '(2024-05-02T08:15:01.123+00:00) and shows every time as UTC. This converts the old rows from --timezone to UTC, ' +
    'microseconds truncated to milliseconds as LinOTP 3 does. Repeated local times (DST end) are placed by row order ' +
    '(the first pass until the clock goes back; --ambiguous earlier|later to force one), skipped ones (DST start) take ' +
    'the offset before the change; both are counted. Rows ' +
    'already in UTC form are left alone, unparseable values are reported and never changed. Batched, resumable, idempotent. ' +
    'The old signatures cover the local time: check and seal them (audit seal) before converting.',
  options: [
    ...whereOptions,
    { flags: '--timezone <zone>', description: 'IANA zone LinOTP 2 ran in, e.g. Europe/Berlin (required: never guessed)' },
    { flags: '--ambiguous <rule>', description: 'repeated local times at the end of DST: by row order, or always the earlier / later instant', choices: ['order', 'earlier', 'later'], default: 'order' },
    ...planOptions,
  ],
  examples: [
    'linotp-migrate audit to-utc --ini /etc/linotp2/linotp.ini --timezone Europe/Berlin --plan',
    'linotp-migrate audit to-utc --database-uri postgresql://linotp@/linotp --timezone Europe/Vienna --yes --json',
  ],
  async run(ctx, _args, opts) {
    if (!opts.timezone) throw new UsageError('--timezone is required', 'name the zone LinOTP 2 ran in, e.g. --timezone Europe/Berlin (see `timedatectl` on the old server)');
    const { planToUtc, applyToUtc } = await import('../audit/to-utc.js');
    const { validateZone } = await import('../audit/timezone.js');
    const timezone = validateZone(String(opts.timezone));
    const target = resolveAuditTarget(ctx, opts);
    await withAuditDb(ctx, target, async (db, database) => {
      const base = { timezone, ambiguous: opts.ambiguous, table: target.table };
      const scan = ctx.out.progress('scanning audit', 0);
      const plan = await planToUtc(db, { ...base, progress: scan });
      if (opts.plan || opts.dryRun || plan.toConvert === 0) {
        if (plan.signedToConvert > 0) ctx.out.warn(`${n(plan.signedToConvert)} rows to convert carry LinOTP 2 signatures over the local time; run \`audit seal\` before converting, afterwards they cannot be checked`);
        ctx.out.result(plan, (d, c) => renderToUtc(d, c, database) + (plan.toConvert === 0 ? '\n' + c.green('nothing to convert') : ''));
        return;
      }
      if (plan.signedToConvert > 0) ctx.out.warn(`${n(plan.signedToConvert)} rows carry LinOTP 2 signatures over the local time; after conversion they can no longer be checked (seal them first with \`audit seal\`)`);
      if (!ctx.global.json) ctx.out.info(renderToUtc(plan, ctx.out.c, database));
      await confirmOrAbort(ctx, `Rewrite ${n(plan.toConvert)} audit timestamps from ${timezone} to UTC in ${database}?`);
      const bar = ctx.out.progress('converting', plan.total);
      const result = await applyToUtc(db, { ...base, progress: bar });
      ctx.out.result(result, (d, c) => renderToUtc(d, c, database));
    });
  },
};

export function renderCheck(doc: SignatureCheck, c: ChalkInstance, database: string): string {
  const lines = [
    `LinOTP 2 signatures in ${doc.table} (${database}), key sha256 ${doc.publicKeySha256.slice(0, 16)}…: ${n(doc.total)} rows`,
    renderTable(
      ['', 'rows'],
      [
        [c.green('valid'), n(doc.valid)],
        [doc.invalid ? c.red('invalid') : 'invalid', n(doc.invalid)],
        ['unverifiable: no signature', n(doc.unverifiableReasons.unsigned)],
        ['unverifiable: UTC timestamp (LinOTP 3 row or converted)', n(doc.unverifiableReasons.linotp3Timestamp)],
      ],
      ['left', 'right'],
    ),
  ];
  if (Object.keys(doc.matchedForms).length) lines.push(c.dim(`matched forms: ${Object.entries(doc.matchedForms).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`));
  if (doc.invalidIds.length) lines.push(c.red(`invalid ids: ${doc.invalidIds.join(', ')}${doc.invalidIdsTruncated ? ', …' : ''}`));
  return lines.join('\n');
}

const checkOptions: OptionSpec[] = [
  { flags: '--audit-public-key <file>', description: "LinOTP 2's audit public key (linotpAudit.key.public, /etc/linotp2/public.pem)" },
  { flags: '--uencode-data', description: 'the audit values are stored \\u-escaped (LinOTP 2 linotp.uencode_data = True)' },
  { flags: '--max-invalid-ids <n>', description: 'list at most this many invalid row ids', default: '100' },
];

async function runCheck(ctx: CommandContext, opts: Record<string, any>, target: AuditTarget): Promise<{ check: SignatureCheck; database: string }> {
  const pem = readKeyFile(opts.auditPublicKey, '--audit-public-key', 'audit public key', ctx.cwd);
  const max = Number(opts.maxInvalidIds ?? 100);
  if (!Number.isInteger(max) || max < 0) throw new UsageError(`--max-invalid-ids must be a whole number ≥ 0, not "${opts.maxInvalidIds}"`);
  const { checkLinotp2Signatures, loadRsaPublicKey } = await import('../audit/signatures.js');
  loadRsaPublicKey(pem, opts.auditPublicKey);
  return withAuditDb(ctx, target, async (db, database) => {
    const bar = ctx.out.progress('checking signatures', 0);
    const check = await checkLinotp2Signatures(db, pem, { table: target.table, uencoded: Boolean(opts.uencodeData), maxInvalidIds: max, progress: bar });
    return { check, database };
  });
}

const verifySignatures: CommandSpec = {
  path: ['audit', 'verify-signatures'],
  summary: "Check the old audit rows' LinOTP 2 signatures with LinOTP 2's public key",
  description:
    'Verifies every audit row the LinOTP 2 way: RSA PKCS#1 v1.5 / SHA-256 over LinOTP 2\'s text of the row (LinOTP 3 uses ' +
    'another text, so it shows every old row as invalid). Reports valid, invalid (with ids) and unverifiable rows (no ' +
    'signature, or a UTC timestamp: LinOTP 3 rows and rows already converted by audit to-utc). Exit 3 when any row is invalid.',
  options: [...whereOptions, ...checkOptions],
  examples: ['linotp-migrate audit verify-signatures --ini /etc/linotp2/linotp.ini --audit-public-key /etc/linotp2/public.pem'],
  async run(ctx, _args, opts) {
    const target = resolveAuditTarget(ctx, opts);
    const { check, database } = await runCheck(ctx, opts, target);
    ctx.out.result(check, (d, c) => renderCheck(d, c, database));
    if (check.invalid > 0) throw new ChecksFailedError(`${n(check.invalid)} audit rows fail their LinOTP 2 signature check`, 'the rows listed were changed after LinOTP 2 wrote them, or were signed with another key');
  },
};

const seal: CommandSpec = {
  path: ['audit', 'seal'],
  summary: 'Write the LinOTP 2 signature check as a report signed with the new audit key',
  description:
    'Runs the same check as audit verify-signatures and writes audit-signature-report-<UTC time>.json plus a detached ' +
    'signature (.json.sig, RSA PKCS#1 v1.5 / SHA-256 with the LinOTP 3 audit private key) into --out, atomically. ' +
    'Check it later with: openssl dgst -sha256 -verify audit-public.pem -signature REPORT.json.sig REPORT.json. ' +
    'Run it before audit to-utc: converted rows can no longer be checked.',
  options: [
    ...whereOptions,
    ...checkOptions,
    { flags: '--audit-private-key <file>', description: "LinOTP 3's audit private key (AUDIT_PRIVATE_KEY_FILE, audit-private.pem)" },
    { flags: '--out <dir>', description: 'directory for the report (e.g. the backup directory; created if missing)' },
  ],
  examples: ['linotp-migrate audit seal --ini /etc/linotp2/linotp.ini --audit-public-key /etc/linotp2/public.pem --audit-private-key /etc/linotp/audit-private.pem --out /var/backups/linotp'],
  async run(ctx, _args, opts) {
    if (!opts.out) throw new UsageError('--out is required', 'name the directory for the sealed report, e.g. the backup directory');
    const privatePem = readKeyFile(opts.auditPrivateKey, '--audit-private-key', 'audit private key', ctx.cwd);
    const { loadRsaPrivateKey, sealReport } = await import('../audit/seal.js');
    loadRsaPrivateKey(privatePem, opts.auditPrivateKey);
    const target = resolveAuditTarget(ctx, opts);
    const { check, database } = await runCheck(ctx, opts, target);
    const sealed = sealReport(check, privatePem, path.resolve(ctx.cwd, String(opts.out)), { database, tool: TOOL });
    if (check.invalid > 0) ctx.out.warn(`${n(check.invalid)} rows fail their LinOTP 2 signature check; the sealed report records their ids`);
    ctx.out.result({ ...sealed, check }, (d, c) => [renderCheck(d.check, c, database), '', c.green(`sealed: ${d.reportPath}`), c.green(`signature: ${d.signaturePath}`), c.dim(`new audit key sha256 ${d.publicKeySha256}`)].join('\n'));
  },
};

/** A whole number option (LinOTP's click `type=int`); undefined when absent. */
function intOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(String(v))) throw new UsageError(`${name} must be a whole number, not "${v}"`);
  return Number(v);
}

const cleanup: CommandSpec = {
  path: ['audit', 'cleanup'],
  summary: "Delete old audit entries as `linotp audit cleanup` does (by count or by age), optionally exporting them to CSV first",
  description:
    'By count: when the audit table has more than --cleanup-threshold entries (default: --max-entries-to-keep, 5000), the entries with ' +
    'id <= max(id) - --max-entries-to-keep are deleted. By age: --delete-after-days N deletes the entries up to the highest id whose ' +
    'timestamp is before the start of today (UTC) minus N days; it cannot be combined with the other two. --export first writes them to ' +
    '--exportdir (default BACKUP_DIR, created) as SQLAuditExport.<BACKUP_FILE_TIME_FORMAT>.<highest id>.csv in LinOTP\'s format ' +
    '("; "-separated, strings in quotes, newest first). The export is complete and on disk before anything is deleted. ' +
    'Unlike LinOTP it asks for confirmation on a terminal (--yes or LINOTP_MIGRATE_ASSUME_YES=1 in cron jobs) and has --plan.',
  options: [
    ...whereOptions,
    { flags: '--max-entries-to-keep <n>', description: 'entries to keep when a cleanup by count runs (default 5000)' },
    { flags: '--cleanup-threshold <n>', description: 'clean up by count only when more entries than this are there (default: --max-entries-to-keep)' },
    { flags: '--delete-after-days <n>', description: 'delete entries older than N days (from the start of today, UTC); not with the two above' },
    { flags: '--export', description: 'write the entries to be deleted to a CSV file first' },
    { flags: '-e, --exportdir <dir>', description: 'existing directory for the --export file (default: BACKUP_DIR, created when missing)' },
    ...planOptions,
  ],
  examples: [
    'linotp-migrate audit cleanup --plan',
    'linotp-migrate --yes audit cleanup --max-entries-to-keep 100000 --cleanup-threshold 200000 --export',
    'linotp-migrate --yes audit cleanup --delete-after-days 365 --export -e /var/backups/linotp',
  ],
  async run(ctx, _args, opts) {
    const { cleanupLimits, planCleanup, applyCleanup } = await import('../audit/cleanup.js');
    const limits = { maxEntriesToKeep: intOption(opts.maxEntriesToKeep, '--max-entries-to-keep'), cleanupThreshold: intOption(opts.cleanupThreshold, '--cleanup-threshold'), deleteAfterDays: intOption(opts.deleteAfterDays, '--delete-after-days') };
    cleanupLimits(limits);
    const { loadLinotp3Settings } = await import('../settings/linotp3.js');
    const settings = loadLinotp3Settings(ctx.env);
    let exportDir: string | undefined;
    if (opts.exportdir !== undefined) {
      const dir = path.resolve(ctx.cwd, String(opts.exportdir));
      if (!existsSync(dir)) throw new UsageError(`--exportdir ${dir} does not exist`, 'create it first, or leave --exportdir out to export into BACKUP_DIR');
      if (!opts.export) ctx.out.warn('--exportdir without --export: nothing is exported (as in LinOTP 3.4); add --export');
      else exportDir = dir;
    } else if (opts.export) {
      // BACKUP_DIR's schema default lies below the app root: without a LinOTP 3 installation it names no real place.
      if (!settings.isExplicit('BACKUP_DIR') && !settings.isExplicit('ROOT_DIR') && !existsSync(settings.appRoot)) {
        throw new UsageError('--export: no BACKUP_DIR is configured (no LinOTP 3 settings found)', 'give the directory with --exportdir DIR, or point LINOTP_CFG at the LinOTP 3 settings');
      }
      exportDir = String(settings.get('BACKUP_DIR'));
    }
    const target = resolveAuditTarget(ctx, opts);
    await withAuditDb(ctx, target, async (db, database) => {
      const base = { ...limits, exportDir, timeFormat: String(settings.get('BACKUP_FILE_TIME_FORMAT')), table: target.table };
      const plan = await planCleanup(db, base);
      const what = (d: typeof plan) =>
        d.deleteAfterDays !== undefined ? `entries older than ${d.cutoff} (--delete-after-days ${d.deleteAfterDays})` : `entries beyond the newest ${n(d.maxEntriesToKeep!)} (more than ${n(d.cleanupThreshold!)} there)`;
      if (opts.plan || opts.dryRun || plan.deleteFrom <= 0) {
        ctx.out.result({ ...plan, plan: true }, (d) =>
          d.deleteFrom <= 0
            ? `Nothing cleaned up. ${d.total} entries in database.`
            : `would delete ${n(d.toDelete)} of ${n(d.total)} ${what(d)}: ids up to ${d.deleteFrom} in ${d.table} (${database})` + (d.exportFile ? `\nwould export them first to ${d.exportFile}` : '\nno export (add --export)'));
        return;
      }
      await confirmOrAbort(ctx, `Delete ${n(plan.toDelete)} of ${n(plan.total)} audit entries (ids up to ${plan.deleteFrom}) in ${database}${plan.exportFile ? ` after exporting them to ${plan.exportFile}` : ' without an export'}?`);
      if (exportDir) (await import('node:fs')).mkdirSync(exportDir, { recursive: true });
      const bar = ctx.out.progress('exporting', plan.toDelete);
      const res = await applyCleanup(db, plan, bar);
      ctx.out.info(`${res.total} entries found in database.`);
      ctx.out.result(res, (d) => [
        `${d.deleted} entries cleaned up.`,
        `${d.left} entries left in database.`,
        d.exportFile ? `Exported into ${d.exportFile}` : 'No export was triggered.',
      ].join('\n'));
    });
  },
};

export const commands: CommandSpec[] = [toUtc, verifySignatures, seal, cleanup];
