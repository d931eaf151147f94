/**
 * One table of `admin fix-db-encoding`: read it page by page in primary-key order (keyset
 * pagination — no long-running cursor, so updates can run between pages on every engine), decide
 * per value (src/encoding/repair.ts), and write the repaired values of each page in one
 * transaction. On MySQL the plain cases of tables with an integer key were repaired by the server
 * beforehand (src/encoding/mysql-pass.ts); the pages then hold only what SQL left to decide here.
 *
 * Safety: every UPDATE is keyed by the primary key and guarded by the value it read
 * (`WHEN pk = ? AND col = <old>`), so a value changed by someone else meanwhile is left alone, and
 * a kill at any moment leaves each value either old or repaired; a re-run finishes the job,
 * because repaired values are never repaired again. Key columns (primary keys, unique columns such
 * as Config.Key, Realm.name, the token serial) are renamed row by row after checking that the new
 * value does not collide with an existing row; a collision is reported and that key is left as is.
 */
import type { Db, Row, SqlValue } from '../db/types.js';
import { mysqlDecision } from './mysql-decide.js';
import { integerKey, mysqlServerPass } from './mysql-pass.js';
import { classify, repairedByServer } from './repair.js';
import type { FixState, TableResult } from './state.js';
import type { TargetTable } from './targets.js';

export type { FixState, TableResult, ValueChange } from './state.js';

/**
 * SQL that is true when `col` may hold a double-encoded value, so the server sends only those rows
 * (the verdict itself stays in repair.ts). MySQL: a candidate of src/encoding/mysql-decide.ts —
 * except, in a dry run, values the server pass already counted. Elsewhere: a non-ASCII character
 * (more bytes than characters); repair.ts leaves ASCII alone.
 */
function candidateSql(db: Db, t: TargetTable, col: string, state: FixState, serverRepaired: boolean): string {
  const c = db.dialect.quoteIdent(col);
  if (db.engine === 'mysql') {
    const d = mysqlDecision(c, state.charsets.get(t.stored)?.get(col));
    return serverRepaired ? `(${d.candidate} AND NOT ${d.serverRepair})` : d.candidate;
  }
  if (db.engine === 'postgres') return `OCTET_LENGTH(${c}) <> CHAR_LENGTH(${c})`;
  return `LENGTH(CAST(${c} AS BLOB)) <> LENGTH(${c})`;
}

interface RowChange {
  pk: SqlValue[];
  set: Map<string, { from: string; to: string }>;
}

const MULTIPLE_SAMPLE_LIMIT = 20;
const CONFLICT_LIMIT = 200;
/** Rows per CASE update statement (see applyPage). */
const CASE_ROWS = 64;

/** Key-like columns: primary key and single-column unique constraints/indexes. */
function keyColumns(t: TargetTable): Set<string> {
  const s = new Set(t.pk);
  for (const u of t.def.uniques) if (u.columns.length === 1) s.add(u.columns[0]);
  for (const i of t.def.indexes) if (i.unique && i.columns.length === 1) s.add(i.columns[0]);
  return s;
}

function describeKey(t: TargetTable, pk: SqlValue[]): string {
  return t.pk.map((c, i) => `${c}=${String(pk[i])}`).join(', ');
}

export async function processTable(db: Db, t: TargetTable, state: FixState, totalRows: number): Promise<TableResult> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const result: TableResult = { table: t.def.name, rows: totalRows, examined: 0, changedRows: 0, repaired: {}, multiple: 0, conflicts: 0 };
  // MySQL: the server repairs the plain cases of non-key columns itself (src/encoding/mysql-pass.ts);
  // the pages below then hold only what it left.
  const intKey = db.engine === 'mysql' ? integerKey(t) : undefined;
  const keys = keyColumns(t);
  const serverColumns = new Set(intKey ? t.columns.filter((c) => !keys.has(c)) : []);
  const left = intKey ? await mysqlServerPass(db, t, intKey, [...serverColumns], totalRows, state, result) : 0;
  // Nothing left for Node in the server's columns and no key column to look at: no second scan.
  if (intKey && left === 0 && serverColumns.size === t.columns.length) return result;
  // In a dry run the server pass changed nothing: its values must not be counted twice.
  const skipServer = !state.apply && serverColumns.size > 0;
  const candidate = '(' + t.columns.map((c) => candidateSql(db, t, c, state, skipServer && serverColumns.has(c))).join(' OR ') + ')';
  const selectCols = [...new Set([...t.pk, ...t.columns])];
  const order = t.pk.map(q).join(', ');
  const base = `SELECT ${selectCols.map(q).join(', ')} FROM ${q(t.stored)} WHERE ${candidate}`;
  const fetchPage = (cursor: SqlValue[] | undefined) => {
    let sql = base;
    let params: SqlValue[] = [];
    if (cursor) {
      // (a, b) > (x, y) spelled out: row-value comparison is not available everywhere.
      const ors = t.pk.map((_, i) => '(' + t.pk.slice(0, i + 1).map((c, j) => `${q(c)} ${j === i ? '>' : '='} ?`).join(' AND ') + ')');
      sql += ` AND (${ors.join(' OR ')})`;
      params = t.pk.flatMap((_, i) => cursor.slice(0, i + 1));
    }
    const p = db.query(sql + ` ORDER BY ${order} LIMIT ${state.pageSize}`, params);
    p.catch(() => undefined); // awaited below; avoids an unhandled rejection while a page is being written
    return p;
  };
  // The next page is read while the current one is written (another connection on MySQL and
  // PostgreSQL). A key renamed meanwhile may show up again in a later page: its repaired form is
  // then simply left alone.
  let pending = fetchPage(undefined);
  for (;;) {
    const t0 = performance.now();
    const rows = await pending;
    if (!rows.length) break;
    const more = rows.length >= state.pageSize;
    if (more) pending = fetchPage(t.pk.map((c) => rows[rows.length - 1][c]));
    const changes: RowChange[] = [];
    for (const row of rows) {
      const change = decideRow(t, row, state, result, skipServer ? serverColumns : undefined);
      if (change) changes.push(change);
    }
    result.examined += rows.length;
    const t1 = performance.now();
    state.ms.deciding += t1 - t0;
    if (changes.length && state.apply) await applyPage(db, t, changes, state, result);
    else result.changedRows += changes.length;
    state.ms.updating += performance.now() - t1;
    state.onRows?.(rows.length);
    if (!more) break;
  }
  return result;
}

const FOUR_BYTE = /[\u{10000}-\u{10FFFF}]/u;

function decideRow(t: TargetTable, row: Row, state: FixState, result: TableResult, counted?: Set<string>): RowChange | undefined {
  if (state.holdFourByte.has(t.stored)) {
    // A utf8mb3 table checked while repairing (see mysql-pass.ts): a row whose repair needs 4 bytes
    // waits for the conversion (a dry run counts it now).
    const four = t.columns.some((col) => {
      const v = row[col];
      const verdict = typeof v === 'string' ? classify(v) : undefined;
      return verdict !== undefined && verdict.kind !== 'ok' && FOUR_BYTE.test(verdict.repaired);
    });
    if (four) {
      state.needsUtf8mb4.add(t.stored);
      if (state.apply) return undefined;
    }
  }
  let change: RowChange | undefined;
  const pk = t.pk.map((c) => row[c]);
  for (const col of t.columns) {
    const v = row[col];
    if (typeof v !== 'string' || v === '') continue;
    if (counted?.has(col) && repairedByServer(v)) continue;
    const verdict = classify(v);
    if (verdict.kind === 'ok') continue;
    const sample = () => ({ table: t.def.name, column: col, key: describeKey(t, pk), before: v, after: verdict.repaired });
    if (verdict.kind === 'triple') {
      result.multiple++;
      if (state.multipleSamples.length < MULTIPLE_SAMPLE_LIMIT) state.multipleSamples.push(sample());
      if (!state.repairMultiple) continue;
    }
    change ??= { pk, set: new Map() };
    change.set.set(col, { from: v, to: verdict.repaired });
    result.repaired[col] = (result.repaired[col] ?? 0) + 1;
    if (state.samples.length < state.samplesWanted) state.samples.push(sample());
  }
  return change;
}

async function applyPage(db: Db, t: TargetTable, changes: RowChange[], state: FixState, result: TableResult): Promise<void> {
  const keys = keyColumns(t);
  const simple = changes.filter((c) => ![...c.set.keys()].some((col) => keys.has(col)));
  const keyed = changes.filter((c) => !simple.includes(c));
  await db.transaction(async (tx) => {
    if (simple.length && tx.engine === 'mysql') {
      result.changedRows += await mysqlConvertUpdate(tx, t, simple);
    } else {
      // The engines evaluate CASE branches one by one for every matched row, so the cost of one
      // statement grows with the square of its rows: keep statements small.
      for (let i = 0; i < simple.length; i += CASE_ROWS) result.changedRows += await caseUpdate(tx, t, simple.slice(i, i + CASE_ROWS));
    }
    if (keyed.length) result.changedRows += await keyedUpdates(tx, t, keyed, keys, state, result);
  });
}

/** Groups of columns that must stay unique: the whole primary key, and each unique column. */
function keyGroups(t: TargetTable, keys: Set<string>): string[][] {
  return [t.pk, ...[...keys].filter((k) => !t.pk.includes(k)).map((k) => [k])];
}

const newKey = (t: TargetTable, c: RowChange, g: string[]) => g.map((col) => c.set.get(col)?.to ?? c.pk[t.pk.indexOf(col)]);
/** Rows per existence check (one select of CASE WHEN EXISTS columns). */
const CLASH_ROWS = 100;

/**
 * The rows of a page whose key columns change. The new keys are first checked against the table
 * all at once (one statement per CLASH_ROWS rows instead of one per row: a LinOTP 2 imported_user
 * table renames nearly every userid); a row whose new key exists, or repeats a new key of this page,
 * is then checked and updated one by one as before (keyedUpdate), so the outcome is the same.
 * MySQL compares keys by collation (`ß` may equal `ss`): a repeat JS does not see is refused by the
 * unique index, which rolls back that statement only, and the row takes the careful path too.
 */
async function keyedUpdates(db: Db, t: TargetTable, keyed: RowChange[], keys: Set<string>, state: FixState, result: TableResult): Promise<number> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const groups = keyGroups(t, keys);
  const pkMatch = t.pk.map((col) => `${q(col)} = ?`).join(' AND ');
  const taken: boolean[] = [];
  for (let i = 0; i < keyed.length; i += CLASH_ROWS) {
    const chunk = keyed.slice(i, i + CLASH_ROWS);
    const params: SqlValue[] = [];
    const cols = chunk.map((c, j) => {
      const exists = groups
        .filter((g) => g.some((col) => c.set.has(col)))
        .map((g) => {
          params.push(...newKey(t, c, g), ...c.pk);
          return `EXISTS (SELECT 1 FROM ${q(t.stored)} WHERE ${g.map((col) => `${q(col)} = ?`).join(' AND ')} AND NOT (${pkMatch}))`;
        });
      return `CASE WHEN ${exists.join(' OR ')} THEN 1 ELSE 0 END AS c${j}`;
    });
    const [row] = await db.query(`SELECT ${cols.join(', ')}`, params);
    chunk.forEach((_, j) => taken.push(Number(row[`c${j}`]) === 1));
  }
  const seen = new Set<string>();
  let changed = 0;
  for (let i = 0; i < keyed.length; i++) {
    const c = keyed[i];
    const mine = groups.filter((g) => g.some((col) => c.set.has(col))).map((g) => JSON.stringify([g, newKey(t, c, g)]));
    const repeat = mine.some((k) => seen.has(k));
    mine.forEach((k) => seen.add(k));
    let done = false;
    if (!taken[i] && !repeat) {
      try {
        done = await writeKeyed(db, t, c);
      } catch (err) {
        if (!isDuplicateKey(db, err)) throw err;
        done = await keyedUpdate(db, t, c, keys, state, result);
      }
    } else done = await keyedUpdate(db, t, c, keys, state, result);
    if (done) changed++;
  }
  return changed;
}

/** A unique-index refusal that leaves the transaction usable (MySQL/SQLite roll back the statement only). */
function isDuplicateKey(db: Db, err: unknown): boolean {
  const code = String((err as { cause?: { code?: string } })?.cause?.code ?? '');
  return (db.engine === 'mysql' && code === 'ER_DUP_ENTRY') || (db.engine === 'sqlite' && /^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/.test(code));
}

/** Many rows in one statement: `SET col = CASE WHEN pk = ? AND col = ? THEN ? … ELSE col END WHERE pk IN (…)`. */
async function caseUpdate(db: Db, t: TargetTable, changes: RowChange[]): Promise<number> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const pkMatch = '(' + t.pk.map((c) => `${q(c)} = ?`).join(' AND ') + ')';
  const cols = [...new Set(changes.flatMap((c) => [...c.set.keys()]))];
  const params: SqlValue[] = [];
  const sets = cols.map((col) => {
    const whens: string[] = [];
    for (const c of changes) {
      const v = c.set.get(col);
      if (!v) continue;
      whens.push(`WHEN ${pkMatch} AND ${q(col)} = ? THEN ?`);
      params.push(...c.pk, v.from, v.to);
    }
    return `${q(col)} = CASE ${whens.join(' ')} ELSE ${q(col)} END`;
  });
  let where: string;
  if (t.pk.length === 1) {
    where = `${q(t.pk[0])} IN (${changes.map(() => '?').join(', ')})`;
    params.push(...changes.map((c) => c.pk[0]));
  } else {
    where = changes.map(() => pkMatch).join(' OR ');
    params.push(...changes.flatMap((c) => c.pk));
  }
  await db.execute(`UPDATE ${q(t.stored)} SET ${sets.join(', ')} WHERE ${where}`, params);
  return changes.length;
}

/**
 * MySQL/MariaDB: one statement per column and page. For exactly the values this tool decided to
 * repair, the server's own `CONVERT(CAST(CONVERT(col USING latin1) AS BINARY) USING utf8mb4)` gives
 * the same text as src/encoding/repair.ts (every character is in MySQL latin1, the bytes are valid
 * UTF-8, the column is utf8mb4 after the table conversion), so only keys and old values travel.
 * The guard `CAST(col AS BINARY) IN (<old values>)` lets a row through only while it still holds
 * one of the values decided to be double-encoded, byte for byte — and the conversion of any of
 * those is its repair. This is an engine-specific path because it is several times faster than
 * CASE statements on MySQL, where per-statement latency dominates (see the benchmark notes).
 */
async function mysqlConvertUpdate(db: Db, t: TargetTable, changes: RowChange[]): Promise<number> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const keyList = (rows: RowChange[], params: SqlValue[]) => {
    params.push(...rows.flatMap((c) => (t.pk.length === 1 ? [c.pk[0]] : c.pk)));
    return t.pk.length === 1
      ? `${q(t.pk[0])} IN (${rows.map(() => '?').join(', ')})`
      : '(' + rows.map(() => '(' + t.pk.map((p) => `${q(p)} = ?`).join(' AND ') + ')').join(' OR ') + ')';
  };
  const params: SqlValue[] = [];
  const sets = [...new Set(changes.flatMap((c) => [...c.set.keys()]))].map((col) => {
    const rows = changes.filter((c) => c.set.has(col));
    const olds = [...new Set(rows.map((c) => c.set.get(col)!.from))];
    const keys = keyList(rows, params);
    params.push(...olds);
    const guard = `CAST(${q(col)} AS BINARY) IN (${olds.map(() => 'CAST(? AS BINARY)').join(', ')})`;
    return `${q(col)} = CASE WHEN ${keys} AND ${guard} THEN CONVERT(CAST(CONVERT(${q(col)} USING latin1) AS BINARY) USING utf8mb4) ELSE ${q(col)} END`;
  });
  // An integer key: one range scan over the page instead of a B-tree dive per row (rows in the
  // range that need nothing fall through to ELSE and are not written).
  const ids = changes.map((c) => c.pk[0]);
  let where: string;
  if (t.pk.length === 1 && ids.every((v) => typeof v === 'number')) {
    where = `${q(t.pk[0])} BETWEEN ? AND ?`;
    params.push(Math.min(...(ids as number[])), Math.max(...(ids as number[])));
  } else where = keyList(changes, params);
  await db.execute(`UPDATE ${q(t.stored)} SET ${sets.join(', ')} WHERE ${where}`, params);
  return changes.length;
}

/** One row whose key columns change: check the new key is free, then update guarded by the old values. */
async function keyedUpdate(db: Db, t: TargetTable, c: RowChange, keys: Set<string>, state: FixState, result: TableResult): Promise<boolean> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const pkMatch = t.pk.map((col) => `${q(col)} = ?`).join(' AND ');
  for (const g of keyGroups(t, keys)) {
    if (!g.some((col) => c.set.has(col))) continue;
    const values = newKey(t, c, g);
    const clash = await db.query(`SELECT 1 AS x FROM ${q(t.stored)} WHERE ${g.map((col) => `${q(col)} = ?`).join(' AND ')} AND NOT (${pkMatch})`, [...values, ...c.pk]);
    if (clash.length) {
      for (const col of g) {
        const v = c.set.get(col);
        if (!v) continue;
        c.set.delete(col);
        result.repaired[col]--;
        result.conflicts++;
        if (state.conflicts.length < CONFLICT_LIMIT) {
          state.conflicts.push({ table: t.def.name, column: col, key: describeKey(t, c.pk), before: v.from, after: v.to, reason: `a row with ${g.join(', ')} = ${values.join(', ')} already exists` });
        }
      }
    }
  }
  if (!c.set.size) return false;
  return writeKeyed(db, t, c);
}

/** The guarded UPDATE of one row: it changes the row only while it still holds the values read. */
async function writeKeyed(db: Db, t: TargetTable, c: RowChange): Promise<boolean> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const pkMatch = t.pk.map((col) => `${q(col)} = ?`).join(' AND ');
  const cols = [...c.set.keys()];
  const params: SqlValue[] = [...cols.map((col) => c.set.get(col)!.to), ...c.pk, ...cols.map((col) => c.set.get(col)!.from)];
  const sql = `UPDATE ${q(t.stored)} SET ${cols.map((col) => `${q(col)} = ?`).join(', ')} WHERE ${pkMatch} AND ${cols.map((col) => `${q(col)} = ?`).join(' AND ')}`;
  return (await db.execute(sql, params)) > 0;
}
