/**
 * DDL for the LinOTP tables, character for character what LinOTP 2.12 / 3.4 (SQLAlchemy<1.4
 * `metadata.create_all`) emits on MySQL/MariaDB, PostgreSQL and SQLite, plus the MySQL table options
 * this tool uses for the tables it creates. Verified against the SQLAlchemy compiler by
 * test/schema/sa_reference_ddl.py (differential test in test/schema/ddl.test.ts).
 *
 * Rules (linotp-schema.md §1.1): no DEFAULT clauses (LinOTP's defaults are Python-side); NOT NULL only
 * on primary keys and nullable=False columns; Boolean → MySQL BOOL / SQLite BOOLEAN with a
 * `CHECK (col IN (0, 1))`, PG native BOOLEAN; integer PK → AUTO_INCREMENT / SERIAL / rowid;
 * identifiers quoted only where SQLAlchemy quotes them (mixed case, reserved words).
 *
 * ## MySQL character set of the tables we create (decision)
 * LinOTP 3.4 sets no table options except on imported_user (`CHARSET=utf8 COLLATE utf8_unicode_ci`,
 * i.e. utf8mb3), so every other table inherits the database default — latin1 on old installs, utf8mb3
 * on Debian ≥2.10.1 databases; LinOTP's own 3.0.0.0 step converts latin1 tables to utf8mb4.
 * This tool creates the tables it adds (`mysqlTable: 'utf8mb4'`, used by `init database`) as
 * `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC`:
 *  - utf8mb4 stores every Unicode character (utf8mb3 cannot store emoji and is deprecated), and it is
 *    what LinOTP itself converts to, so the database ends up uniform;
 *  - utf8mb4_unicode_ci keeps LinOTP's only explicit collation choice (utf8_unicode_ci) and the
 *    case-insensitive uniqueness of Config.Key / Token serial / Realm.name that LinOTP has on MySQL;
 *  - InnoDB + ROW_FORMAT=DYNAMIC guarantee the 3072-byte index-key limit. The widest LinOTP keys in
 *    utf8mb4 are LinOtpUserid VARCHAR(320) = 1280 bytes and Config.Key/Realm.name/audit.user 255 =
 *    1020 bytes: fine with DYNAMIC, but ERROR 1709/1071 with COMPACT/REDUNDANT (767 bytes) or MyISAM
 *    (1000 bytes), which a server default could otherwise select (§5.4).
 * `mysqlTable: 'linotp'` (the default) reproduces LinOTP exactly, for fixtures and comparisons.
 */
import type { Engine } from '../db/types.js';
import { quoteIdent } from './quote.js';
import type { ColumnDef, LogicalType, TableDef } from './tables.js';

export type MysqlTableMode =
  /** exactly what LinOTP emits: its own options (3.4 imported_user) or none (database default) */
  | 'linotp'
  /** this tool's choice for tables it creates (see the module comment) */
  | 'utf8mb4'
  /** explicit, e.g. a latin1 LinOTP 2.12 table for a fixture */
  | { charset: string; collate?: string };

export interface DdlOptions {
  mysqlTable?: MysqlTableMode;
  /** Leave these columns (and their indexes) out: builds the shape of databases older than a step. */
  omitColumns?: string[];
}

export const TOOL_MYSQL_TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC';

export function columnTypeSql(type: LogicalType, engine: Engine): string {
  switch (type.kind) {
    case 'int':
      return 'INTEGER';
    case 'string':
      return `VARCHAR(${type.length})`;
    case 'boolean':
      return engine === 'mysql' ? 'BOOL' : 'BOOLEAN';
    case 'datetime':
      return engine === 'postgres' ? 'TIMESTAMP WITHOUT TIME ZONE' : 'DATETIME';
    case 'binary':
      return engine === 'postgres' ? 'BYTEA' : 'BLOB';
    case 'text':
      return 'TEXT';
  }
}

function columnSql(c: ColumnDef, engine: Engine): string {
  const q = quoteIdent(c.name, engine);
  if (c.autoincrement) {
    if (engine === 'postgres') return `${q} SERIAL NOT NULL`;
    if (engine === 'mysql') return `${q} INTEGER NOT NULL AUTO_INCREMENT`;
    // SQLite: a single INTEGER PRIMARY KEY is the rowid alias and auto-assigns.
    return `${q} INTEGER NOT NULL`;
  }
  return `${q} ${columnTypeSql(c.type, engine)}${c.nullable ? '' : ' NOT NULL'}`;
}

/** Only engines without a native boolean get SQLAlchemy<1.4's CHECK constraint. */
function hasBooleanCheck(engine: Engine): boolean {
  return engine !== 'postgres';
}

function mysqlTableSuffix(table: TableDef, mode: MysqlTableMode): string {
  if (mode === 'utf8mb4') return TOOL_MYSQL_TABLE_OPTIONS;
  if (mode === 'linotp') {
    // SQLAlchemy's rendering of mysql_charset/mysql_collate.
    const parts: string[] = [];
    if (table.mysql?.charset) parts.push(`CHARSET=${table.mysql.charset}`);
    if (table.mysql?.collate) parts.push(`COLLATE ${table.mysql.collate}`);
    return parts.join(' ');
  }
  return `DEFAULT CHARSET=${mode.charset}${mode.collate ? ` COLLATE=${mode.collate}` : ''}`;
}

/** `CREATE TABLE …` (without the indexes; see createIndexSql). */
export function createTableSql(table: TableDef, engine: Engine, opts: DdlOptions = {}): string {
  const omit = new Set(opts.omitColumns ?? []);
  const cols = table.columns.filter((c) => !omit.has(c.name));
  const q = (n: string) => quoteIdent(n, engine);
  const lines = cols.map((c) => columnSql(c, engine));

  const pk = cols.filter((c) => c.primaryKey).map((c) => q(c.name));
  if (pk.length) lines.push(`PRIMARY KEY (${pk.join(', ')})`);
  // SQLAlchemy emits the remaining constraints in creation order, i.e. column by column.
  for (const c of cols) {
    for (const u of table.uniques) {
      if (u.columns[0] === c.name) lines.push(`UNIQUE (${u.columns.map(q).join(', ')})`);
    }
    if (c.type.kind === 'boolean' && hasBooleanCheck(engine)) lines.push(`CHECK (${q(c.name)} IN (0, 1))`);
    for (const fk of table.foreignKeys) {
      if (fk.columns[0] === c.name) {
        lines.push(
          `FOREIGN KEY(${fk.columns.map(q).join(', ')}) REFERENCES ${q(fk.refTable)} (${fk.refColumns.map(q).join(', ')})`,
        );
      }
    }
  }
  const suffix = engine === 'mysql' ? mysqlTableSuffix(table, opts.mysqlTable ?? 'linotp') : '';
  return `CREATE TABLE ${q(table.name)} (\n\t${lines.join(', \n\t')}\n)${suffix}`;
}

/** One `CREATE [UNIQUE] INDEX ix_<Table>_<col> …` per index, sorted by name like SQLAlchemy's output. */
export function createIndexSql(table: TableDef, engine: Engine, opts: DdlOptions = {}): string[] {
  const omit = new Set(opts.omitColumns ?? []);
  const q = (n: string) => quoteIdent(n, engine);
  return table.indexes
    .filter((i) => !i.columns.some((c) => omit.has(c)))
    .slice()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${q(table.name)} (${i.columns.map(q).join(', ')})`);
}

/** The table and its indexes, in execution order. */
export function createTableStatements(table: TableDef, engine: Engine, opts: DdlOptions = {}): string[] {
  return [createTableSql(table, engine, opts), ...createIndexSql(table, engine, opts)];
}

/** LinOTP's migration helper form: `ALTER TABLE t ADD COLUMN c <type>` (nullable, no default). */
export function addColumnSql(table: TableDef, column: string, engine: Engine): string {
  const c = table.columns.find((x) => x.name === column);
  if (!c) throw new Error(`column ${table.name}.${column} is not part of the model`);
  return `ALTER TABLE ${quoteIdent(table.name, engine)} ADD COLUMN ${quoteIdent(c.name, engine)} ${columnTypeSql(c.type, engine)}`;
}

/** `CREATE INDEX` for the model index named `name` of `table`. */
export function addIndexSql(table: TableDef, name: string, engine: Engine): string {
  const stmt = createIndexSql(table, engine).find((s) => s.includes(` ${quoteIdent(name, engine)} ON `));
  if (!stmt) throw new Error(`index ${name} is not part of table ${table.name}`);
  return stmt;
}

export function dropTableSql(table: string, engine: Engine): string {
  return `DROP TABLE ${quoteIdent(table, engine)}`;
}
