/**
 * The parsed form of a dump's DDL (ddlparse.ts: CREATE TABLE, ddlstatements.ts: pg_dump's separate
 * statements), and the readers both use: column types from an allow-list, literals (no function call
 * but CURRENT_TIMESTAMP and a table's own nextval), key parts, foreign keys. ddlgen.ts writes SQL
 * from these definitions. A token outside this grammar throws `TokenError`.
 */
import type { Engine } from '../db/types.js';
import { Cursor, TokenError, tokenize } from './sqltokens.js';

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
  /** MySQL FULLTEXT KEY. */
  fulltext?: boolean;
}

/**
 * The checks a dump may carry: `col IN (literal, …)` (SQLAlchemy's boolean check) and MariaDB's
 * `json_valid(col)` on JSON columns; every other expression is refused.
 */
export type DumpCheck = { name: string | null; column: string } & ({ kind: 'in'; values: Literal[] } | { kind: 'json_valid' });

export interface DumpTableDef {
  name: string;
  columns: DumpColumn[];
  primaryKey: { name: string | null; columns: KeyPart[] } | null;
  /** UNIQUE keys and plain indexes declared in the CREATE TABLE (MySQL, SQLite). */
  indexes: DumpIndex[];
  foreignKeys: ForeignKey[];
  /** `CHECK (col IN (literal, …))`, as SQLAlchemy writes for booleans. */
  checks: DumpCheck[];
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
export function readType(c: Cursor, d: Engine): string {
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

export function readLiteral(c: Cursor, d: Engine, what: string): Literal {
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
export function readNextval(c: Cursor, names: NameResolver, d: Engine): string | undefined {
  const t = c.peek();
  if (t?.type !== 'word' || t.value !== 'NEXTVAL' || c.peek(1)?.value !== '(') return undefined;
  c.pos += 2;
  const s = c.next();
  if (s.type !== 'string') throw new TokenError('nextval of something that is not a sequence name');
  if (c.acceptPunct('::')) c.expect('REGCLASS');
  c.expectPunct(')');
  return names(new Cursor(tokenize(s.value, d)).qualifiedName());
}

export function keyParts(c: Cursor, d: Engine): KeyPart[] {
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

export function nameList(c: Cursor): string[] {
  c.expectPunct('(');
  const out: string[] = [];
  for (;;) {
    out.push(c.name());
    if (c.acceptPunct(')')) return out;
    c.expectPunct(',');
  }
}

const FK_ACTIONS = ['CASCADE', 'RESTRICT'];

export function readForeignKey(c: Cursor, name: string | null, names: NameResolver): ForeignKey {
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
