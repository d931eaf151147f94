/**
 * `admin fix-db-encoding`: repairs latin1/utf8 mojibake value by value in every text column of
 * LinOTP's tables, on MySQL/MariaDB, PostgreSQL and SQLite (mis-encoded text travels along with a
 * cross-engine restore). Plan first (what is there, what would change); with dryRun nothing is
 * written. The `linotp.utf8_conversion` marker LinOTP's step 3.0.0.0 leaves is removed after a
 * complete run like LinOTP does — but the repair runs whether or not it is present.
 */
import { jobsFor } from '../db/lanes.js';
import type { Db } from '../db/types.js';
import { UNREPLICATED_HINT, unreplicatedMessage, unreplicatedTables, writeSetRows } from '../db/cluster.js';
import { describeDbUrl } from '../db/url.js';
import { DatabaseError } from '../errors.js';
import { processTable, type FixState, type TableResult, type ValueChange } from './fix.js';
import { integerKey } from './mysql-pass.js';
import { conversionSql, planCharsetConversions, type CharsetConversion, type KeptCharset } from './mysql-charset.js';
import { findTargets } from './targets.js';

export const UTF8_CONVERSION_KEY = 'linotp.utf8_conversion';
export const LOCK_PURPOSE = 'admin fix-db-encoding';
/** Rows per page and transaction: large enough that commits do not dominate, small enough for memory. */
export const DEFAULT_PAGE_SIZE = 5000;

export interface ProgressSink {
  tick(n: number): void;
  finish(): void;
}

export interface FixEncodingOptions {
  dryRun?: boolean;
  /** Restrict to these LinOTP tables (case-insensitive). */
  tables?: string[];
  /** Collect up to this many before → after examples. */
  samples?: number;
  /** Also repair values encoded three or more times (down to the innermost text). */
  repairMultiple?: boolean;
  /** Rows per page / transaction (default 5000). */
  pageSize?: number;
  /** MySQL: pages repaired at once over their own connections (default: the CPU count, at most 6). */
  jobs?: number;
  /** MySQL: also convert utf8mb3 tables that no repair needs in utf8mb4 (a table rebuild each). */
  utf8mb4?: boolean;
  progress?: (table: string, rows: number) => ProgressSink;
  /** Called before the first change (after validation), e.g. to confirm. */
  beforeApply?: (plan: { conversions: CharsetConversion[]; tables: string[] }) => Promise<void>;
}

export interface FixEncodingReport {
  dryRun: boolean;
  database: { url: string; engine: string };
  marker: { present: boolean; removed: boolean };
  /** MySQL tables converted (or, in a dry run, to convert) to utf8mb4. */
  charsetConversions: CharsetConversion[];
  /** MySQL utf8mb3 tables left as they are: no value needs a 4-byte character (`utf8mb4` converts them too). */
  charsetKept: KeptCharset[];
  tables: TableResult[];
  totals: { rows: number; repairedValues: number; changedRows: number; multiple: number; conflicts: number };
  samples: ValueChange[];
  multiple: ValueChange[];
  conflicts: (ValueChange & { reason: string })[];
  seconds: number;
  /**
   * Where the time went, in seconds: checking before any change (tables, key lengths, which
   * utf8mb3 tables need utf8mb4), the utf8mb4 table conversion (MySQL), reading and deciding
   * per value, and writing the repairs (the three can overlap: the next page is read while one is
   * written, and that read counts as deciding only while it is waited for). On MySQL the server's
   * own decide-and-repair UPDATEs (src/encoding/mysql-pass.ts) count as updating.
   */
  phases: { checking: number; converting: number; deciding: number; updating: number };
}

async function markerPresent(db: Db, configTable: string | undefined): Promise<boolean> {
  if (!configTable) return false;
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query<{ k: string }>(`SELECT ${q('Key')} AS k FROM ${q(configTable)} WHERE ${q('Key')} = ?`, [UTF8_CONVERSION_KEY]);
  return rows.some((r) => r.k === UTF8_CONVERSION_KEY);
}

const secs = (ms: number) => Math.round(ms / 10) / 100;

/**
 * The second pass over a table converted while repairing adds its repairs (rows held back in the
 * first pass, so nothing is counted twice); what both passes see and leave — values encoded three
 * times, key conflicts — counts as the second pass found it.
 */
function mergeSecondPass(first: TableResult, second: TableResult, state: FixState): void {
  for (const [col, n] of Object.entries(second.repaired)) first.repaired[col] = (first.repaired[col] ?? 0) + n;
  first.changedRows += second.changedRows;
  first.examined += second.examined;
  const overlap = first.multiple + first.conflicts;
  first.multiple = second.multiple;
  first.conflicts = second.conflicts;
  if (overlap) {
    const once = <T extends ValueChange>(list: T[]) => list.filter((x, i) => list.findIndex((y) => y.table === x.table && y.column === x.column && y.key === x.key) === i);
    state.multipleSamples.splice(0, Infinity, ...once(state.multipleSamples));
    state.conflicts.splice(0, Infinity, ...once(state.conflicts));
  }
}

export async function runFixEncoding(db: Db, opts: FixEncodingOptions = {}): Promise<FixEncodingReport> {
  const started = Date.now();
  const t00 = performance.now();
  const dryRun = Boolean(opts.dryRun);
  const targets = await findTargets(db, opts.tables);
  const configTable = (await db.listTables()).find((t) => t.toLowerCase() === 'config');
  if (!configTable) throw new DatabaseError(`no LinOTP tables in ${describeDbUrl(db.url)} (there is no Config table)`, 'check the database URI');
  // Validation before any change: MySQL key lengths, the --tables names (findTargets), Galera engines.
  const unreplicated = await unreplicatedTables(db, targets.map((t) => t.stored));
  if (unreplicated.length) throw new DatabaseError(`${unreplicatedMessage(unreplicated)}; nothing was changed`, UNREPLICATED_HINT);
  const { conversions, kept, deferred } = await planCharsetConversions(db, targets, {
    allUtf8mb3: Boolean(opts.utf8mb4 || opts.repairMultiple),
    checkWhileRepairing: (t) => integerKey(t) !== undefined,
  });
  // On Galera a page's updates are one write set: keep it under wsrep_max_ws_rows.
  const wsRows = writeSetRows(await db.cluster());
  const present = await markerPresent(db, configTable);
  const checkingMs = performance.now() - t00;

  const state: FixState = {
    apply: !dryRun,
    charsets: new Map(),
    holdFourByte: new Set(deferred.keys()),
    needsUtf8mb4: new Set(),
    repairMultiple: Boolean(opts.repairMultiple),
    pageSize: Math.min(opts.pageSize ?? DEFAULT_PAGE_SIZE, wsRows),
    jobs: jobsFor(opts.jobs),
    samplesWanted: opts.samples ?? 0,
    samples: [],
    multipleSamples: [],
    conflicts: [],
    ms: { deciding: 0, updating: 0 },
  };
  let convertingMs = 0;
  const results: TableResult[] = [];
  let removed = false;

  const work = async () => {
    if (!dryRun) {
      await opts.beforeApply?.({ conversions, tables: targets.map((t) => t.stored) });
      // DDL commits implicitly on MySQL; the conversion is lossless, so a crash after it is harmless.
      const t0 = performance.now();
      for (const c of conversions) await db.execute(conversionSql(db, c));
      convertingMs = performance.now() - t0;
    }
    // The SQL decision reads each column in its own character set (after the conversion).
    if (db.engine === 'mysql') for (const t of targets) state.charsets.set(t.stored, new Map((await db.listColumns(t.stored)).map((c) => [c.name, c.charset])));
    for (const t of targets) {
      const q = db.dialect.quoteIdent;
      const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM ${q(t.stored)}`);
      const bar = opts.progress?.(t.def.name, Number(n));
      let ticked = 0;
      state.onRows = (k) => {
        const step = Math.min(k, Number(n) - ticked);
        ticked += step;
        if (step > 0) bar?.tick(step);
      };
      const r = await processTable(db, t, state, Number(n));
      state.onRows(Number(n) - ticked); // rows the server filtered out or repaired itself were decided too
      bar?.finish();
      const deferredConversion = deferred.get(t.stored);
      if (deferredConversion && state.needsUtf8mb4.has(t.stored)) {
        // A repair needs a 4-byte character: convert, then repair the rows that were held back.
        kept.splice(kept.findIndex((k) => k.table === t.stored), 1);
        conversions.push(deferredConversion);
        state.holdFourByte.delete(t.stored);
        if (!dryRun) {
          const t0 = performance.now();
          await db.execute(conversionSql(db, deferredConversion));
          convertingMs += performance.now() - t0;
          state.charsets.set(t.stored, new Map((await db.listColumns(t.stored)).map((c) => [c.name, c.charset])));
          mergeSecondPass(r, await processTable(db, t, state, Number(n)), state);
        }
      }
      results.push(r);
    }
    // Like LinOTP: the marker goes when the conversion is done — only after a full, clean run.
    if (!dryRun && present && !opts.tables?.length && state.conflicts.length === 0) {
      const q = db.dialect.quoteIdent;
      await db.execute(`DELETE FROM ${q(configTable)} WHERE ${q('Key')} = ?`, [UTF8_CONVERSION_KEY]);
      removed = true;
    }
  };
  if (dryRun) await work();
  else await db.withLock(LOCK_PURPOSE, work);

  const sum = (f: (r: TableResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    dryRun,
    database: { url: describeDbUrl(db.url), engine: db.engine },
    marker: { present, removed },
    charsetConversions: conversions,
    charsetKept: kept,
    tables: results,
    totals: {
      rows: sum((r) => r.rows),
      repairedValues: sum((r) => Object.values(r.repaired).reduce((a, b) => a + b, 0)),
      changedRows: sum((r) => r.changedRows),
      multiple: sum((r) => r.multiple),
      conflicts: sum((r) => r.conflicts),
    },
    samples: state.samples,
    multiple: state.multipleSamples,
    conflicts: state.conflicts,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    phases: { checking: secs(checkingMs), converting: secs(convertingMs), deciding: secs(state.ms.deciding), updating: secs(state.ms.updating) },
  };
}
