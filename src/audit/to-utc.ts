/**
 * `audit to-utc`: rewrite LinOTP 2 local audit timestamps as LinOTP 3 UTC timestamps.
 *
 * plan  — one streamed read (db.stream, bounded memory): counts and a few samples, changes nothing.
 * apply — under a lock, pages of rows by id (keyset: `id > last ORDER BY id LIMIT n`), each page's
 *         changes written by keyed UPDATEs in one transaction. Every row is either in the old or the
 *         new form at any moment, so a killed run is finished by running it again, and a second run
 *         changes nothing (rows already in LinOTP 3 form are skipped).
 *
 * Why pages and not one stream for apply: on SQLite the stream holds the only connection, and on
 * MySQL/PostgreSQL a cursor open across many write transactions pins an old snapshot for the whole run.
 */
import { writeSetRows } from '../db/cluster.js';
import type { Db, Row, SqlValue } from '../db/types.js';
import { type AmbiguousRule, ZoneConverter, isLinotp3Timestamp } from './timezone.js';
import { DEFAULT_AUDIT_TABLE, type ProgressSink, announceTotal, idValue, requireAuditTable, toCount } from './table.js';

export interface ToUtcOptions {
  /** IANA zone LinOTP 2 wrote its local times in, e.g. Europe/Berlin. */
  timezone: string;
  ambiguous?: AmbiguousRule;
  /** Audit table name (LinOTP 2 `linotpAudit.sql.table_prefix` + `audit`). */
  table?: string;
  /** Samples per kind in the plan (default 5). */
  samples?: number;
  /** Rows per read page / write transaction (default 5000). */
  pageSize?: number;
  progress?: ProgressSink;
  /** Take the `audit-to-utc` lock (default true). Pass false when the caller already holds its own lock on this database. */
  lock?: boolean;
}

export interface TimestampSample {
  id: number | string;
  before: string | null;
  after?: string;
}

export interface ToUtcPlan {
  table: string;
  timezone: string;
  ambiguousRule: AmbiguousRule;
  total: number;
  /** Rows in LinOTP 2 form that would be (or were) rewritten. */
  toConvert: number;
  /** Rows already in LinOTP 3 form (left alone). */
  alreadyUtc: number;
  /** Neither form (or NULL): counted, reported, never changed. */
  unparseable: number;
  /** Local times in the repeated hour (DST end), resolved by `ambiguousRule` (see timezone.ts). */
  ambiguous: number;
  /** Local times in the skipped hour (DST start), read with the offset before the change. */
  nonexistent: number;
  /** Rows to convert that carry a signature: it covers the local timestamp and cannot be checked afterwards. */
  signedToConvert: number;
  samples: TimestampSample[];
  ambiguousSamples: TimestampSample[];
  nonexistentSamples: TimestampSample[];
  unparseableSamples: TimestampSample[];
}

export interface ToUtcResult extends ToUtcPlan {
  /** Rows actually updated by this run. */
  converted: number;
  elapsedMs: number;
  rowsPerSecond: number;
}

class Tally {
  readonly plan: ToUtcPlan;
  private readonly max: number;
  /** Instant of the previous row in id order (converted or already UTC), for the 'order' rule. */
  private previousMs: number | undefined;

  constructor(table: string, readonly conv: ZoneConverter, samples: number) {
    this.max = samples;
    this.plan = {
      table,
      timezone: conv.zone,
      ambiguousRule: conv.ambiguous,
      total: 0,
      toConvert: 0,
      alreadyUtc: 0,
      unparseable: 0,
      ambiguous: 0,
      nonexistent: 0,
      signedToConvert: 0,
      samples: [],
      ambiguousSamples: [],
      nonexistentSamples: [],
      unparseableSamples: [],
    };
  }

  /** Classifies one row; returns the new value when it must change. */
  see(row: Row): string | undefined {
    const p = this.plan;
    p.total++;
    const raw = row.ts;
    const value = raw === null || raw === undefined ? null : String(raw);
    if (value !== null && isLinotp3Timestamp(value)) {
      p.alreadyUtc++;
      // A row converted by an earlier (killed) run keeps the 'order' rule consistent on resume.
      this.previousMs = Date.parse(value);
      return undefined;
    }
    const c = value === null ? undefined : this.conv.convert(value, this.previousMs);
    if (!c) {
      p.unparseable++;
      if (p.unparseableSamples.length < this.max) p.unparseableSamples.push({ id: idValue(row.id), before: value });
      return undefined;
    }
    p.toConvert++;
    this.previousMs = c.epochMs;
    if (toCount(row.signed) > 0) p.signedToConvert++;
    const sample = { id: idValue(row.id), before: value, after: c.utc };
    if (c.resolution === 'ambiguous') {
      p.ambiguous++;
      if (p.ambiguousSamples.length < this.max) p.ambiguousSamples.push(sample);
    } else if (c.resolution === 'nonexistent') {
      p.nonexistent++;
      if (p.nonexistentSamples.length < this.max) p.nonexistentSamples.push(sample);
    } else if (p.samples.length < this.max) {
      p.samples.push(sample);
    }
    return c.utc;
  }
}

function selectList(db: Db): string {
  const q = db.dialect.quoteIdent;
  return `${q('id')} AS id, ${q('timestamp')} AS ts, CASE WHEN ${q('signature')} IS NULL OR ${q('signature')} = '' THEN 0 ELSE 1 END AS signed`;
}

/** What `apply` would do. Reads every row once through db.stream; changes nothing. */
export async function planToUtc(db: Db, opts: ToUtcOptions): Promise<ToUtcPlan> {
  const conv = new ZoneConverter(opts.timezone, opts.ambiguous ?? 'order');
  const table = await requireAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  const tally = new Tally(table, conv, opts.samples ?? 5);
  await announceTotal(db, table, opts.progress);
  const sql = `SELECT ${selectList(db)} FROM ${db.dialect.quoteIdent(table)} ORDER BY ${db.dialect.quoteIdent('id')}`;
  for await (const batch of db.stream(sql, [], { batchSize: opts.pageSize ?? 5000 })) {
    for (const row of batch) tally.see(row);
    opts.progress?.tick(batch.length);
  }
  opts.progress?.finish?.();
  return tally.plan;
}

/** Rows per UPDATE statement: 3 parameters each stays far below every engine's parameter limit. */
const UPDATE_CHUNK = 1000;

/** Rewrites every LinOTP 2 timestamp; returns the counts of this run (plus what it left alone). */
export async function applyToUtc(db: Db, opts: ToUtcOptions): Promise<ToUtcResult> {
  const conv = new ZoneConverter(opts.timezone, opts.ambiguous ?? 'order');
  const table = await requireAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  const run = () => convertAll(db, table, conv, opts);
  return opts.lock === false ? run() : db.withLock('audit to-utc', run);
}

async function convertAll(db: Db, table: string, conv: ZoneConverter, opts: ToUtcOptions): Promise<ToUtcResult> {
  const started = Date.now();
  const q = db.dialect.quoteIdent;
  // A page's UPDATEs are one transaction, on Galera one write set: under wsrep_max_ws_rows.
  const pageSize = Math.max(1, Math.min(Math.floor(opts.pageSize ?? 5000), writeSetRows(await db.cluster())));
  const tally = new Tally(table, conv, opts.samples ?? 5);
  await announceTotal(db, table, opts.progress);
  const first = `SELECT ${selectList(db)} FROM ${q(table)} ORDER BY ${q('id')} LIMIT ${pageSize}`;
  const next = `SELECT ${selectList(db)} FROM ${q(table)} WHERE ${q('id')} > ? ORDER BY ${q('id')} LIMIT ${pageSize}`;
  let converted = 0;
  let lastId: SqlValue | undefined;
  for (;;) {
    const rows = lastId === undefined ? await db.query(first) : await db.query(next, [lastId]);
    if (rows.length === 0) break;
    const changes: [SqlValue, string][] = [];
    for (const row of rows) {
      const utc = tally.see(row);
      if (utc !== undefined) changes.push([row.id, utc]);
    }
    if (changes.length) {
      converted += await db.transaction(async (tx) => {
        let n = 0;
        for (let i = 0; i < changes.length; i += UPDATE_CHUNK) n += await updateChunk(tx, table, changes.slice(i, i + UPDATE_CHUNK));
        return n;
      });
    }
    opts.progress?.tick(rows.length);
    lastId = rows[rows.length - 1].id;
    if (rows.length < pageSize) break;
  }
  opts.progress?.finish?.();
  const elapsedMs = Date.now() - started;
  return { ...tally.plan, converted, elapsedMs, rowsPerSecond: elapsedMs > 0 ? Math.round((tally.plan.total * 1000) / elapsedMs) : tally.plan.total };
}

/**
 * One keyed UPDATE for many rows: `SET timestamp = CASE id WHEN ? THEN ? … END WHERE id IN (…)`.
 * The WHERE also requires the old form (no `+00:00` suffix), so a row can never be converted twice.
 */
async function updateChunk(tx: Db, table: string, changes: [SqlValue, string][]): Promise<number> {
  const q = tx.dialect.quoteIdent;
  const params: SqlValue[] = [];
  let cases = '';
  for (const [id, utc] of changes) {
    cases += ' WHEN ? THEN ?';
    params.push(id, utc);
  }
  params.push(...changes.map(([id]) => id));
  const sql =
    `UPDATE ${q(table)} SET ${q('timestamp')} = CASE ${q('id')}${cases} END ` +
    `WHERE ${q('id')} IN (${changes.map(() => '?').join(',')}) AND NOT (${tx.dialect.endsWith(q('timestamp'), '+00:00')})`;
  return tx.execute(sql, params);
}

export interface TimestampForms {
  table: string;
  total: number;
  /** Rows in LinOTP 3's UTC form (`…+00:00`). */
  utc: number;
  /** Everything else: LinOTP 2 local times (and the odd unparseable value) — what `--audit-timezone` / `audit to-utc` would look at. */
  local: number;
}

/**
 * No zone needed: how many rows are still in local time. For `init database --plan` without
 * `--audit-timezone` (refuse to guess, but report) and for `verify`. Two plain counts rather than one
 * `SUM(CASE … LIKE …)`: the bare COUNT(*) reads the smallest index, the filtered one only the
 * timestamp index, and on 1M MariaDB rows both together took ~0.4 s against ~0.6 s for the
 * aggregate. A caller that has just counted the table (init's plan, step 3.0.0.0) passes `total`.
 */
export async function countAuditTimestampForms(db: Db, opts: { table?: string; total?: number | Promise<number> } = {}): Promise<TimestampForms> {
  const table = await requireAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  const q = db.dialect.quoteIdent;
  // Both scans at once (two pooled connections): neither needs the other's result.
  const [total, utc] = await Promise.all([
    opts.total ?? db.query(`SELECT COUNT(*) AS n FROM ${q(table)}`).then((rows) => toCount(rows[0]?.n)),
    db.query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${db.dialect.endsWith(q('timestamp'), '+00:00')}`).then((rows) => toCount(rows[0]?.n)),
  ]);
  return { table, total, utc, local: total - utc };
}
