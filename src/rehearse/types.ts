/**
 * The rehearsal report: the document `rehearse --json` prints and report.json holds. Its schema is
 * documented field by field in docs/report-schema.md (keep both in step; a test compares them).
 */

export const REPORT_FORMAT = 'linotp-migrate-rehearsal';
export const REPORT_VERSION = 1;

export type StepId = 'target' | 'config' | 'host' | 'backup' | 'restore' | 'upgrade' | 'encoding' | 'audit' | 'admin' | 'verify' | 'api-check';

/**
 * ok: ran and succeeded; failed: ran and stopped the rehearsal; skipped: did not run — `reason`
 * says why: not asked for (no --ini, no --admin …), an earlier step failed, or the library
 * function it needs is not available in this build (never faked as success).
 */
export type StepStatus = 'ok' | 'failed' | 'skipped';
export type SkipReason = 'not-requested' | 'earlier-failure' | 'not-available';

export interface StepRecord {
  id: StepId;
  title: string;
  status: StepStatus;
  reason?: SkipReason;
  /** Wall-clock seconds (0 for skipped steps). */
  seconds: number;
  /** One line: what the step did or why it did not run. */
  summary: string;
  /** For a failed step: the error and what to fix. */
  error?: { message: string; hint?: string; kind: 'checks' | 'operational' };
}

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface RehearsalCheck {
  /** Stable id, e.g. `rows-preserved`, `verify.token-seeds`, `step.restore`. */
  id: string;
  /** The step whose result the check looks at. */
  step: StepId;
  title: string;
  status: CheckStatus;
  summary: string;
  /** Failing or notable items by name (tables, serials, ini keys, endpoints), at most 50. */
  items?: string[];
  hint?: string;
}

export interface TableCount {
  table: string;
  /** Rows in the backup. */
  backup: number;
  /** Rows in the scratch target after the whole upgrade (null when the table is absent). */
  after: number | null;
  /** Rows the upgrade removes or adds by design, with the reason. */
  expectedDelta: number;
  why?: string;
  ok: boolean;
}

export type Outcome = 'passed' | 'failed' | 'error';

export interface RehearsalReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  tool: { name: 'linotp-migrate'; version: string };
  startedAt: string;
  finishedAt: string;
  seconds: number;
  /** passed: every check passed (warnings allowed); failed: a check failed; error: an operational error stopped the run. */
  outcome: Outcome;
  ok: boolean;
  exitCode: 0 | 1 | 3;
  input: {
    backup: string;
    backupKind?: string;
    dumpDialect?: string;
    modelVersion?: string | null;
    ini: string | null;
    encKey: { source: string; fingerprint: string } | null;
    accessLogs: string[];
    admin: string | null;
  };
  target: { url: string; engine: string; scratch: boolean; kept: boolean; removed: boolean };
  steps: StepRecord[];
  checks: RehearsalCheck[];
  counts: Record<CheckStatus, number>;
  tables: TableCount[];
  /** Short step results worth reading (what changed). */
  details: {
    config?: { target: string; counts: Record<string, number>; needsAttention: { key: string; reason: string }[]; warnings: string[] };
    restore?: { rows: number; tables: number; seconds: number; crossEngine: boolean };
    upgrade?: { from: string | null; to: string; actions: { id: string; title: string }[]; warnings: string[] };
    encoding?: { repairedValues: number; changedRows: number; multiple: number; conflicts: number; samples: { where: string; before: string; after: string }[] };
    audit?: { timezone: string; total: number; converted: number; alreadyUtc: number; unparseable: number; ambiguous: number; nonexistent: number };
    admin?: { name: string; action: 'created' | 'password-reset' };
    verify?: { tokens: number; tokensByType: Record<string, number>; keyVerdict: string; valuesChecked: number; valuesFailed: number; mojibake: number; model: string | null };
    host?: { from: string; written: number; attention: string[]; notes: string[]; auditPairMatches: boolean | null; decisions: number };
    apiCheck?: { lines: number; apiCalls: number; rejected: { calls: number; findings: number }; deprecated: { calls: number; findings: number }; findings: { endpoint: string; method: string; verdict: string; count: number; clients: string[] }[] };
  };
  warnings: string[];
  /** The commands for the real upgrade on production, in order (placeholders in <angle brackets>). */
  production: string[];
}
