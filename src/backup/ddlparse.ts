/**
 * A dump's DDL read as a definition, never as code (issue 21 item 8): `CREATE TABLE` becomes a
 * `DumpTableDef` (columns with types from an allow-list, NULL/NOT NULL, literal defaults only,
 * AUTO_INCREMENT/serial, keys, indexes, foreign keys, `col IN (…)` checks, charset/collation,
 * storage engine), and pg_dump's separate statements (sequences, their owner and position, column
 * defaults from them, constraints, indexes) become `DdlStatement`s. ddlgen.ts writes the SQL the
 * restore runs from these, with names it quotes itself. Anything outside this grammar — a SELECT,
 * LIKE, UNION=, DATA/INDEX DIRECTORY, generated columns, a function call in a default or check,
 * another database's or schema's name, unknown options — throws `TokenError` with what it found;
 * the classifier (classify.ts) adds the dump's line number.
 */
import type { Engine } from '../db/types.js';
import { Cursor, TokenError, tokenize, type Token } from './sqltokens.js';

export type Literal =
  | { kind: 'string'; value: string; cast?: string }
  | { kind: 'number'; value: string; cast?: string }
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  /** CURRENT_TIMESTAMP / now(): the only function a default may be (no argument, no side effect). */
  | { kind: 'now'; precision?: number };

export interface DumpColumn {
  name: string;
  /** The type in the dump's dialect, lower case, rebuilt from the allow-list (e.g. `varchar(255)`, `int(11) unsigned`). */
  type: string;
  notNull: boolean;
  default?: Literal;
  /** PostgreSQL: `DEFAULT nextval('<sequence>'::regclass)`. */
  defaultSequence?: string;
  autoIncrement: boolean;
  charset?: string;
  collate?: string;
  onUpdateNow?: { precision?: number };
  comment?: string;
}

export interface KeyPart {
  name: string;
  /** MySQL index prefix length. */
  length?: number;
  desc?: boolean;
}

export interface ForeignKey {
  name: string | null;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete?: string;
  onUpdate?: string;
}

export interface DumpIndex {
  name: string | null;
  columns: KeyPart[];
  unique: boolean;
}

export interface DumpTableDef {
  name: string;
  columns: DumpColumn[];
  primaryKey: { name: string | null; columns: KeyPart[] } | null;
  /** UNIQUE keys and plain indexes declared in the CREATE TABLE (MySQL, SQLite). */
  indexes: DumpIndex[];
  foreignKeys: ForeignKey[];
  /** `CHECK (col IN (literal, …))`, as SQLAlchemy writes for booleans. */
  checks: { name: string | null; column: string; values: Literal[] }[];
  options: { engine?: string; charset?: string; collate?: string; autoIncrement?: number; comment?: string };
  /** What the dump asked for that the restore does differently (e.g. ENGINE=MyISAM → InnoDB). */
  notes: string[];
}

export type DdlStatement =
  | { kind: 'index'; table: string; index: DumpIndex }
  | { kind: 'primary-key'; table: string; name: string | null; columns: KeyPart[] }
  | { kind: 'unique'; table: string; name: string | null; columns: KeyPart[] }
  | { kind: 'foreign-key'; table: string; fk: ForeignKey }
  | { kind: 'sequence'; name: string; options: SequenceOptions }
  | { kind: 'sequence-owner'; sequence: string; table: string; column: string }
  | { kind: 'column-default'; table: string; column: string; sequence: string }
  | { kind: 'setval'; sequence: string; value: string; called: boolean };

export interface SequenceOptions {
  as?: string;
  start?: string;
  increment?: string;
  minvalue?: string;
  maxvalue?: string;
  cache?: string;
}

/** Turns a possibly qualified name of the dump into LinOTP's table name, or refuses it. */
export type NameResolver = (parts: string[]) => string;

// --- types -------------------------------------------------------------------------------------

const MYSQL_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'bool', 'boolean', 'bit', 'decimal', 'dec', 'numeric', 'float', 'double', 'real', 'char', 'varchar', 'binary', 'varbinary', 'tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'date', 'time', 'datetime', 'timestamp', 'year', 'enum', 'set', 'json']);
const PG_TYPES = new Set(['smallint', 'integer', 'int', 'int2', 'int4', 'int8', 'bigint', 'boolean', 'bool', 'real', 'double precision', 'float4', 'float8', 'numeric', 'decimal', 'character varying', 'varchar', 'character', 'char', 'text', 'bytea', 'date', 'timestamp', 'timestamp without time zone', 'timestamp with time zone', 'timestamptz', 'time', 'time without time zone', 'json', 'jsonb', 'uuid', 'serial', 'bigserial', 'smallserial']);
const SQLITE_TYPES = new Set(['integer', 'int', 'bigint', 'smallint', 'tinyint', 'varchar', 'char', 'character', 'text', 'clob', 'boolean', 'bool', 'datetime', 'timestamp', 'date', 'time', 'blob', 'real', 'float', 'double', 'double precision', 'numeric', 'decimal', 'varbinary']);

function typeSet(d: Engine): Set<string> {
  return d === 'mysql' ? MYSQL_TYPES : d === 'postgres' ? PG_TYPES : SQLITE_TYPES;
}

/** Reads a column type; returns its rebuilt text, or '' (SQLite: a column without a type). */
function readType(c: Cursor, d: Engine): string {
  const t = c.peek();
  if (!t || t.type !== 'word') {
    if (d === 'sqlite') return '';
    throw new TokenError(`expected a column type ${c.near()}`);
  }
  let base = c.next().value.toLowerCase();
  // multi-word PostgreSQL/SQLite types
  const two = (a: string, b: string) => base === a && c.peek()?.type === 'word' && c.peek()!.value === b.toUpperCase();
  if (two('character', 'varying')) base = (c.next(), 'character varying');
  else if (two('double', 'precision')) base = (c.next(), 'double precision');
  let args = '';
  if (c.acceptPunct('(')) {
    const parts: string[] = [];
    for (;;) {
      const a = c.next();
      if (a.type === 'number' && /^\d+$/.test(a.value)) parts.push(a.value);
      else if (a.type === 'string' && (base === 'enum' || base === 'set')) parts.push(quoteString(a.value, d));
      else throw new TokenError(`a type argument that is not a number ${c.near()}`);
      if (c.acceptPunct(')')) break;
      c.expectPunct(',');
    }
    args = `(${parts.join(',')})`;
  } else if (base === 'enum' || base === 'set') throw new TokenError(`${base} without values`);
  if ((base === 'timestamp' || base === 'time') && d === 'postgres') {
    if (c.accept('WITHOUT', 'TIME', 'ZONE')) base += ' without time zone';
    else if (c.accept('WITH', 'TIME', 'ZONE')) base += ' with time zone';
  }
  if (!typeSet(d).has(base)) throw new TokenError(`the column type ${base} is not one this tool restores`);
  let type = base === 'character varying' || base.includes(' time zone') ? insertArgs(base, args) : base + args;
  if (d === 'mysql') {
    for (;;) {
      if (c.accept('UNSIGNED')) type += ' unsigned';
      else if (c.accept('SIGNED')) continue;
      else if (c.accept('ZEROFILL')) type += ' zerofill';
      else break;
    }
  }
  if (c.peek()?.type === 'punct' && c.peek()!.value === '[') throw new TokenError('array columns are not restored');
  return type;
}

/** `timestamp(3) without time zone`: the precision goes after the first word. */
function insertArgs(base: string, args: string): string {
  if (!args) return base;
  if (base === 'character varying') return base + args;
  const sp = base.indexOf(' ');
  return base.slice(0, sp) + args + base.slice(sp);
}

export function quoteString(v: string, d: Engine): string {
  const s = "'" + v.replace(/'/g, "''") + "'";
  return d === 'mysql' ? s.replace(/\\/g, '\\\\') : s;
}

// --- literals ----------------------------------------------------------------------------------

const CAST_TYPES = /^(character varying|text|integer|bigint|smallint|numeric|boolean|bytea|date|timestamp without time zone|timestamp with time zone|double precision|real|bpchar|character)$/;

function readLiteral(c: Cursor, d: Engine, what: string): Literal {
  const t = c.next();
  let lit: Literal | undefined;
  if (t.type === 'string') lit = { kind: 'string', value: t.value };
  else if (t.type === 'number') lit = { kind: 'number', value: t.value };
  else if (t.type === 'word' && t.value === 'NULL') lit = { kind: 'null' };
  else if (t.type === 'word' && (t.value === 'TRUE' || t.value === 'FALSE')) lit = { kind: 'bool', value: t.value === 'TRUE' };
  else if (t.type === 'word' && /^(CURRENT_TIMESTAMP|NOW|LOCALTIMESTAMP)$/.test(t.value)) {
    let precision: number | undefined;
    if (c.acceptPunct('(')) {
      const p = c.peek();
      if (p?.type === 'number' && /^\d$/.test(p.value)) precision = Number(c.next().value);
      c.expectPunct(')');
    } else if (t.value === 'NOW') throw new TokenError(`${what}: now without ()`);
    lit = { kind: 'now', precision };
  } else if (t.type === 'punct' && t.value === '(' && d === 'postgres') {
    // pg_dump writes negative defaults in parentheses: DEFAULT '-1'::integer or (-1)
    lit = readLiteral(c, d, what);
    c.expectPunct(')');
  }
  if (!lit) {
    c.pos--;
    throw new TokenError(`${what} is not a literal ${c.near()} (function calls and expressions are not restored)`);
  }
  if (d === 'postgres' && c.acceptPunct('::')) {
    if (lit.kind !== 'string' && lit.kind !== 'number') throw new TokenError(`${what}: a cast of ${lit.kind}`);
    const cast = readType(c, d);
    if (!CAST_TYPES.test(cast.replace(/\(\d+(,\d+)?\)/, ''))) throw new TokenError(`${what}: a cast to ${cast}`);
    lit.cast = cast;
  }
  return lit;
}

/** `nextval('seq'::regclass)`: the only function call a PostgreSQL default may hold (checked against the dump's sequences later). */
function readNextval(c: Cursor, names: NameResolver, d: Engine): string | undefined {
  const t = c.peek();
  if (t?.type !== 'word' || t.value !== 'NEXTVAL' || c.peek(1)?.value !== '(') return undefined;
  c.pos += 2;
  const s = c.next();
  if (s.type !== 'string') throw new TokenError('nextval of something that is not a sequence name');
  if (c.acceptPunct('::')) c.expect('REGCLASS');
  c.expectPunct(')');
  return names(new Cursor(tokenize(s.value, d)).qualifiedName());
}

// --- CREATE TABLE ------------------------------------------------------------------------------

const REFUSED_WORDS: Record<string, string> = {
  SELECT: 'a CREATE TABLE … SELECT (it would run a query on the target server)',
  LIKE: 'CREATE TABLE … LIKE (it copies another table of the target server)',
  UNION: 'ENGINE=MERGE UNION=(…) (it reads other tables of the target server)',
  DIRECTORY: 'DATA/INDEX DIRECTORY (it places files on the target server)',
  CONNECTION: 'CONNECTION= (it connects the target server elsewhere)',
  PARTITION: 'PARTITION BY (expressions run on the target server)',
  GENERATED: 'a generated column (an expression run on the target server)',
  VIRTUAL: 'a generated column (an expression run on the target server)',
  PERSISTENT: 'a generated column (an expression run on the target server)',
  STORED: 'a generated column (an expression run on the target server)',
  INHERITS: 'INHERITS (it ties the table to another one of the target server)',
  TABLESPACE: 'TABLESPACE (it places the table on the target server)',
};

function refuseWord(t: Token | undefined): void {
  if (t?.type === 'word' && REFUSED_WORDS[t.value]) throw new TokenError(REFUSED_WORDS[t.value]);
}

const ENGINES = new Set(['INNODB', 'MYISAM', 'ARIA']);

function keyParts(c: Cursor, d: Engine): KeyPart[] {
  c.expectPunct('(');
  const parts: KeyPart[] = [];
  for (;;) {
    const p: KeyPart = { name: c.name() };
    if (c.acceptPunct('(')) {
      const n = c.next();
      if (n.type !== 'number' || !/^\d+$/.test(n.value) || d !== 'mysql') throw new TokenError(`an index expression ${c.near()}`);
      p.length = Number(n.value);
      c.expectPunct(')');
    }
    if (c.accept('DESC')) p.desc = true;
    else c.accept('ASC');
    parts.push(p);
    if (c.acceptPunct(')')) return parts;
    c.expectPunct(',');
  }
}

function nameList(c: Cursor): string[] {
  c.expectPunct('(');
  const out: string[] = [];
  for (;;) {
    out.push(c.name());
    if (c.acceptPunct(')')) return out;
    c.expectPunct(',');
  }
}

const FK_ACTIONS = ['CASCADE', 'RESTRICT'];

function readForeignKey(c: Cursor, name: string | null, names: NameResolver): ForeignKey {
  // MySQL allows an index name after FOREIGN KEY
  if (c.peek()?.type !== 'punct') c.name();
  const columns = nameList(c);
  c.expect('REFERENCES');
  const refTable = names(c.qualifiedName());
  const refColumns = nameList(c);
  const fk: ForeignKey = { name, columns, refTable, refColumns };
  for (;;) {
    if (c.accept('MATCH')) {
      if (!c.accept('SIMPLE') && !c.accept('FULL')) throw new TokenError(`an unknown MATCH ${c.near()}`);
      continue;
    }
    if (c.accept('ON')) {
      const which = c.accept('DELETE') ? 'onDelete' : c.accept('UPDATE') ? 'onUpdate' : undefined;
      if (!which) throw new TokenError(`ON ${c.near()}`);
      let action: string | undefined;
      if (c.accept('SET', 'NULL')) action = 'SET NULL';
      else if (c.accept('SET', 'DEFAULT')) action = 'SET DEFAULT';
      else if (c.accept('NO', 'ACTION')) action = 'NO ACTION';
      else for (const a of FK_ACTIONS) if (c.accept(a)) action = a;
      if (!action) throw new TokenError(`an unknown foreign key action ${c.near()}`);
      fk[which] = action;
      continue;
    }
    return fk;
  }
}

/** `CHECK (col IN (0, 1))` — MariaDB writes `(\`col\` in (0,1))`, SQLite keeps SQLAlchemy's text. */
function readCheck(c: Cursor, d: Engine): { column: string; values: Literal[] } {
  try {
    return readCheckIn(c, d);
  } catch (e) {
    if (e instanceof TokenError) throw new TokenError(`a CHECK other than (column IN (literal, …)) ${c.near()}: its expression would run on the target server`);
    throw e;
  }
}

function readCheckIn(c: Cursor, d: Engine): { column: string; values: Literal[] } {
  c.expectPunct('(');
  const column = c.name();
  c.expect('IN');
  c.expectPunct('(');
  const values: Literal[] = [];
  for (;;) {
    values.push(readLiteral(c, d, 'a CHECK value'));
    if (c.acceptPunct(')')) break;
    c.expectPunct(',');
  }
  c.expectPunct(')');
  return { column, values };
}

function optValue(c: Cursor): Token {
  c.acceptPunct('=');
  return c.next();
}

/** Parses `CREATE TABLE …` (comments already removed). */
export function parseCreateTable(sql: string, d: Engine, names: NameResolver): DumpTableDef {
  const c = new Cursor(tokenize(sql, d));
  for (const t of c.tokens) refuseWord(t.type === 'word' && t.value === 'SELECT' ? t : undefined);
  c.expect('CREATE');
  const notes: string[] = [];
  if (c.accept('TEMPORARY') || c.accept('TEMP')) throw new TokenError('a TEMPORARY table');
  if (c.accept('OR', 'REPLACE')) throw new TokenError('CREATE OR REPLACE TABLE');
  if (d === 'postgres' && c.accept('UNLOGGED')) notes.push('UNLOGGED in the dump: created as a normal (logged) table');
  c.expect('TABLE');
  c.accept('IF', 'NOT', 'EXISTS');
  const name = names(c.qualifiedName());
  refuseWord(c.peek());
  if (c.peek()?.type === 'word' && c.peek()!.value === 'AS') throw new TokenError('CREATE TABLE … AS (it would run a query on the target server)');
  c.expectPunct('(');
  const def: DumpTableDef = { name, columns: [], primaryKey: null, indexes: [], foreignKeys: [], checks: [], options: {}, notes };
  for (;;) {
    readItem(c, d, def, names);
    if (c.acceptPunct(')')) break;
    c.expectPunct(',');
  }
  readTableOptions(c, d, def);
  if (!c.done()) throw new TokenError(`unexpected text after the table definition ${c.near()}`);
  for (const col of def.columns) if (!col.type && d !== 'sqlite') throw new TokenError(`column ${col.name} has no type`);
  return def;
}

function readItem(c: Cursor, d: Engine, def: DumpTableDef, names: NameResolver): void {
  refuseWord(c.peek());
  let cname: string | null = null;
  if (c.accept('CONSTRAINT')) {
    const t = c.peek();
    if (t && (t.type === 'ident' || (t.type === 'word' && !['PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK'].includes(t.value)))) cname = c.name();
  }
  if (c.accept('PRIMARY', 'KEY')) {
    c.accept('USING', 'BTREE');
    def.primaryKey = { name: cname, columns: keyParts(c, d) };
    c.accept('USING', 'BTREE');
    return;
  }
  if (c.accept('UNIQUE')) {
    if (!c.accept('KEY')) c.accept('INDEX');
    let iname = cname;
    if (c.peek()?.type !== 'punct' && !(c.peek()?.type === 'word' && c.peek()!.value === 'USING')) iname = c.name();
    c.accept('USING', 'BTREE');
    def.indexes.push({ name: iname, columns: keyParts(c, d), unique: true });
    c.accept('USING', 'BTREE');
    return;
  }
  if (c.accept('FOREIGN', 'KEY')) {
    def.foreignKeys.push(readForeignKey(c, cname, names));
    return;
  }
  if (c.accept('CHECK')) {
    def.checks.push({ name: cname, ...readCheck(c, d) });
    return;
  }
  if (cname !== null) throw new TokenError(`CONSTRAINT ${cname} of an unknown kind ${c.near()}`);
  if (d === 'mysql' && (c.accept('KEY') || c.accept('INDEX'))) {
    let iname: string | null = null;
    if (c.peek()?.type !== 'punct' && !(c.peek()?.type === 'word' && c.peek()!.value === 'USING')) iname = c.name();
    c.accept('USING', 'BTREE');
    def.indexes.push({ name: iname, columns: keyParts(c, d), unique: false });
    c.accept('USING', 'BTREE');
    return;
  }
  const t = c.peek();
  if (t?.type === 'word' && ['FULLTEXT', 'SPATIAL', 'PERIOD', 'EXCLUDE', 'LIKE'].includes(t.value)) {
    throw new TokenError(t.value === 'LIKE' ? REFUSED_WORDS.LIKE : `a ${t.value} definition is not restored`);
  }
  def.columns.push(readColumn(c, d, def, names));
}

function readColumn(c: Cursor, d: Engine, def: DumpTableDef, names: NameResolver): DumpColumn {
  const col: DumpColumn = { name: c.name(), type: '', notNull: false, autoIncrement: false };
  col.type = readType(c, d);
  if (/^(small|big)?serial$/.test(col.type)) {
    col.autoIncrement = true;
    col.notNull = true;
  }
  for (;;) {
    const t = c.peek();
    if (!t || (t.type === 'punct' && (t.value === ',' || t.value === ')'))) return col;
    refuseWord(t);
    if (c.accept('CONSTRAINT')) {
      c.name();
      continue;
    }
    if (c.accept('NOT', 'NULL')) col.notNull = true;
    else if (c.accept('NULL')) col.notNull = false;
    else if (c.accept('DEFAULT')) {
      const seq = d === 'postgres' ? readNextval(c, names, d) : undefined;
      if (seq) col.defaultSequence = seq;
      else col.default = readLiteral(c, d, `the DEFAULT of ${col.name}`);
    } else if (c.accept('AUTO_INCREMENT') || c.accept('AUTOINCREMENT')) col.autoIncrement = true;
    else if (c.accept('PRIMARY', 'KEY')) {
      c.accept('ASC') || c.accept('DESC');
      def.primaryKey = { name: null, columns: [{ name: col.name }] };
      if (c.accept('AUTOINCREMENT')) col.autoIncrement = true;
    } else if (c.accept('UNIQUE')) {
      c.accept('KEY');
      def.indexes.push({ name: null, columns: [{ name: col.name }], unique: true });
    } else if (c.accept('CHARACTER', 'SET') || c.accept('CHARSET')) col.charset = charsetName(c);
    else if (c.accept('COLLATE')) col.collate = collationName(c);
    else if (c.accept('COMMENT')) {
      const s = c.next();
      if (s.type !== 'string') throw new TokenError(`COMMENT without a text ${c.near()}`);
      col.comment = s.value;
    } else if (d === 'mysql' && c.accept('ON', 'UPDATE')) {
      const lit = readLiteral(c, d, `ON UPDATE of ${col.name}`);
      if (lit.kind !== 'now') throw new TokenError(`ON UPDATE of ${col.name} is not CURRENT_TIMESTAMP`);
      col.onUpdateNow = { precision: lit.precision };
    } else if (c.accept('CHECK')) {
      def.checks.push({ name: null, ...readCheck(c, d) });
    } else if (c.accept('REFERENCES')) {
      const refTable = names(c.qualifiedName());
      const refColumns = nameList(c);
      def.foreignKeys.push({ name: null, columns: [col.name], refTable, refColumns });
    } else if (c.peek()?.type === 'word' && c.peek()!.value === 'AS') {
      throw new TokenError(REFUSED_WORDS.GENERATED);
    } else throw new TokenError(`column ${col.name}: ${c.near()} is not something this tool restores`);
  }
}

function charsetName(c: Cursor): string {
  const t = c.next();
  if (t.type === 'word' || t.type === 'ident' || t.type === 'string') {
    const v = t.type === 'word' ? t.raw : t.value;
    if (/^\w+$/.test(v)) return v.toLowerCase();
  }
  throw new TokenError(`a character set name ${c.near()}`);
}

function collationName(c: Cursor): string {
  const parts = c.qualifiedName();
  const v = parts[parts.length - 1];
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog') || !/^[\w.-]+$/.test(v)) throw new TokenError(`a collation name ${c.near()}`);
  return v;
}

function readTableOptions(c: Cursor, d: Engine, def: DumpTableDef): void {
  while (!c.done()) {
    refuseWord(c.peek());
    if (d !== 'mysql') throw new TokenError(`table options ${c.near()}`);
    c.acceptPunct(',');
    if ((c.peek()?.value === 'DATA' || c.peek()?.value === 'INDEX') && c.peek(1)?.value === 'DIRECTORY') throw new TokenError(REFUSED_WORDS.DIRECTORY);
    if (c.accept('ENGINE') || c.accept('TYPE')) {
      const v = optValue(c);
      const engine = (v.type === 'word' ? v.value : v.value.toUpperCase()).toUpperCase();
      if (!ENGINES.has(engine)) throw new TokenError(`ENGINE=${v.raw || v.value}: only InnoDB, MyISAM and Aria tables are restored`);
      def.options.engine = engine === 'INNODB' ? 'InnoDB' : engine === 'MYISAM' ? 'MyISAM' : 'Aria';
      if (engine !== 'INNODB') def.notes.push(`ENGINE=${def.options.engine} in the dump: created as InnoDB`);
      continue;
    }
    c.accept('DEFAULT');
    if (c.accept('CHARSET') || c.accept('CHARACTER', 'SET')) {
      c.acceptPunct('=');
      def.options.charset = charsetName(c);
      continue;
    }
    if (c.accept('COLLATE')) {
      c.acceptPunct('=');
      def.options.collate = collationName(c);
      continue;
    }
    if (c.accept('AUTO_INCREMENT')) {
      const v = optValue(c);
      if (v.type !== 'number' || !/^\d+$/.test(v.value)) throw new TokenError('AUTO_INCREMENT= is not a number');
      def.options.autoIncrement = Number(v.value);
      continue;
    }
    if (c.accept('COMMENT')) {
      const v = optValue(c);
      if (v.type !== 'string') throw new TokenError('COMMENT= without a text');
      def.options.comment = v.value;
      continue;
    }
    const t = c.peek();
    if (t?.type === 'word' && /^(ROW_FORMAT|PAGE_CHECKSUM|TRANSACTIONAL|STATS_PERSISTENT|STATS_AUTO_RECALC|STATS_SAMPLE_PAGES|PACK_KEYS|CHECKSUM|DELAY_KEY_WRITE|KEY_BLOCK_SIZE|AVG_ROW_LENGTH|MAX_ROWS|MIN_ROWS|PAGE_COMPRESSED|PAGE_COMPRESSION_LEVEL)$/.test(t.value)) {
      c.next();
      const v = optValue(c);
      if (v.type !== 'number' && !(v.type === 'word' && /^\w+$/.test(v.raw))) throw new TokenError(`${t.value}= ${c.near()}`);
      continue;
    }
    throw new TokenError(`the table option ${c.near()} is not one this tool restores`);
  }
}

// --- the other DDL statements of a dump --------------------------------------------------------

/** `CREATE [UNIQUE] INDEX name ON [ONLY] t [USING btree] (cols)`. */
export function parseCreateIndex(sql: string, d: Engine, names: NameResolver): DdlStatement {
  const c = new Cursor(tokenize(sql, d));
  c.expect('CREATE');
  const unique = c.accept('UNIQUE');
  c.expect('INDEX');
  c.accept('IF', 'NOT', 'EXISTS');
  const iname = c.qualifiedName();
  c.expect('ON');
  c.accept('ONLY');
  const table = names(c.qualifiedName());
  if (c.accept('USING') && !c.accept('BTREE')) throw new TokenError(`an index method ${c.near()} (only btree indexes are restored)`);
  const columns = keyParts(c, d);
  if (!c.done()) throw new TokenError(`unexpected text after the index ${c.near()} (partial and expression indexes are not restored)`);
  return { kind: 'index', table, index: { name: iname[iname.length - 1], columns, unique } };
}

/**
 * pg_dump's `ALTER TABLE [ONLY] t …`: ADD CONSTRAINT (primary key, unique, foreign key), ALTER
 * COLUMN c SET DEFAULT nextval(…); null for what the restore leaves out on purpose (OWNER TO).
 */
export function parseAlterTable(sql: string, d: Engine, names: NameResolver): DdlStatement | { ignored: string } {
  const c = new Cursor(tokenize(sql, d));
  c.expect('ALTER', 'TABLE');
  c.accept('ONLY');
  c.accept('IF', 'EXISTS');
  c.accept('ONLY');
  const parts = c.qualifiedName();
  const table = names(parts);
  if (c.accept('OWNER', 'TO')) {
    c.name();
    if (!c.done()) throw new TokenError(`unexpected text ${c.near()}`);
    return { ignored: 'ownership (ALTER … OWNER TO)' };
  }
  if (d === 'mysql' && (c.accept('DISABLE', 'KEYS') || c.accept('ENABLE', 'KEYS')) && c.done()) return { ignored: 'ALTER TABLE … DISABLE/ENABLE KEYS' };
  if (c.accept('ALTER', 'COLUMN') || c.accept('ALTER')) {
    const column = c.name();
    if (!c.accept('SET', 'DEFAULT')) throw new TokenError(`ALTER COLUMN ${column} ${c.near()}: only SET DEFAULT nextval(…) is restored (TYPE … USING would run an expression on the target server)`);
    const seq = readNextval(c, names, d);
    if (!seq || !c.done()) throw new TokenError(`a column default that is not nextval of a sequence ${c.near()}`);
    return { kind: 'column-default', table, column, sequence: seq };
  }
  c.expect('ADD');
  let cname: string | null = null;
  if (c.accept('CONSTRAINT')) cname = c.name();
  let st: DdlStatement;
  if (c.accept('PRIMARY', 'KEY')) st = { kind: 'primary-key', table, name: cname, columns: keyParts(c, d) };
  else if (c.accept('UNIQUE')) st = { kind: 'unique', table, name: cname, columns: keyParts(c, d) };
  else if (c.accept('FOREIGN', 'KEY')) st = { kind: 'foreign-key', table, fk: readForeignKey(c, cname, names) };
  else throw new TokenError(`ALTER TABLE … ADD ${c.near()} is not something this tool restores (CHECK, EXCLUDE and USING are refused)`);
  c.accept('NOT', 'DEFERRABLE');
  if (!c.done()) throw new TokenError(`unexpected text after the constraint ${c.near()}`);
  return st;
}

/** `CREATE SEQUENCE s [AS integer] [START WITH n] [INCREMENT BY n] [NO MINVALUE|MINVALUE n] [NO MAXVALUE|MAXVALUE n] [CACHE n]`. */
export function parseCreateSequence(sql: string, d: Engine, names: NameResolver): DdlStatement {
  const c = new Cursor(tokenize(sql, d));
  c.expect('CREATE', 'SEQUENCE');
  c.accept('IF', 'NOT', 'EXISTS');
  const name = names(c.qualifiedName());
  const options: SequenceOptions = {};
  const num = () => {
    const t = c.next();
    if (t.type !== 'number' || !/^-?\d+$/.test(t.value)) throw new TokenError(`a sequence option that is not an integer ${c.near()}`);
    return t.value;
  };
  while (!c.done()) {
    if (c.accept('AS')) {
      const t = c.next();
      if (t.type !== 'word' || !/^(SMALLINT|INTEGER|BIGINT)$/.test(t.value)) throw new TokenError('a sequence type other than smallint/integer/bigint');
      options.as = t.value.toLowerCase();
    } else if (c.accept('START')) {
      c.accept('WITH');
      options.start = num();
    } else if (c.accept('INCREMENT')) {
      c.accept('BY');
      options.increment = num();
    } else if (c.accept('NO', 'MINVALUE') || c.accept('NO', 'MAXVALUE') || c.accept('NO', 'CYCLE')) continue;
    else if (c.accept('MINVALUE')) options.minvalue = num();
    else if (c.accept('MAXVALUE')) options.maxvalue = num();
    else if (c.accept('CACHE')) options.cache = num();
    else throw new TokenError(`the sequence option ${c.near()} is not one this tool restores`);
  }
  return { kind: 'sequence', name, options };
}

/** `ALTER SEQUENCE s OWNED BY t.c`; OWNER TO is left out. */
export function parseAlterSequence(sql: string, d: Engine, names: NameResolver): DdlStatement | { ignored: string } {
  const c = new Cursor(tokenize(sql, d));
  c.expect('ALTER', 'SEQUENCE');
  const sequence = names(c.qualifiedName());
  if (c.accept('OWNER', 'TO')) {
    c.name();
    if (c.done()) return { ignored: 'ownership (ALTER … OWNER TO)' };
  }
  c.expect('OWNED', 'BY');
  const parts = c.qualifiedName();
  if (parts.length < 2) throw new TokenError('OWNED BY without a table');
  const column = parts.pop()!;
  const table = names(parts);
  if (!c.done()) throw new TokenError(`unexpected text ${c.near()}`);
  return { kind: 'sequence-owner', sequence, table, column };
}

/** `SELECT pg_catalog.setval('s', n, true|false)`: the only SELECT a dump may hold. */
export function parseSetval(sql: string, d: Engine, names: NameResolver): DdlStatement {
  const c = new Cursor(tokenize(sql, d));
  c.expect('SELECT');
  const fn = c.qualifiedName();
  if (fn.length > 2 || fn[fn.length - 1].toLowerCase() !== 'setval' || (fn.length === 2 && fn[0] !== 'pg_catalog')) throw new TokenError('a SELECT (only pg_catalog.setval is read)');
  c.expectPunct('(');
  const s = c.next();
  if (s.type !== 'string') throw new TokenError('setval of something that is not a sequence name');
  const sequence = names(new Cursor(tokenize(s.value, d)).qualifiedName());
  c.expectPunct(',');
  const v = c.next();
  if (v.type !== 'number' || !/^-?\d+$/.test(v.value)) throw new TokenError('setval to something that is not an integer');
  let called = true;
  if (c.acceptPunct(',')) {
    if (c.accept('FALSE')) called = false;
    else c.expect('TRUE');
  }
  c.expectPunct(')');
  if (!c.done()) throw new TokenError(`unexpected text ${c.near()}`);
  return { kind: 'setval', sequence, value: v.value, called };
}
