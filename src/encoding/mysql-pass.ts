/**
 * MySQL/MariaDB, tables with an integer primary key (Token, audit, …): the ordinary double-encoded
 * values of the non-key columns are repaired by the server in one UPDATE per range of ids, deciding
 * per value in SQL (src/encoding/mysql-decide.ts) — no value travels to Node and back. What SQL
 * leaves (multiple encodings, C1 results, key columns) is then decided by src/encoding/fix.ts.
 *
 * Each range is one statement and so one transaction of at most `pageSize` rows (Galera's write-set
 * limit): a kill leaves each range old or repaired, and a re-run repairs what is left, because a
 * repaired value never satisfies `serverRepair` again. The decision is made on the row as the
 * UPDATE locks it, so a value changed meanwhile is judged as it is then.
 *
 * Per-column counts come from user variables incremented inside the CASE (evaluated once per
 * updated row and column, only where the repair happens).
 */
import { Lanes } from '../db/lanes.js';
import type { Db, SqlValue } from '../db/types.js';
import { classify } from './repair.js';
import { mysqlDecision, rowNeedsUtf8mb4Sql } from './mysql-decide.js';
import type { FixState, TableResult } from './state.js';
import type { TargetTable } from './targets.js';

/** The table's single integer primary key, when it has one (else the server pass does not apply). */
export function integerKey(t: TargetTable): string | undefined {
  if (t.pk.length !== 1) return undefined;
  const col = t.def.columns.find((c) => c.name === t.pk[0]);
  return col?.type.kind === 'int' ? col.name : undefined;
}

/**
 * Repairs (or, in a dry run, counts) the server-decidable values of `columns`. Returns how many
 * candidates it left to Node (multiple encodings, C1 results): when none, the table needs no
 * second scan for these columns.
 */
export async function mysqlServerPass(db: Db, t: TargetTable, key: string, columns: string[], totalRows: number, state: FixState, result: TableResult): Promise<number> {
  if (!columns.length) return 0;
  const q = (n: string) => db.dialect.quoteIdent(n);
  const table = q(t.stored);
  const k = q(key);
  const charset = (c: string) => state.charsets.get(t.stored)?.get(c);
  const decisions = columns.map((c) => mysqlDecision(q(c), charset(c)));
  // A utf8mb3 table checked while repairing: a row with a repair needing 4 bytes is left whole (and
  // counted), so that after the conversion the second pass repairs it and counts it once.
  const hold = state.holdFourByte.has(t.stored) ? rowNeedsUtf8mb4Sql(columns.map((c) => [q(c), charset(c)])) : undefined;
  const anyRepair = '(' + decisions.map((d) => d.serverRepair).join(' OR ') + ')';
  // Rows with no non-ASCII value need no decision at all (cheap: byte and character lengths).
  const anyNonAscii = '(' + columns.map((c) => `LENGTH(${q(c)}) <> CHAR_LENGTH(${q(c)})`).join(' OR ') + ')';
  // Candidates the server leaves to Node (evaluated only where serverRepair failed).
  const leftFor = (d: ReturnType<typeof mysqlDecision>) => `(NOT ${d.serverRepair} AND ${d.candidate})`;
  const [bounds] = await db.query<{ lo: SqlValue; hi: SqlValue }>(`SELECT MIN(${k}) AS lo, MAX(${k}) AS hi FROM ${table}`);
  if (bounds?.lo == null) return 0;
  const min = Number(bounds.lo);
  const max = Number(bounds.hi);
  const rowsPerId = totalRows / (max - min + 1);
  let left = 0;
  const span = Math.max(1, state.pageSize);
  // Ranges over `jobs` connections at once (each range's transaction takes one from the pool).
  const lanes = new Lanes(Array.from({ length: Math.max(1, state.jobs) }, () => db));
  const t0 = performance.now();
  const one = async (lane: Db, range: string) => {
    if (state.samples.length < state.samplesWanted) await collectSamples(lane, t, key, columns, decisions, range, state);
    if (state.apply) {
      await lane.transaction(async (tx) => {
        const vars = columns.map((_, i) => `@lm_fix_${i}`);
        await tx.execute(`SET ${vars.map((v) => `${v} = 0`).join(', ')}, @lm_rows = 0, @lm_last = NULL, @lm_left = 0, @lm_held = 0, @lm_hold = 0`);
        // Counting inside the CASE (value by value, and a row when its key is new) saves evaluating
        // the decision a second time in the WHERE; it runs only where the repair happens.
        const count = (v: string) => `(${v} := ${v} + 1) AND ((@lm_rows := @lm_rows + IF(@lm_last <=> ${k}, 0, 1)) IS NOT NULL) AND ((@lm_last := ${k}) IS NOT NULL)`;
        // Per column: a held row keeps its value (MariaDB evaluates the assignments left to right, so
        // the first one, seeing the row unchanged, decides and counts whether it is held); then the
        // repair; the last WHEN never holds, it only counts what is left for Node.
        const held = (i: number) => (!hold ? '' : i === 0 ? `WHEN (@lm_hold := ${hold}) AND (@lm_held := @lm_held + 1) > 0 THEN ${q(columns[0])} ` : `WHEN @lm_hold THEN ${q(columns[i])} `);
        const sets = columns.map(
          (c, i) =>
            `${q(c)} = CASE ${held(i)}WHEN ${decisions[i].serverRepair} AND ${count(vars[i])} THEN ${decisions[i].repaired} WHEN ${decisions[i].candidate} AND (@lm_left := @lm_left + 1) < 0 THEN ${q(c)} ELSE ${q(c)} END`,
        );
        await tx.execute(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${range} AND ${anyNonAscii}`);
        const [counts] = await tx.query(`SELECT ${vars.map((v, i) => `${v} AS n${i}`).join(', ')}, @lm_rows AS n_rows, @lm_left AS n_left, @lm_held AS n_held`);
        if (Number(counts.n_held) > 0) state.needsUtf8mb4.add(t.stored);
        columns.forEach((c, i) => addCount(result, c, Number(counts[`n${i}`])));
        result.changedRows += Number(counts.n_rows);
        left += Number(counts.n_left);
      }, { readCommitted: true });
    } else {
      const sums = decisions.map((d, i) => `SUM(${d.serverRepair}) AS n${i}`);
      const lefts = decisions.map((d) => `SUM(${leftFor(d)})`).join(' + ');
      const held = hold ? `, SUM(${hold}) AS held_` : '';
      const [counts] = await lane.query(`SELECT ${sums.join(', ')}, SUM(${anyRepair}) AS rows_, ${lefts} AS left_${held} FROM ${table} WHERE ${range} AND ${anyNonAscii}`);
      if (Number(counts.held_ ?? 0) > 0) state.needsUtf8mb4.add(t.stored);
      columns.forEach((c, i) => addCount(result, c, Number(counts[`n${i}`] ?? 0)));
      result.changedRows += Number(counts.rows_ ?? 0);
      left += Number(counts.left_ ?? 0);
    }
    state.onRows?.(Math.round(span * rowsPerId));
  };
  try {
    for (let lo: number | undefined = min; lo !== undefined && lo <= max; ) {
      const hi: number = lo + span; // [lo, hi): at most `span` rows, the ids being unique
      const range = `${k} >= ${lo} AND ${k} < ${hi}`;
      if (state.samples.length < state.samplesWanted) {
        // the examples are the first ones in key order: those ranges one at a time
        await lanes.settle();
        await one(db, range);
      } else {
        await lanes.submit((lane) => one(lane, range));
      }
      // Skip gaps in the ids (audit ids of a trimmed trail start high) with one index lookup.
      const [next]: { lo: SqlValue }[] = await db.query<{ lo: SqlValue }>(`SELECT MIN(${k}) AS lo FROM ${table} WHERE ${k} >= ${hi}`);
      lo = next?.lo == null ? undefined : Number(next.lo);
    }
    await lanes.settle();
  } catch (err) {
    await lanes.settle().catch(() => undefined);
    throw err;
  } finally {
    state.ms[state.apply ? 'updating' : 'deciding'] += performance.now() - t0;
  }
  return left;
}

function addCount(result: TableResult, col: string, n: number): void {
  if (n > 0) result.repaired[col] = (result.repaired[col] ?? 0) + n;
}

async function collectSamples(db: Db, t: TargetTable, key: string, columns: string[], decisions: ReturnType<typeof mysqlDecision>[], range: string, state: FixState): Promise<void> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  for (let i = 0; i < columns.length && state.samples.length < state.samplesWanted; i++) {
    const want = state.samplesWanted - state.samples.length;
    const rows = await db.query(`SELECT ${q(key)} AS k, ${q(columns[i])} AS v FROM ${q(t.stored)} WHERE ${range} AND ${decisions[i].serverRepair} ORDER BY ${q(key)} LIMIT ${want}`);
    for (const r of rows) {
      const v = classify(String(r.v));
      if (v.kind === 'ok') continue;
      state.samples.push({ table: t.def.name, column: columns[i], key: `${key}=${String(r.k)}`, before: String(r.v), after: v.repaired });
    }
  }
}
