/**
 * Ready-made pieces for the commands that own the upgrade and the checks:
 * - `init database --audit-timezone ZONE` (src/upgrade, src/cli/init.ts): `planAuditTimezone` gives the
 *   planned action (or, without a zone, the warning that old rows stay in local time) and
 *   `applyAuditTimezone` runs it inside init's own lock;
 * - `verify [--audit-public-key FILE]` (src/verify): `auditChecks` gives its CheckResult entries.
 * Each takes the database that holds the audit table (the main one, or the AUDIT_DATABASE_URI one).
 */
import type { Db } from '../db/types.js';
import type { CheckResult } from '../verify/types.js';
import { checkLinotp2Signatures, countLinotp2Signatures } from './signatures.js';
import { findAuditTable, DEFAULT_AUDIT_TABLE, type ProgressSink } from './table.js';
import { type AmbiguousRule, validateZone } from './timezone.js';
import { applyToUtc, countAuditTimestampForms, planToUtc, type TimestampSample } from './to-utc.js';

export interface AuditTimezoneAction {
  title: string;
  effects: Record<string, number>;
  notes: string[];
  changesData: boolean;
}

export interface AuditTimezonePlan {
  /** The action to list in the plan (absent when there is no audit table or nothing to convert). */
  action?: AuditTimezoneAction;
  /** A line for plan.warnings (no zone given but local rows exist; signatures that conversion makes uncheckable). */
  warnings: string[];
}

function sampleNote(s: TimestampSample): string {
  return `id ${s.id}: ${s.before ?? 'NULL'} → ${s.after ?? '(unchanged)'}`;
}

/**
 * For `init database [--plan]`. With no zone: refuse to guess, report how many rows stay local.
 * Changes nothing. A zone that is not an IANA name throws UsageError (call it before opening anything
 * if possible: `validateZone`).
 */
export async function planAuditTimezone(
  db: Db,
  /** `rowsOf`: the caller's count of the table found here, if it has one (saves a second full count of it). */
  opts: { timezone?: string; ambiguous?: AmbiguousRule; table?: string; rowsOf?: (table: string) => Promise<number> | undefined } = {},
): Promise<AuditTimezonePlan> {
  const zone = opts.timezone === undefined ? undefined : validateZone(opts.timezone);
  const table = await findAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  if (!table) return { warnings: [] };
  if (!zone) {
    const forms = await countAuditTimestampForms(db, { table, total: opts.rowsOf?.(table) });
    if (forms.local === 0) return { warnings: [] };
    return {
      warnings: [
        `${forms.local} audit rows carry LinOTP 2 local timestamps, which LinOTP 3 shows as UTC: give --audit-timezone ZONE (the old server's zone, e.g. Europe/Berlin) to convert them; it is never guessed`,
      ],
    };
  }
  const plan = await planToUtc(db, { timezone: zone, ambiguous: opts.ambiguous, table });
  const warnings: string[] = [];
  if (plan.signedToConvert > 0) {
    warnings.push(`${plan.signedToConvert} audit rows to convert carry LinOTP 2 signatures over the local time; check and seal them first (linotp-migrate audit seal), afterwards they cannot be checked`);
  }
  if (plan.unparseable > 0) warnings.push(`${plan.unparseable} audit timestamps are neither LinOTP 2 nor LinOTP 3 form; they are left unchanged`);
  if (plan.toConvert === 0) return { warnings };
  const notes = [...plan.samples.slice(0, 3), ...plan.ambiguousSamples.slice(0, 2), ...plan.nonexistentSamples.slice(0, 2)].map(sampleNote);
  if (plan.ambiguous) notes.push(`${plan.ambiguous} times fall in the repeated hour at the end of DST: placed by ${plan.ambiguousRule === 'order' ? 'row order' : `the ${plan.ambiguousRule} instant`}`);
  if (plan.nonexistent) notes.push(`${plan.nonexistent} times fall in the hour skipped at the start of DST: read with the offset before the change`);
  return {
    action: {
      title: `convert LinOTP 2 audit timestamps from ${zone} to UTC (LinOTP 3 form)`,
      effects: {
        auditRowsToConvert: plan.toConvert,
        auditRowsAlreadyUtc: plan.alreadyUtc,
        auditRowsUnparseable: plan.unparseable,
        ambiguous: plan.ambiguous,
        nonexistent: plan.nonexistent,
      },
      notes,
      changesData: true,
    },
    warnings,
  };
}

/**
 * For `init database` apply. Runs without taking its own lock (init holds the database lock; on SQLite a
 * second lock on the same file would fail). Resumable and idempotent like `audit to-utc`.
 */
export async function applyAuditTimezone(
  db: Db,
  opts: { timezone: string; ambiguous?: AmbiguousRule; table?: string; progress?: ProgressSink },
): Promise<Record<string, number>> {
  const table = await findAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  if (!table) return { auditRowsConverted: 0 };
  const r = await applyToUtc(db, { timezone: opts.timezone, ambiguous: opts.ambiguous, table, progress: opts.progress, lock: false });
  return { auditRowsConverted: r.converted, ambiguous: r.ambiguous, nonexistent: r.nonexistent, auditRowsUnparseable: r.unparseable, rowsPerSecond: r.rowsPerSecond };
}

/**
 * For `verify`: 'audit-timestamps' and 'audit-signatures' entries. Without a key the signature entry
 * only counts (one query); with LinOTP 2's public key it checks every row (fail on invalid rows).
 */
export async function auditChecks(db: Db, opts: { publicKeyPem?: string; table?: string; progress?: ProgressSink; itemLimit?: number } = {}): Promise<CheckResult[]> {
  const table = await findAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  if (!table) {
    return [
      {
        id: 'audit-signatures',
        title: 'LinOTP 2 audit trail',
        status: 'skip',
        summary: `no ${opts.table ?? DEFAULT_AUDIT_TABLE} table in this database`,
        hint: 'the audit trail may live elsewhere (LinOTP 2 linotpAudit.sql.url, LinOTP 3 AUDIT_DATABASE_URI)',
      },
    ];
  }
  const forms = await countAuditTimestampForms(db, { table });
  const out: CheckResult[] = [
    forms.local > 0
      ? {
          id: 'audit-timestamps',
          title: 'audit timestamps in UTC',
          status: 'warn',
          summary: `${forms.local} of ${forms.total} audit rows carry LinOTP 2 local times; LinOTP 3 shows them as UTC`,
          checked: forms.total,
          failed: forms.local,
          hint: 'convert them: linotp-migrate audit to-utc --timezone ZONE (or init database --audit-timezone ZONE)',
        }
      : { id: 'audit-timestamps', title: 'audit timestamps in UTC', status: 'pass', summary: `all ${forms.total} audit rows in LinOTP 3 form`, checked: forms.total, failed: 0 },
  ];
  if (!opts.publicKeyPem) {
    const c = await countLinotp2Signatures(db, { table });
    out.push({
      id: 'audit-signatures',
      title: 'LinOTP 2 audit signatures',
      status: c.linotp2Signed > 0 ? 'warn' : 'pass',
      summary:
        c.linotp2Signed > 0
          ? `${c.linotp2Signed} audit rows carry LinOTP 2 signatures, which LinOTP 3 reports as invalid`
          : 'no audit rows with LinOTP 2 signatures',
      checked: c.total,
      hint: c.linotp2Signed > 0 ? 'check them once with --audit-public-key /etc/linotp2/public.pem, and seal the result with linotp-migrate audit seal' : undefined,
    });
    return out;
  }
  const limit = opts.itemLimit ?? 50;
  const r = await checkLinotp2Signatures(db, opts.publicKeyPem, { table, maxInvalidIds: limit, progress: opts.progress });
  out.push({
    id: 'audit-signatures',
    title: 'LinOTP 2 audit signatures',
    status: r.invalid > 0 ? 'fail' : 'pass',
    summary: `${r.valid} valid, ${r.invalid} invalid, ${r.unverifiable} unverifiable (${r.unverifiableReasons.unsigned} unsigned, ${r.unverifiableReasons.linotp3Timestamp} UTC-dated)`,
    checked: r.valid + r.invalid,
    failed: r.invalid,
    items: r.invalidIds.map((id) => `audit id ${id}`),
    moreItems: r.invalidIdsTruncated ? Math.max(0, r.invalid - r.invalidIds.length) : undefined,
    hint: r.invalid > 0 ? 'these rows changed after LinOTP 2 wrote them, or were signed with another key' : undefined,
  });
  return out;
}
