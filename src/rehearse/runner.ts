/**
 * The step runner: every step is timed and recorded; the first failing step stops the rehearsal
 * (later steps are recorded as skipped because of it). A step whose library function is missing
 * from this build is recorded as "skipped (not available)" — never as a success.
 */
import { ExitCode, KeyError, MigrateError, redactSecrets } from '../errors.js';
import type { RehearsalCheck, SkipReason, StepId, StepRecord } from './types.js';

/** Thrown by `requireFn` when a step's library function is not in this build. */
export class NotAvailableError extends Error {
  constructor(readonly what: string) {
    super(`${what} is not available in this build`);
  }
}

/**
 * Loads a library module lazily and returns one of its functions, or throws NotAvailableError when
 * the module or the function is missing (a step still being built by another engineer).
 */
export async function requireFn<M, K extends keyof M>(load: () => Promise<M>, name: K, what: string): Promise<M[K]> {
  let mod: M;
  try {
    mod = await load();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new NotAvailableError(what);
    throw e;
  }
  const fn = mod?.[name];
  if (typeof fn !== 'function') throw new NotAvailableError(what);
  return fn;
}

/** Thrown by a step after it recorded its own failing check(s): stop, but add no generic check. */
export class StepChecksFailed extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

export interface StepOutcome<T> {
  summary: string;
  value: T;
}

export interface StepHooks {
  onStepStart?: (id: StepId, title: string) => void;
  onStep?: (rec: StepRecord) => void;
}

const SKIP_TEXT: Record<SkipReason, string> = {
  'not-requested': 'not requested',
  'earlier-failure': 'not run: an earlier step failed',
  'not-available': 'not available in this build',
};

export class StepRunner {
  readonly steps: StepRecord[] = [];
  readonly checks: RehearsalCheck[] = [];
  readonly warnings: string[] = [];
  /** The step that stopped the run, if any. */
  stoppedBy?: StepRecord;

  constructor(private readonly hooks: StepHooks = {}) {}

  get stopped(): boolean {
    return this.stoppedBy !== undefined;
  }

  addCheck(c: RehearsalCheck): void {
    this.checks.push(c);
  }

  skip(id: StepId, title: string, reason: SkipReason, summary?: string): void {
    this.record({ id, title, status: 'skipped', reason, seconds: 0, summary: summary ?? SKIP_TEXT[reason] });
  }

  /**
   * Runs one step. `required`: a step the rehearsal cannot do without (its absence fails the run);
   * optional steps that are not available are skipped with a warning and the run goes on.
   */
  async run<T>(id: StepId, title: string, body: () => Promise<StepOutcome<T>>, opts: { required?: boolean } = {}): Promise<T | undefined> {
    if (this.stopped) {
      this.skip(id, title, 'earlier-failure');
      return undefined;
    }
    this.hooks.onStepStart?.(id, title);
    const started = process.hrtime.bigint();
    const seconds = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000;
    const failingBefore = this.checks.filter((c) => c.status === 'fail').length;
    try {
      const out = await body();
      this.record({ id, title, status: 'ok', seconds: seconds(), summary: out.summary });
      return out.value;
    } catch (err) {
      if (err instanceof NotAvailableError) {
        const rec: StepRecord = { id, title, status: 'skipped', reason: 'not-available', seconds: seconds(), summary: `${err.what}: ${SKIP_TEXT['not-available']}` };
        this.record(rec);
        this.warnings.push(`step ${id} was skipped: ${err.message}`);
        this.addCheck({
          id: `step.${id}`,
          step: id,
          title: `${title}: available`,
          status: opts.required ? 'fail' : 'skip',
          summary: rec.summary,
          hint: opts.required ? 'the rehearsal cannot be complete without this step; use a build of linotp-migrate that has it' : undefined,
        });
        if (opts.required) this.stoppedBy = rec;
        return undefined;
      }
      const { message, hint: given, kind } = describeError(err);
      const own = this.checks.filter((c) => c.status === 'fail').slice(failingBefore);
      // A step that recorded its own failing check: that check's hint is the fix.
      const hint = given ?? own.find((c) => c.hint)?.hint;
      const rec: StepRecord = { id, title, status: 'failed', seconds: seconds(), summary: message, error: { message, hint, kind } };
      this.record(rec);
      this.stoppedBy = rec;
      const ownFailures = own.length > 0;
      if (!ownFailures) this.addCheck({ id: `step.${id}`, step: id, title: `${title}: completed`, status: 'fail', summary: message, hint });
      return undefined;
    }
  }

  private record(rec: StepRecord): void {
    this.steps.push(rec);
    this.hooks.onStep?.(rec);
  }
}

/** One line for the report; `checks` when the data or key is at fault (exit 3), else operational (exit 1). */
export function describeError(err: unknown): { message: string; hint?: string; kind: 'checks' | 'operational' } {
  if (err instanceof StepChecksFailed) return { message: redactSecrets(err.message), hint: err.hint, kind: 'checks' };
  if (err instanceof MigrateError) {
    const kind = err.exitCode === ExitCode.ChecksFailed || err instanceof KeyError ? 'checks' : 'operational';
    return { message: redactSecrets(err.message), hint: err.hint ? redactSecrets(err.hint) : undefined, kind };
  }
  const e = err as Error;
  return { message: redactSecrets(`unexpected failure: ${e?.message ?? String(err)}`), hint: 'run again with -v and report this as a bug', kind: 'operational' };
}
