/**
 * `rehearse`: the whole LinOTP 2 → 3 upgrade on a scratch target, timed step by step, with one
 * report. The target is prepared (or refused) first, as step `target`; then config → backup → restore → upgrade →
 * encoding → audit → admin → verify → api-check. The first failing step stops the run; the target is
 * removed unless `keep`. The report says passed (exit 0), failed (3: a check failed, e.g. a wrong
 * key) or error (1: something operational, e.g. an unreachable database).
 */
import { readFileSync, statSync } from 'node:fs';
import { validateZone } from '../audit/timezone.js';
import { InputError } from '../errors.js';
import { resolve } from 'node:path';
import { productionCommands } from './production.js';
import { describeError, StepRunner, type StepHooks } from './runner.js';
import { STEP_TITLES, stepAdmin, stepApiCheck, stepAudit, stepBackup, stepConfig, stepEncoding, stepRestore, stepUpgrade, stepVerify } from './steps.js';
import type { RehearsalState, RehearseOptions } from './state.js';
import { closeTarget, openTarget } from './target.js';
import { REPORT_FORMAT, REPORT_VERSION, type CheckStatus, type RehearsalReport } from './types.js';

export type { RehearseOptions } from './state.js';
export type { RehearsalReport } from './types.js';

function toolVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** Every input file is checked before any work, so a typo fails in a second, not after the restore. */
function preflight(o: RehearseOptions): void {
  const files: [string, string | undefined][] = [['--backup', o.backup], ['--ini', o.ini], ['--enc-key', o.encKeyPath], ...(o.accessLogs ?? []).map((f): [string, string] => ['--access-log', f])];
  for (const [flag, file] of files) {
    if (!file) continue;
    let ok = false;
    try {
      ok = statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok) throw new InputError(`${flag} ${file} does not exist or is not a file`, 'check the path; nothing was done');
  }
  // Option values too: a misspelt zone fails now, not after the restore.
  if (o.auditTimezone !== undefined) validateZone(o.auditTimezone);
  if (o.etc) {
    let ok = false;
    try {
      ok = statSync(resolve(o.etc, 'linotp2')).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw new InputError(`--etc ${o.etc} has no linotp2 directory`, "give the old server's /etc (or a copy of it holding linotp2/ and apache2/); nothing was done");
  }
}

export async function runRehearsal(opts: RehearseOptions, hooks: StepHooks = {}): Promise<RehearsalReport> {
  const cwd = opts.cwd ?? process.cwd();
  const o: RehearseOptions = {
    ...opts,
    cwd,
    backup: resolve(cwd, opts.backup),
    ini: opts.ini ? resolve(cwd, opts.ini) : undefined,
    encKeyPath: opts.encKeyPath ? resolve(cwd, opts.encKeyPath) : undefined,
    accessLogs: opts.accessLogs?.map((f) => resolve(cwd, f)),
    etc: opts.etc ? resolve(cwd, opts.etc) : undefined,
  };
  preflight(o);
  const started = new Date();
  const run = new StepRunner(hooks);
  const s: RehearsalState = { opts: o, run, tables: [], details: {} };
  const targetInfo: RehearsalReport['target'] = { url: '', engine: '', scratch: !o.targetDb, kept: Boolean(o.keep), removed: false };
  try {
    // The target first: a refused or unreachable target stops everything before any work.
    await run.run('target', STEP_TITLES.target, async () => {
      const t = await openTarget({ targetDb: o.targetDb, yes: o.yes, tmpBase: o.tmpBase });
      s.target = t;
      Object.assign(targetInfo, { url: t.url, engine: t.engine });
      return { summary: t.scratch ? `scratch SQLite database ${t.url}` : `${t.engine} ${t.url}${t.before.length ? ` (not empty: ${t.before.length} table(s), --yes given)` : ' (empty)'}`, value: undefined };
    }, { required: true });
    if (o.ini) await run.run('config', STEP_TITLES.config, () => stepConfig(s));
    else run.skip('config', STEP_TITLES.config, 'not-requested', 'no --ini given');
    if (o.etc) await run.run('host', STEP_TITLES.host, async () => (await import('./host.js')).stepHost(s));
    else run.skip('host', STEP_TITLES.host, 'not-requested', 'no --etc given');
    await run.run('backup', STEP_TITLES.backup, () => stepBackup(s), { required: true });
    await run.run('restore', STEP_TITLES.restore, () => stepRestore(s), { required: true });
    await run.run('upgrade', STEP_TITLES.upgrade, () => stepUpgrade(s), { required: true });
    await run.run('encoding', STEP_TITLES.encoding, () => stepEncoding(s));
    if (o.auditTimezone) await run.run('audit', STEP_TITLES.audit, () => stepAudit(s));
    else run.skip('audit', STEP_TITLES.audit, 'not-requested', 'no --audit-timezone given');
    if (o.admin) await run.run('admin', STEP_TITLES.admin, () => stepAdmin(s));
    else run.skip('admin', STEP_TITLES.admin, 'not-requested', 'no --admin given');
    await run.run('verify', STEP_TITLES.verify, () => stepVerify(s), { required: true });
    if (o.accessLogs?.length) await run.run('api-check', STEP_TITLES['api-check'], () => stepApiCheck(s));
    else run.skip('api-check', STEP_TITLES['api-check'], 'not-requested', 'no --access-log given');
  } finally {
    if (s.target) {
      try {
        targetInfo.removed = await closeTarget(s.target, Boolean(o.keep));
      } catch (e) {
        run.warnings.push(`the scratch target could not be removed: ${describeError(e).message}`);
      }
      if (o.keep) run.warnings.push(`the target was kept: ${s.target.dir ? s.target.dir + '/linotp.db' : s.target.url}`);
    }
  }

  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of run.checks) counts[c.status]++;
  const operational = run.stoppedBy?.error?.kind === 'operational';
  const outcome = operational ? 'error' : counts.fail ? 'failed' : 'passed';
  const finished = new Date();
  const report: RehearsalReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: 'linotp-migrate', version: toolVersion() },
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: Math.round(finished.getTime() - started.getTime()) / 1000,
    outcome,
    ok: outcome === 'passed',
    exitCode: outcome === 'passed' ? 0 : outcome === 'failed' ? 3 : 1,
    input: {
      backup: o.backup,
      backupKind: s.backup?.report.kind,
      dumpDialect: s.backup?.report.dialect,
      modelVersion: s.backup?.report.modelVersion,
      ini: o.ini ?? null,
      encKey: s.key ? { source: s.key.source, fingerprint: s.key.fingerprint() } : null,
      accessLogs: o.accessLogs ?? [],
      admin: o.admin?.name ?? null,
    },
    target: targetInfo,
    steps: run.steps,
    checks: run.checks,
    counts,
    tables: s.tables,
    details: s.details,
    warnings: run.warnings,
    production: [],
  };
  report.production = productionCommands(report, o);
  return report;
}
