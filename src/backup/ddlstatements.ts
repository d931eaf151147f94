/**
 * pg_dump's DDL outside CREATE TABLE (and CREATE INDEX on every engine), read as definitions:
 * indexes, ALTER TABLE … ADD CONSTRAINT (primary key, unique, foreign key), ALTER COLUMN … SET
 * DEFAULT nextval(…), sequences, their owner and position. OWNER TO and MySQL's DISABLE/ENABLE KEYS
 * come back as `{ ignored }`; anything else throws `TokenError`.
 */
import type { Engine } from '../db/types.js';
import { keyParts, readForeignKey, readNextval, type DdlStatement, type NameResolver, type SequenceOptions } from './ddldef.js';
import { Cursor, TokenError, tokenize } from './sqltokens.js';

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
