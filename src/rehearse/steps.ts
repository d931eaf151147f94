/**
 * The rehearsal's steps, each calling the library of the command it rehearses in-process:
 * config convert (plan only) → backup verify → backup restore → init database →
 * admin fix-db-encoding → local-admins add/password → verify (+ rows per table) → api-check.
 * Every step records its checks on the runner; a step that finds a blocking problem records a
 * failing check and throws StepChecksFailed, which stops the rehearsal.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiCheckReport } from '../apicheck/report.js';
import { InputError, KeyError } from '../errors.js';
import { countRows } from './counts.js';
import { requireFn, StepChecksFailed, type StepOutcome } from './runner.js';
import type { RehearsalState } from './state.js';
import type { RehearsalCheck, StepId } from './types.js';

export const DEFAULT_ADMIN_RESOLVER = 'LinOTP_local_admins';
export const DEFAULT_ADMIN_REALM = 'linotp_admins';
const ITEMS = 50;

const check = (s: RehearsalState, c: RehearsalCheck) => s.run.addCheck(c);
const cut = (items: string[]) => (items.length > ITEMS ? [...items.slice(0, ITEMS), `… and ${items.length - ITEMS} more`] : items);

export async function stepConfig(s: RehearsalState): Promise<StepOutcome<void>> {
  const planConvert = await requireFn(() => import('../config/plan.js'), 'planConvert', 'config convert (src/config/plan.ts planConvert)');
  // A plan only: the files are rendered and checked against LinOTP 3.4's schema, nothing is written.
  // No settings files: the rehearsal converts the ini on its own, whatever LinOTP 3 this machine has.
  const plan = planConvert({ ini: s.opts.ini!, outDir: join(tmpdir(), 'linotp-rehearse-config-plan'), target: '3.4' }, s.opts.cwd ?? process.cwd(), { LINOTP_CFG: '' });
  const c = plan.conversion;
  const counts: Record<string, number> = {};
  for (const r of c.rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const attention = c.rows.filter((r) => r.status === 'needs-attention');
  s.details.config = { target: c.target, counts, needsAttention: attention.map((r) => ({ key: `[${r.section}] ${r.key}`, reason: r.reason })), warnings: c.warnings };
  for (const w of c.warnings) s.run.warnings.push(`config: ${w}`);
  check(s, {
    id: 'config.needs-attention',
    step: 'config',
    title: 'converted config has no needs-attention items',
    status: attention.length ? 'warn' : 'pass',
    summary: attention.length ? `${attention.length} ini key(s) need attention before LinOTP 3 uses this config` : `${c.rows.length} ini keys converted, renamed or dropped with a reason; ${c.settings.length} LinOTP ${c.target} settings`,
    items: attention.length ? cut(attention.map((r) => `[${r.section}] ${r.key}: ${r.reason}`)) : undefined,
    hint: attention.length ? 'review them in `linotp-migrate config convert --dry-run` and set the LinOTP 3 settings by hand' : undefined,
  });
  return { summary: `${c.rows.length} ini keys → ${c.settings.length} LinOTP ${c.target} settings (${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')})`, value: undefined };
}

export async function stepBackup(s: RehearsalState): Promise<StepOutcome<void>> {
  const verifyBackup = await requireFn(() => import('../backup/verify.js'), 'verifyBackup', 'backup verify (src/backup/verify.ts verifyBackup)');
  const { loadEncKey } = await import('../crypto/enckey.js');
  const given = s.opts.encKeyPath ? loadEncKey(s.opts.encKeyPath) : undefined;
  let r: Awaited<ReturnType<typeof verifyBackup>>;
  try {
    r = await verifyBackup(s.opts.backup, { key: given, passphrase: given ? undefined : s.opts.passphrase });
  } catch (e) {
    if (e instanceof KeyError) {
      check(s, { id: 'backup.enc-key', step: 'backup', title: 'encKey opens and decrypts the backup', status: 'fail', summary: e.message, hint: e.hint });
      throw new StepChecksFailed(e.message, e.hint);
    }
    // A damaged or foreign file is what a rehearsal is there to find: a failed check, not an error.
    if (e instanceof InputError) {
      check(s, { id: 'backup.readable', step: 'backup', title: 'backup reads completely', status: 'fail', summary: e.message, hint: e.hint ?? 'make a new backup on the LinOTP 2 server' });
      throw new StepChecksFailed(e.message, e.hint);
    }
    throw e;
  }
  s.backup = { report: r.report, src: r.src, info: r.info };
  const rows = r.report.tables.reduce((n, t) => n + t.rows, 0);
  const keyProblem = (p: string) => /\bkey\b/i.test(p);
  const problems = r.report.problems.filter((p) => !keyProblem(p));
  check(s, {
    id: 'backup.readable',
    step: 'backup',
    title: 'backup reads completely',
    status: problems.length ? 'fail' : 'pass',
    summary: problems.length ? `${problems.length} problem(s) in the backup` : `${r.report.kind} backup, ${r.report.dialect} dump: ${rows} rows in ${r.report.tables.length} tables, LinOTP model ${r.report.modelVersion ?? 'not stored'}${r.report.checksums === 'ok' ? ', checksums ok' : ''}`,
    items: problems.length ? cut(problems) : undefined,
    hint: problems.length ? 'make a new backup on the LinOTP 2 server (linotp-backup or linotp-migrate backup create)' : undefined,
  });
  // The key: --enc-key, else the one in the backup (gpg with the passphrase, or a plain encKey member).
  const keyIssues = r.report.problems.filter(keyProblem);
  let key = r.key;
  if (given && r.src.key && (r.src.key.form === 'raw' || s.opts.passphrase !== undefined)) {
    const { keyFromBackup } = await import('../backup/inspect.js');
    try {
      const inBackup = await keyFromBackup(r.src, s.opts.passphrase);
      if (!inBackup.equals(given)) keyIssues.push(`--enc-key ${given.source} is not the encKey in the backup (${r.src.key.name})`);
    } catch (e) {
      if (!(e instanceof KeyError)) throw e;
      keyIssues.push(e.message);
    }
  }
  if (!key) {
    const why = r.src.key ? `the encKey in the backup (${r.src.key.name}) is encrypted and no passphrase was given` : 'the backup contains no encKey and none was given';
    keyIssues.push(why);
  }
  const kc = r.report.encKey.check;
  check(s, {
    id: 'backup.enc-key',
    step: 'backup',
    title: 'encKey opens and decrypts the backup',
    status: keyIssues.length ? 'fail' : 'pass',
    summary: keyIssues.length ? keyIssues[0] : `encKey ${key!.fingerprint().slice(0, 16)}… (${given ? 'from --enc-key' : 'from the backup'}) decrypts ${kc?.decrypted ?? 0} of ${kc?.checked ?? 0} sampled values`,
    items: keyIssues.length > 1 ? keyIssues : undefined,
    hint: keyIssues.length ? (r.src.key && !given ? 'give the passphrase used for linotp-backup with --passphrase-file' : "give the LinOTP 2 installation's encKey with --enc-key (or the passphrase of the backup's encKey_*.gpg)") : undefined,
  });
  if (problems.length || keyIssues.length) throw new StepChecksFailed(problems[0] ?? keyIssues[0]);
  s.key = key;
  return { summary: `${r.report.dump}: ${rows} rows in ${r.report.tables.length} tables, model ${r.report.modelVersion ?? 'not stored'}; encKey ${key!.fingerprint().slice(0, 16)}…`, value: undefined };
}

export async function stepRestore(s: RehearsalState): Promise<StepOutcome<void>> {
  const planRestore = await requireFn(() => import('../backup/restore.js'), 'planRestore', 'backup restore (src/backup/restore.ts planRestore)');
  const applyRestore = await requireFn(() => import('../backup/restore.js'), 'applyRestore', 'backup restore (src/backup/restore.ts applyRestore)');
  const { db } = s.target!;
  const { src, info } = s.backup!;
  const plan = await planRestore(db, src, info);
  if (plan.problems.length) {
    check(s, { id: 'restore.plan', step: 'restore', title: 'backup can be restored into the target', status: 'fail', summary: plan.problems[0], items: cut(plan.problems) });
    throw new StepChecksFailed(plan.problems[0]);
  }
  const result = await applyRestore(db, src, plan);
  s.restore = { plan, result };
  const want = new Map(plan.tables.map((t) => [t.target, t.rows]));
  const short = result.tables.filter((t) => t.rows !== want.get(t.name)).map((t) => `${t.name}: ${t.rows} of ${want.get(t.name)} rows`);
  const rows = result.tables.reduce((n, t) => n + t.rows, 0);
  check(s, {
    id: 'restore.rows',
    step: 'restore',
    title: 'every row of the backup restored',
    status: short.length ? 'fail' : plan.skipped.length ? 'warn' : 'pass',
    summary: short.length
      ? `${short.length} table(s) restored incompletely`
      : `${rows} rows in ${result.tables.length} tables${plan.sameEngine ? '' : ` (${plan.dialect} dump → ${plan.targetEngine}, tables from the LinOTP schema model)`}${plan.skipped.length ? `; ${plan.skipped.length} non-LinOTP table(s) left out` : ''}`,
    items: short.length ? short : plan.skipped.length ? plan.skipped.map((x) => `${x.table} (${x.rows} rows): ${x.reason}`) : undefined,
  });
  s.details.restore = { rows, tables: result.tables.length, seconds: result.seconds, crossEngine: !plan.sameEngine };
  if (short.length) throw new StepChecksFailed(`${short.length} table(s) restored incompletely`);
  return { summary: `${rows} rows in ${result.tables.length} tables into ${plan.target}${plan.sameEngine ? '' : ` (from a ${plan.dialect} dump)`}`, value: undefined };
}

export async function stepUpgrade(s: RehearsalState): Promise<StepOutcome<void>> {
  const planUpgrade = await requireFn(() => import('../upgrade/plan.js'), 'planUpgrade', 'init database (src/upgrade/plan.ts planUpgrade)');
  const applyUpgrade = await requireFn(() => import('../upgrade/apply.js'), 'applyUpgrade', 'init database (src/upgrade/apply.ts applyUpgrade)');
  const { TARGET_MODEL_VERSION } = await import('../schema/version.js');
  const db = s.target!.db;
  // The audit table goes where LinOTP 3.4 (AUDIT_DATABASE_URI = SHARED) reads it: SQLite's <file>_audit.
  const uopts = { encKey: s.key, adminResolverName: DEFAULT_ADMIN_RESOLVER, adminRealmName: DEFAULT_ADMIN_REALM, createAudit: true, auditDb: s.target!.auditDb, truncateAudit: Boolean(s.opts.truncateAudit), auditConvertedSeparately: Boolean(s.opts.auditTimezone) };
  // The plan first, so that refusals (wrong key, unknown model version) become a named check.
  const plan = await planUpgrade(db, uopts);
  if (plan.blockers.length) {
    const keyBlocker = /decrypt/i.test(plan.blockers[0]);
    const hint = keyBlocker
      ? 'these values are damaged or were written with another encKey: repair them in LinOTP 2 (e.g. re-enroll the token) and make a new backup; `init database --skip-undecryptable` would upgrade without them'
      : 'see `linotp-migrate init database --plan` on the restored data (rehearse with --keep)';
    check(s, { id: 'upgrade.plan', step: 'upgrade', title: 'init database accepts the restored data', status: 'fail', summary: plan.blockers[0], items: plan.blockers.length > 1 ? cut(plan.blockers) : undefined, hint });
    throw new StepChecksFailed(plan.blockers[0]);
  }
  const result = await applyUpgrade(db, uopts);
  s.upgrade = result;
  for (const w of result.plan.warnings) s.run.warnings.push(`init database: ${w}`);
  s.details.upgrade = { from: plan.version.stored, to: result.version, actions: result.applied.map((a) => ({ id: a.id, title: a.title })), warnings: result.plan.warnings };
  const current = result.version === TARGET_MODEL_VERSION;
  check(s, {
    id: 'upgrade.model-version',
    step: 'upgrade',
    title: 'model version current after init database',
    status: current ? 'pass' : 'fail',
    summary: `${plan.version.stored ?? '(none)'} → ${result.version || '(none)'}${current ? ` (LinOTP 3.4 model ${TARGET_MODEL_VERSION})` : `, expected ${TARGET_MODEL_VERSION}`}`,
  });
  if (!current) throw new StepChecksFailed(`the model version is ${result.version}, not ${TARGET_MODEL_VERSION}`);
  return { summary: `model ${plan.version.stored ?? '(none)'} → ${result.version}: ${result.applied.length} action(s) (${result.applied.map((a) => a.id).join(', ')})`, value: undefined };
}

export async function stepEncoding(s: RehearsalState): Promise<StepOutcome<void>> {
  const runFixEncoding = await requireFn(() => import('../encoding/index.js'), 'runFixEncoding', 'admin fix-db-encoding (src/encoding/index.ts runFixEncoding)');
  const r = await runFixEncoding(s.target!.db, { samples: 5 });
  s.encoding = r;
  s.details.encoding = {
    repairedValues: r.totals.repairedValues,
    changedRows: r.totals.changedRows,
    multiple: r.totals.multiple,
    conflicts: r.totals.conflicts,
    samples: r.samples.map((x) => ({ where: `${x.table}.${x.column} [${x.key}]`, before: x.before, after: x.after })),
  };
  if (r.totals.conflicts) {
    check(s, { id: 'encoding.conflicts', step: 'encoding', title: 'repaired key values are free', status: 'warn', summary: `${r.totals.conflicts} key value(s) not repaired: the repaired key already exists`, items: cut(r.conflicts.map((x) => `${x.table}.${x.column} [${x.key}]: ${x.reason}`)), hint: 'resolve the duplicates in LinOTP 2 (or by hand after the upgrade)' });
  }
  return { summary: `repaired ${r.totals.repairedValues} double-encoded value(s) in ${r.totals.changedRows} row(s) of ${r.totals.rows}${r.charsetConversions.length ? `; ${r.charsetConversions.length} table(s) converted to utf8mb4` : ''}`, value: undefined };
}

export async function stepAudit(s: RehearsalState): Promise<StepOutcome<void>> {
  const applyToUtc = await requireFn(() => import('../audit/to-utc.js'), 'applyToUtc', 'audit to-utc (src/audit/to-utc.ts applyToUtc)');
  const { findAuditTable } = await import('../audit/table.js');
  const db = s.target!.auditDb ?? s.target!.db;
  if (!(await findAuditTable(db))) return { summary: 'no audit table in the target: nothing to convert', value: undefined };
  const r = await applyToUtc(db, { timezone: s.opts.auditTimezone! });
  s.details.audit = { timezone: r.timezone, total: r.total, converted: r.converted, alreadyUtc: r.alreadyUtc, unparseable: r.unparseable, ambiguous: r.ambiguous, nonexistent: r.nonexistent };
  if (r.unparseable) {
    check(s, { id: 'audit.unparseable', step: 'audit', title: 'audit timestamps convertible', status: 'warn', summary: `${r.unparseable} audit row(s) have a timestamp in neither the LinOTP 2 nor the LinOTP 3 form; left as they are`, items: cut(r.unparseableSamples.map((x) => `id ${x.id}: ${x.before ?? 'NULL'}`)) });
  }
  return { summary: `${r.converted} of ${r.total} audit timestamps ${r.timezone} → UTC${r.ambiguous ? `, ${r.ambiguous} in a repeated hour (by row order)` : ''}${r.nonexistent ? `, ${r.nonexistent} in a skipped hour` : ''}`, value: undefined };
}

export async function stepAdmin(s: RehearsalState): Promise<StepOutcome<void>> {
  const store = await import('../admins/store.js');
  const setAdminPassword = await requireFn(async () => store, 'setAdminPassword', 'local-admins password (src/admins/store.ts setAdminPassword)');
  const addAdmin = await requireFn(async () => store, 'addAdmin', 'local-admins add (src/admins/store.ts addAdmin)');
  const { verifySha512Crypt } = await import('../crypto/sha512crypt.js');
  const { checkPassword } = await import('../admins/policy.js');
  const { name, password } = s.opts.admin!;
  const names = { resolver: DEFAULT_ADMIN_RESOLVER, realm: DEFAULT_ADMIN_REALM };
  const db = s.target!.db;
  const policy = checkPassword(password, { account: name });
  if (policy.error) {
    check(s, { id: 'admin.login', step: 'admin', title: `admin ${name} can log in`, status: 'fail', summary: `the admin password is refused: ${policy.error}`, hint: 'put a stronger password into --admin-password-file' });
    throw new StepChecksFailed(`the admin password is refused: ${policy.error}`);
  }
  const exists = (await store.listAdmins(db, names)).some((a) => a.userid === name);
  if (!exists) await addAdmin(db, names, name);
  await setAdminPassword(db, names, name, password);
  const rec = (await store.listAdmins(db, names)).find((a) => a.userid === name);
  const hash = rec?.password ?? '';
  const ok = hash.startsWith('$6$') && verifySha512Crypt(password, hash);
  check(s, {
    id: 'admin.login',
    step: 'admin',
    title: `admin ${name} can log in`,
    status: ok ? (policy.warnings.length ? 'warn' : 'pass') : 'fail',
    summary: ok ? `${name} in ${names.resolver} (realm ${names.realm}): sha512_crypt hash set and the password verifies against it${policy.warnings.length ? `; weak password: ${policy.warnings.join('; ')}` : ''}` : `the stored password of ${name} does not verify`,
  });
  s.details.admin = { name, action: exists ? 'password-reset' : 'created' };
  if (!ok) throw new StepChecksFailed(`the stored password of ${name} does not verify`);
  return { summary: `${exists ? 'password of' : 'created'} local admin ${name}${exists ? ' reset' : ' with a password'}`, value: undefined };
}

export async function stepVerify(s: RehearsalState): Promise<StepOutcome<void>> {
  const runVerify = await requireFn(() => import('../verify/index.js'), 'runVerify', 'verify (src/verify/index.ts runVerify)');
  const { TARGET_MODEL_VERSION } = await import('../schema/version.js');
  const db = s.target!.db;
  const v = await runVerify(db, s.key, { audit: { location: s.target!.audit, db: s.target!.auditDb } });
  s.verify = v;
  const encodingRan = s.run.steps.some((x) => x.id === 'encoding' && x.status === 'ok');
  for (const c of v.checks) {
    let status = c.status;
    let title = c.title;
    // After fix-db-encoding, mojibake left over is a failure of the rehearsal, not a to-do.
    if (c.id === 'encoding' && encodingRan) {
      title = 'no mojibake left';
      if (status === 'warn') status = 'fail';
    }
    // Without --admin the rehearsal cannot show a login; verify's warning says what to do in production.
    if (c.id === 'local-admins' && !s.opts.admin && status === 'warn') title = 'an admin able to log in (give --admin to rehearse it)';
    check(s, { id: `verify.${c.id}`, step: 'verify', title, status, summary: c.summary, items: c.items ? cut(c.items) : undefined, hint: c.hint });
  }
  if (!v.checks.some((c) => c.id === 'admin-realm')) {
    check(s, { id: 'verify.admin-realm', step: 'verify', title: 'admin resolver and realm', status: 'fail', summary: 'not checked: the database is not at a LinOTP 3 model version' });
  }
  const current = v.model.stored === TARGET_MODEL_VERSION;
  check(s, { id: 'model-current', step: 'verify', title: 'model version current', status: current ? 'pass' : 'fail', summary: `${v.model.stored ?? '(none)'}${current ? ' = LinOTP 3.4 model' : `, expected ${TARGET_MODEL_VERSION}`}` });
  s.tables = await countRows(s);
  const lost = s.tables.filter((t) => !t.ok);
  const designed = s.tables.filter((t) => t.expectedDelta !== 0 && t.ok).map((t) => `${t.table}: ${t.backup} → ${t.after} (${t.why})`);
  check(s, {
    id: 'rows-preserved',
    step: 'verify',
    title: 'rows per table preserved',
    status: lost.length ? 'fail' : 'pass',
    summary: lost.length
      ? `${lost.length} table(s) differ from the backup beyond what the upgrade changes by design`
      : `${s.tables.length} tables as in the backup${designed.length ? `, except by design: ${designed.length} table(s)` : ''}`,
    items: lost.length ? lost.map((t) => `${t.table}: ${t.backup} in the backup, ${t.after ?? 'table missing'} now, expected ${t.backup + t.expectedDelta}${t.why ? ` (${t.why})` : ''}`) : designed.length ? designed : undefined,
    hint: lost.length ? 'rows were lost between the backup and the upgraded database; do not run this upgrade on production before the cause is found' : undefined,
  });
  s.details.verify = { tokens: v.tokens.total, tokensByType: v.tokens.byType, keyVerdict: v.key.verdict, valuesChecked: v.key.checked, valuesFailed: v.key.failed, mojibake: v.encoding.suspicious, model: v.model.stored };
  const failed = s.run.checks.filter((c) => c.step === 'verify' && c.status === 'fail').length;
  return { summary: `${v.tokens.total} tokens; encKey ${v.key.verdict} (${v.key.checked - v.key.failed} of ${v.key.checked} values decrypt); ${v.encoding.suspicious} mojibake value(s); model ${v.model.stored}${failed ? `; ${failed} check(s) failed` : ''}`, value: undefined };
}

export async function stepApiCheck(s: RehearsalState): Promise<StepOutcome<void>> {
  const analyzeAccessLogs = await requireFn(() => import('../apicheck/analyze.js'), 'analyzeAccessLogs', 'api-check (src/apicheck/analyze.ts analyzeAccessLogs)');
  const r = await analyzeAccessLogs(s.opts.accessLogs!, {});
  s.api = r;
  s.details.apiCheck = {
    lines: r.lines,
    apiCalls: r.apiCalls,
    rejected: r.summary.rejected,
    deprecated: r.summary.deprecated,
    findings: r.findings.filter((f) => f.verdict !== 'ok').map((f) => ({ endpoint: f.endpoint, method: f.method, verdict: f.verdict, count: f.count, clients: f.clients.map((c) => c.address) })),
  };
  const failOn = s.opts.apiFailOn;
  const item = (f: ApiCheckReport['findings'][number]) => `${f.method} ${f.endpoint}: ${f.count} call(s) from ${f.clients.map((c) => c.address).join(', ')}${f.distinctClients > f.clients.length ? ', …' : ''}`;
  for (const verdict of ['rejected', 'deprecated'] as const) {
    const n = r.summary[verdict];
    const fails = failOn === 'deprecated' || (failOn === 'rejected' && verdict === 'rejected');
    check(s, {
      id: `api-check.${verdict}`,
      step: 'api-check',
      title: verdict === 'rejected' ? 'no calls LinOTP 3 rejects' : 'no calls LinOTP 3 deprecates',
      status: n.calls === 0 ? 'pass' : fails ? 'fail' : 'warn',
      summary: n.calls === 0 ? `none in ${r.apiCalls} API calls` : `${n.calls} call(s) on ${n.findings} endpoint/method pair(s)${verdict === 'rejected' ? ' that LinOTP 3 answers with 405/404' : ' deprecated since LinOTP 3.2'}`,
      items: n.calls ? cut(r.findings.filter((f) => f.verdict === verdict).map(item)) : undefined,
      hint: n.calls ? (verdict === 'rejected' ? 'change these clients before the upgrade: POST where LinOTP 3 requires it, another endpoint where it removed one; `linotp-migrate api-check` gives the fix per endpoint' : 'plan to change these clients; LinOTP will drop the old method') : undefined,
    });
  }
  return { summary: `${r.lines} lines, ${r.apiCalls} API calls: ${r.summary.rejected.calls} rejected, ${r.summary.deprecated.calls} deprecated, ${r.summary.ok.calls} ok${r.malformed.count ? `; ${r.malformed.count} malformed line(s) skipped` : ''}`, value: undefined };
}

export const STEP_TITLES: Record<StepId, string> = {
  target: 'prepare the target',
  config: 'convert linotp.ini',
  host: 'host migrate',
  backup: 'verify the backup',
  restore: 'restore into the target',
  upgrade: 'init database',
  encoding: 'admin fix-db-encoding',
  audit: 'audit to-utc',
  admin: 'create/reset the admin',
  verify: 'verify',
  'api-check': 'api-check',
};
