/**
 * The MySQL part of step 3.0.0.0 (branch-v3.4 `migrate.py` `MYSQL_Migration`, linotp-schema.md §5).
 *
 * LinOTP: every table whose SHOW CREATE options contain `CHARSET=latin1` — LinOTP's or not — gets
 * `ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4`; then, for Config/Token/imported_user only,
 * `col = CONVERT(CAST(CONVERT(col USING latin1) AS BINARY) USING utf8)` over all rows. If no table
 * was converted it inserts `linotp.utf8_conversion = suggested` (for fix-db-encoding).
 *
 * What we do better, and why:
 *  - only LinOTP's tables are converted; other applications' latin1 tables are reported, not touched;
 *  - the data repair covers every free-text column of each converted LinOTP table (tables.ts
 *    `mojibake`), not only LinOTP's six, so e.g. Token.LinOtpUserid or audit.user are not left as
 *    `jÃ¼rgen` (which breaks the user→token mapping for non-ASCII user ids);
 *  - the repair is per row and only where it is lossless: rows whose latin1 bytes are valid UTF-8
 *    (what Python 2 wrote through its latin1 connection). Genuine latin1 text, which the ALTER already
 *    converted correctly, stays as it is — LinOTP's blanket UPDATE fails there in strict mode
 *    (ERROR 1300) or destroys it without strict mode;
 *  - an interrupted run is resumable: the tables still awaiting their data repair are recorded in
 *    Config (`MARKER_KEY`) before the first ALTER (MySQL DDL commits implicitly) and the marker is
 *    removed in the transaction of the repair. LinOTP would leave such a table half converted;
 *  - InnoDB tables in COMPACT/REDUNDANT row format get ROW_FORMAT=DYNAMIC in the same ALTER, since
 *    utf8mb4 keys exceed their 767-byte index limit (ERROR 1709); MyISAM tables whose keys exceed
 *    1000 bytes in utf8mb4 are refused before anything changes.
 */
import { DatabaseError } from '../errors.js';
import type { Db, Row, SqlValue } from '../db/types.js';
import { LINOTP_2_12, LINOTP_3_4, primaryKeyColumns, type TableDef } from '../schema/tables.js';
import { configKeyExists, deleteConfigKey, insertConfig, type Tables } from './sql.js';

export const MARKER_KEY = 'linotp-migrate.utf8_repair_pending';
export const SUGGEST_KEY = 'linotp.utf8_conversion';

const OTHER_LINOTP_TABLES = ['openid_redirects', 'openid_handles', 'openid_sites', 'openid_user', 'openid_trustedroot', 'alembic_version'];

/** The model definition of a LinOTP table (3.4 first, then 2.12-only tables like ocra). */
export function linotpTableDef(name: string): TableDef | undefined {
  const lc = name.toLowerCase();
  return [...LINOTP_3_4.tables, ...LINOTP_2_12.tables].find((t) => t.name.toLowerCase() === lc);
}

export function isLinotpTable(name: string): boolean {
  return linotpTableDef(name) !== undefined || OTHER_LINOTP_TABLES.includes(name.toLowerCase());
}

export interface ConvertTable {
  table: string;
  /** Adds ROW_FORMAT=DYNAMIC to the ALTER (COMPACT/REDUNDANT InnoDB table). */
  dynamic: boolean;
}

export interface Utf8Plan {
  convert: ConvertTable[];
  /** latin1 tables of other applications: reported, not touched. */
  foreignLatin1: string[];
  /** Tables of an interrupted run whose data repair is still outstanding. */
  pending: string[];
  /** Reasons the conversion cannot run (checked before anything changes). */
  blocked: string[];
  /** Whether `linotp.utf8_conversion = suggested` will be inserted. */
  suggest: boolean;
}

/** Widest key of a model table in bytes when stored as utf8mb4. */
function widestKeyBytes(def: TableDef): number {
  const len = (c: string) => {
    const col = def.columns.find((x) => x.name === c);
    return col?.type.kind === 'string' ? col.type.length * 4 : 8;
  };
  const keys = [primaryKeyColumns(def), ...def.indexes.map((i) => i.columns), ...def.uniques.map((u) => u.columns)];
  return Math.max(0, ...keys.map((k) => k.reduce((n, c) => n + len(c), 0)));
}

export async function readMarker(db: Db, t: Tables): Promise<string[]> {
  if (!t.has('Config')) return [];
  const rows = await db.query<{ k: string; v: string | null }>(`SELECT ${t.c('Key')} AS k, ${t.c('Value')} AS v FROM ${t.t('Config')} WHERE ${t.c('Key')} = ?`, [MARKER_KEY]);
  const row = rows.find((r) => r.k === MARKER_KEY);
  return row?.v ? String(row.v).split(',').filter(Boolean) : [];
}

/**
 * Whether InnoDB allows 3072-byte index keys (ROW_FORMAT=DYNAMIC with large prefixes). Servers before
 * MySQL 5.7.7 / MariaDB 10.2.2 could run with `innodb_large_prefix=OFF` or the Antelope file format;
 * the variables no longer exist on newer servers, where large prefixes are always on.
 */
export async function mysqlLargePrefixProblem(db: Db): Promise<string | undefined> {
  // SHOW works on every version (information_schema.GLOBAL_VARIABLES is disabled on MySQL 5.7 by default).
  const rows = await db
    .query<{ Variable_name: string; Value: string }>("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_large_prefix', 'innodb_file_format')")
    .catch(() => [] as { Variable_name: string; Value: string }[]);
  const get = (n: string) => rows.find((r) => String(r.Variable_name).toUpperCase() === n)?.Value;
  const prefix = get('INNODB_LARGE_PREFIX');
  const format = get('INNODB_FILE_FORMAT');
  if (prefix !== undefined && /^(OFF|0)$/i.test(String(prefix))) return 'innodb_large_prefix is OFF, so index keys are limited to 767 bytes (LinOTP keys in utf8mb4 need up to 1280)';
  if (format !== undefined && /^antelope$/i.test(String(format))) return 'innodb_file_format is Antelope, so index keys are limited to 767 bytes (LinOTP keys in utf8mb4 need up to 1280)';
  return undefined;
}

export async function planMysqlUtf8(db: Db, t: Tables): Promise<Utf8Plan> {
  const plan: Utf8Plan = { convert: [], foreignLatin1: [], pending: await readMarker(db, t), blocked: [], suggest: false };
  const prefixProblem = await mysqlLargePrefixProblem(db);
  const charsets = await db.tableCharsets();
  const status = await db.query<{ n: string; e: string | null; f: string | null }>(
    'SELECT TABLE_NAME AS n, ENGINE AS e, ROW_FORMAT AS f FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = ?',
    ['BASE TABLE'],
  );
  for (const table of Object.keys(charsets).sort()) {
    if (charsets[table] !== 'latin1') continue;
    if (!isLinotpTable(table)) {
      plan.foreignLatin1.push(table);
      continue;
    }
    const st = status.find((r) => r.n === table);
    const engine = (st?.e ?? '').toLowerCase();
    const rowFormat = (st?.f ?? '').toLowerCase();
    const def = linotpTableDef(table);
    const widest = def ? widestKeyBytes(def) : 0;
    if (engine === 'myisam' && widest > 1000) {
      plan.blocked.push(`${table} is a MyISAM table; in utf8mb4 its widest key needs ${widest} bytes, MyISAM allows 1000 (convert it with ALTER TABLE ${table} ENGINE=InnoDB first)`);
    }
    if (prefixProblem && engine === 'innodb' && widest > 767) plan.blocked.push(`${table} cannot become utf8mb4: ${prefixProblem}; set innodb_large_prefix=ON and innodb_file_format=Barracuda`);
    plan.convert.push({ table, dynamic: engine === 'innodb' && (rowFormat === 'compact' || rowFormat === 'redundant') && widest > 767 });
  }
  plan.suggest = plan.convert.length === 0 && plan.pending.length === 0 && !(await configKeyExists(db, t, SUGGEST_KEY));
  return plan;
}

// Expressions: the bytes Python 2 stored, read back through latin1.
const latin1Bytes = (c: string) => `CAST(CONVERT(${c} USING latin1) AS BINARY)`;
const repaired = (c: string) => `CONVERT(${latin1Bytes(c)} USING utf8mb4)`;

/** Rows whose value is non-ASCII, losslessly latin1-encodable, and whose latin1 bytes are valid UTF-8. */
function needsRepairWhere(c: string): string {
  return [
    `${c} IS NOT NULL`,
    `LENGTH(${c}) <> CHAR_LENGTH(${c})`,
    `CAST(CONVERT(CONVERT(${c} USING latin1) USING utf8mb4) AS BINARY) = CAST(${c} AS BINARY)`,
    `CAST(${repaired(c)} AS BINARY) = ${latin1Bytes(c)}`,
  ].join(' AND ');
}

/** Repairs one converted table's free-text columns row by row (see the header). Returns rows changed. */
async function repairTable(db: Db, t: Tables, table: string): Promise<number> {
  const def = linotpTableDef(table);
  if (!def) return 0;
  const pk = primaryKeyColumns(def);
  const actual = new Set((await db.listColumns(table)).map((c) => c.name));
  let changed = 0;
  for (const col of def.columns) {
    if (!col.mojibake || col.primaryKey || !actual.has(col.name)) continue;
    const c = t.c(col.name);
    // The selection runs as a SELECT: strict mode turns conversion warnings into errors only in DML.
    const rows: Row[] = await db.query(`SELECT ${pk.map((p) => t.c(p)).join(', ')} FROM ${t.t(table)} WHERE ${needsRepairWhere(c)}`);
    for (let i = 0; i < rows.length; i += 200) {
      const batch = rows.slice(i, i + 200);
      const cond = batch.map(() => `(${pk.map((p) => `${t.c(p)} = ?`).join(' AND ')})`).join(' OR ');
      const params: SqlValue[] = batch.flatMap((r) => pk.map((p) => r[p]));
      changed += await db.execute(`UPDATE ${t.t(table)} SET ${c} = ${repaired(c)} WHERE ${cond}`, params);
    }
  }
  return changed;
}

export interface Utf8Result {
  converted: string[];
  repairedRows: number;
  suggested: boolean;
}

/**
 * The DDL runs first (it commits statement by statement; the marker records what still needs its
 * data repair). The data part — repair, the marker's removal, the `suggested` row — runs in
 * `inTransaction`: apply passes its step transaction, so it commits together with the 3.0.0.0 stamp.
 * Were they committed apart, a run killed in between would, when resumed, find neither a latin1
 * table nor the marker and take the database for one that never needed a conversion (and insert
 * linotp.utf8_conversion = suggested, which an uninterrupted run does not).
 */
export async function applyMysqlUtf8(
  db: Db,
  t: Tables,
  plan: Utf8Plan,
  inTransaction: <T>(body: (tx: Db) => Promise<T>) => Promise<T> = (body) => db.transaction(body),
  /** One tick per converted table: an ALTER of a big Token or audit table takes many seconds. */
  progress?: { tick(n?: number): void; finish(): void },
): Promise<Utf8Result> {
  if (plan.blocked.length) throw new DatabaseError(`cannot convert latin1 tables to utf8mb4: ${plan.blocked[0]}`, 'nothing was changed; fix the table and run init database again');
  const pending = [...new Set([...plan.pending, ...plan.convert.map((c) => c.table)])];
  if (plan.convert.length) {
    // Record the tables before the first ALTER: DDL commits implicitly and cannot be rolled back.
    await deleteConfigKey(db, t, MARKER_KEY);
    await insertConfig(db, t, MARKER_KEY, pending.join(','), '', 'linotp-migrate: utf8 data repair outstanding');
    const charsets = await db.tableCharsets();
    for (const c of plan.convert) {
      if (charsets[c.table] !== 'latin1') continue; // converted by an interrupted run
      await db.execute(`ALTER TABLE ${t.t(c.table)} ${c.dynamic ? 'ROW_FORMAT=DYNAMIC, ' : ''}CONVERT TO CHARACTER SET utf8mb4`);
      progress?.tick();
    }
    progress?.finish();
  }
  return inTransaction(async (tx) => {
    let repairedRows = 0;
    for (const table of pending) repairedRows += await repairTable(tx, t, table);
    if (pending.length) await deleteConfigKey(tx, t, MARKER_KEY);
    if (plan.suggest && !(await configKeyExists(tx, t, SUGGEST_KEY))) await insertConfig(tx, t, SUGGEST_KEY, 'suggested', '', '');
    return { converted: plan.convert.map((c) => c.table), repairedRows, suggested: plan.suggest };
  });
}
