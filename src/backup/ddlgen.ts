/**
 * The SQL a same-engine restore runs for a dump's DDL, written from the parsed definitions of
 * ddlparse.ts: every name is quoted here, every type comes from the allow-list, every default is a
 * literal. MySQL tables are created as InnoDB (converted MyISAM/Aria tables with ROW_FORMAT=DYNAMIC, see
 * src/schema/ddl.ts for why),
 * with the dump's charset/collation, or utf8mb4 when the dump names none (`--compatible=ansi`).
 */
import type { Engine, SqlValue } from '../db/types.js';
import { quoteAlways } from '../schema/quote.js';
import type { DdlStatement, DumpIndex, DumpTableDef, ForeignKey, KeyPart, Literal, SequenceOptions } from './ddldef.js';
import { quoteString } from './ddldef.js';

export interface GenOptions {
  /** The name a table is created (or referenced) under, e.g. MySQL's shadow `<t>__lm_new`. */
  tableName?: (name: string) => string;
  /** A foreign key's constraint name in the generated table (MySQL shadows free the names). */
  fkName?: (name: string | null) => string | null;
}

function literalSql(l: Literal, e: Engine): string {
  switch (l.kind) {
    case 'null':
      return 'NULL';
    case 'bool':
      return e === 'postgres' ? String(l.value) : l.value ? '1' : '0';
    case 'now':
      return e === 'postgres' ? (l.precision !== undefined ? `CURRENT_TIMESTAMP(${l.precision})` : 'CURRENT_TIMESTAMP') : e === 'mysql' ? `current_timestamp(${l.precision ?? ''})` : 'CURRENT_TIMESTAMP';
    case 'number':
      if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(l.value)) throw new Error(`not a number: ${l.value}`);
      return l.cast ? `'${l.value}'::${l.cast}` : l.value;
    case 'string':
      return quoteString(l.value, e) + (l.cast ? `::${l.cast}` : '');
  }
}

function parts(k: KeyPart[], e: Engine): string {
  return k.map((p) => quoteAlways(p.name, e) + (p.length !== undefined ? `(${p.length})` : '') + (p.desc ? ' DESC' : '')).join(', ');
}

function fkSql(fk: ForeignKey, e: Engine, o: GenOptions): string {
  const name = o.fkName ? o.fkName(fk.name) : fk.name;
  const ref = (o.tableName ?? ((n: string) => n))(fk.refTable);
  let s = `${name ? `CONSTRAINT ${quoteAlways(name, e)} ` : ''}FOREIGN KEY (${fk.columns.map((c) => quoteAlways(c, e)).join(', ')}) REFERENCES ${quoteAlways(ref, e)} (${fk.refColumns.map((c) => quoteAlways(c, e)).join(', ')})`;
  if (fk.onDelete) s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate) s += ` ON UPDATE ${fk.onUpdate}`;
  return s;
}

const sqlName = (s: string) => {
  if (!/^[\w.-]+$/.test(s)) throw new Error(`not a plain name: ${s}`);
  return s;
};

/** `CREATE TABLE` for a parsed definition, in the dump's own engine. */
export function createTableFromDump(def: DumpTableDef, e: Engine, o: GenOptions = {}): string {
  const q = (n: string) => quoteAlways(n, e);
  const lines: string[] = [];
  // SQLite knows AUTOINCREMENT only as `col INTEGER PRIMARY KEY AUTOINCREMENT`, inside the column.
  const pk = def.primaryKey;
  const sqliteAuto = e === 'sqlite' && pk?.columns.length === 1 ? def.columns.find((c) => c.autoIncrement && c.name === pk.columns[0].name) : undefined;
  for (const c of def.columns) {
    // SQLite keeps the declared type text (SQLAlchemy's upper case, which the schema readers see)
    let s = `${q(c.name)}${c.type ? ' ' + (e === 'sqlite' ? c.type.toUpperCase() : c.type) : ''}`;
    if (c === sqliteAuto) s += ' PRIMARY KEY AUTOINCREMENT';
    if (e === 'mysql' && c.charset) s += ` CHARACTER SET ${sqlName(c.charset)}`;
    if (c.collate) s += e === 'postgres' ? ` COLLATE ${q(c.collate)}` : ` COLLATE ${e === 'sqlite' ? q(c.collate) : sqlName(c.collate)}`;
    if (c.notNull && !/serial$/.test(c.type)) s += ' NOT NULL';
    if (c.default) s += ` DEFAULT ${literalSql(c.default, e)}`;
    if (c.defaultSequence) s += ` DEFAULT nextval(${quoteString(q(c.defaultSequence), e)}::regclass)`;
    if (c.onUpdateNow) s += ` ON UPDATE current_timestamp(${c.onUpdateNow.precision ?? ''})`;
    if (c.autoIncrement && e === 'mysql') s += ' AUTO_INCREMENT';
    if (c.comment !== undefined && e === 'mysql') s += ` COMMENT ${quoteString(c.comment, e)}`;
    lines.push(s);
  }
  if (pk && !sqliteAuto) lines.push(`${pk.name && e !== 'mysql' ? `CONSTRAINT ${q(pk.name)} ` : ''}PRIMARY KEY (${parts(pk.columns, e)})`);
  for (const i of def.indexes) lines.push(indexInTable(i, e));
  if (e !== 'mysql') for (const i of def.indexes) if (!i.unique) throw new Error('plain indexes inside CREATE TABLE exist only on MySQL');
  for (const fk of def.foreignKeys) lines.push(fkSql(fk, e, o));
  // MySQL 8 names checks per database: a shadow's copy of the name would clash, so the server names them.
  for (const ch of def.checks) lines.push(`${ch.name && e !== 'mysql' ? `CONSTRAINT ${q(ch.name)} ` : ''}CHECK (${ch.kind === 'json_valid' ? `json_valid(${q(ch.column)})` : `${q(ch.column)} IN (${ch.values.map((v) => literalSql(v, e)).join(', ')})`})`);
  const name = (o.tableName ?? ((n: string) => n))(def.name);
  let sql = `CREATE TABLE ${q(name)} (\n  ${lines.join(',\n  ')}\n)`;
  if (e === 'mysql') {
    const cs = def.options.charset;
    // A converted MyISAM/Aria table gets DYNAMIC rows: its keys may need InnoDB's 3072-byte limit.
    sql += def.options.engine && def.options.engine !== 'InnoDB' ? ' ENGINE=InnoDB ROW_FORMAT=DYNAMIC' : ' ENGINE=InnoDB';
    sql += cs ? ` DEFAULT CHARSET=${sqlName(cs)}${def.options.collate ? ` COLLATE=${sqlName(def.options.collate)}` : ''}` : ` DEFAULT CHARSET=utf8mb4 COLLATE=${sqlName(def.options.collate ?? 'utf8mb4_unicode_ci')}`;
    if (def.options.autoIncrement !== undefined) sql += ` AUTO_INCREMENT=${Math.trunc(def.options.autoIncrement)}`;
    if (def.options.comment !== undefined) sql += ` COMMENT=${quoteString(def.options.comment, e)}`;
  }
  return sql;
}

/** MySQL: one ALTER TABLE adding plain indexes of a dump's CREATE TABLE to a filled table (one scan builds them all). */
export function addIndexesSql(table: string, indexes: DumpIndex[]): string {
  return `ALTER TABLE ${quoteAlways(table, 'mysql')} ${indexes.map((i) => `ADD ${indexInTable(i, 'mysql')}`).join(', ')}`;
}

function indexInTable(i: DumpIndex, e: Engine): string {
  const name = i.name ? quoteAlways(i.name, e) + ' ' : '';
  if (e === 'mysql') return `${i.unique ? 'UNIQUE KEY' : i.fulltext ? 'FULLTEXT KEY' : 'KEY'} ${name}(${parts(i.columns, e)})`;
  return `${i.name ? `CONSTRAINT ${name}` : ''}UNIQUE (${parts(i.columns, e)})`;
}

function sequenceSql(name: string, o: SequenceOptions, e: Engine): string {
  let s = `CREATE SEQUENCE ${quoteAlways(name, e)}`;
  if (o.as) s += ` AS ${sqlName(o.as)}`;
  const n = (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new Error(`not an integer: ${v}`);
    return v;
  };
  if (o.start) s += ` START WITH ${n(o.start)}`;
  if (o.increment) s += ` INCREMENT BY ${n(o.increment)}`;
  if (o.minvalue) s += ` MINVALUE ${n(o.minvalue)}`;
  if (o.maxvalue) s += ` MAXVALUE ${n(o.maxvalue)}`;
  if (o.cache) s += ` CACHE ${n(o.cache)}`;
  return s;
}

/** The statement (and its parameters) for one of pg_dump's separate DDL statements, or an index on any engine. */
export function ddlStatementSql(st: DdlStatement, e: Engine, o: GenOptions = {}): { sql: string; params?: SqlValue[] } {
  const q = (n: string) => quoteAlways(n, e);
  const t = (n: string) => q((o.tableName ?? ((x: string) => x))(n));
  const only = e === 'postgres' ? 'ONLY ' : '';
  switch (st.kind) {
    case 'index':
      return { sql: `CREATE ${st.index.unique ? 'UNIQUE ' : ''}INDEX ${q(st.index.name ?? `ix_${st.table}_${st.index.columns.map((c) => c.name).join('_')}`)} ON ${t(st.table)} (${parts(st.index.columns, e)})` };
    case 'primary-key':
      return { sql: `ALTER TABLE ${only}${t(st.table)} ADD ${st.name ? `CONSTRAINT ${q(st.name)} ` : ''}PRIMARY KEY (${parts(st.columns, e)})` };
    case 'unique':
      return { sql: `ALTER TABLE ${only}${t(st.table)} ADD ${st.name ? `CONSTRAINT ${q(st.name)} ` : ''}UNIQUE (${parts(st.columns, e)})` };
    case 'foreign-key':
      return { sql: `ALTER TABLE ${only}${t(st.table)} ADD ${fkSql(st.fk, e, o)}` };
    case 'sequence':
      return { sql: sequenceSql(st.name, st.options, e) };
    case 'sequence-owner':
      return { sql: `ALTER SEQUENCE ${q(st.sequence)} OWNED BY ${t(st.table)}.${q(st.column)}` };
    case 'column-default':
      return { sql: `ALTER TABLE ${only}${t(st.table)} ALTER COLUMN ${q(st.column)} SET DEFAULT nextval(${quoteString(q(st.sequence), e)}::regclass)` };
    case 'setval':
      return { sql: 'SELECT pg_catalog.setval(?, ?, ?)', params: [q(st.sequence), st.value, st.called] };
  }
}
