/**
 * A dump's CREATE TABLE read as a definition, never as code (issue 21 item 8): a `DumpTableDef`
 * (columns with types from an allow-list, NULL/NOT NULL, literal defaults only, AUTO_INCREMENT/serial,
 * keys, indexes, foreign keys, `col IN (…)` checks, charset/collation, storage engine). ddlgen.ts
 * writes the SQL the restore runs from it, with names it quotes itself. Anything outside this
 * grammar — a SELECT, LIKE, UNION=, DATA/INDEX DIRECTORY, generated columns, a function call in a
 * default or check, another database's or schema's name, unknown options — throws `TokenError`
 * with what it found; the dump reader adds the line number. pg_dump's separate statements:
 * ddlstatements.ts.
 */
import type { Engine } from '../db/types.js';
import { keyParts, nameList, readForeignKey, readLiteral, readNextval, readType, type DumpColumn, type DumpTableDef, type Literal, type NameResolver } from './ddldef.js';
import { Cursor, TokenError, tokenize, type Token } from './sqltokens.js';

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

type CheckBody = { column: string } & ({ kind: 'in'; values: Literal[] } | { kind: 'json_valid' });

function readCheck(c: Cursor, d: Engine): CheckBody {
  try {
    return readCheckIn(c, d);
  } catch (e) {
    if (e instanceof TokenError) throw new TokenError(`a CHECK other than (column IN (literal, …)) ${c.near()}: its expression would run on the target server`);
    throw e;
  }
}

function readCheckIn(c: Cursor, d: Engine): CheckBody {
  c.expectPunct('(');
  if (d === 'mysql' && c.peek()?.value === 'JSON_VALID' && c.peek(1)?.value === '(') {
    c.pos += 2;
    const column = c.name();
    c.expectPunct(')');
    c.expectPunct(')');
    return { column, kind: 'json_valid' };
  }
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
  return { column, kind: 'in', values };
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
  const fulltext = d === 'mysql' && c.accept('FULLTEXT');
  if (d === 'mysql' && (c.accept('KEY') || c.accept('INDEX') || fulltext)) {
    let iname: string | null = null;
    if (c.peek()?.type !== 'punct' && !(c.peek()?.type === 'word' && c.peek()!.value === 'USING')) iname = c.name();
    c.accept('USING', 'BTREE');
    def.indexes.push({ name: iname, columns: keyParts(c, d), unique: false, ...(fulltext ? { fulltext } : {}) });
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

