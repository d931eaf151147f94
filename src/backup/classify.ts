/**
 * The statement classifier of the dump reader: every statement of a dump (MySQL/MariaDB dumps,
 * pg_dump plain SQL, sqlite3 .dump, this tool's archives) is
 * - restored: a table definition, a row batch (INSERT/REPLACE/COPY, classified in dumpread.ts), or
 *   one of pg_dump's separate DDL statements (sequences, constraints, indexes) — all parsed, then
 *   rebuilt by ddlgen.ts, never replayed;
 * - deliberately ignored and listed (session settings, locks, DROPs the restore does itself, triggers,
 *   views, routines, ownership, PostgreSQL privileges, psql's \restrict): `{ ignored }`;
 * - or a reason to refuse (client commands that run programs or read files, GRANT on MySQL, SET
 *   GLOBAL, COPY … PROGRAM or from a file, any statement this list does not know): `TokenError`.
 * Rules: docs/backup.md "What restore reads, ignores and refuses".
 */
import type { Engine } from '../db/types.js';
import type { DdlStatement, DumpTableDef, NameResolver } from './ddldef.js';
import { parseCreateTable } from './ddlparse.js';
import { parseAlterSequence, parseAlterTable, parseCreateIndex, parseCreateSequence, parseSetval } from './ddlstatements.js';
import { TokenError, tokenize } from './sqltokens.js';

export type Classified =
  | { type: 'create'; def: DumpTableDef }
  | { type: 'ddl'; table: string | null; stmt: DdlStatement }
  /** `view`: the name of a view the dump defines (mysqldump writes a placeholder table for it first). */
  | { type: 'ignored'; what: string; view?: string }
  | { type: 'set'; name: 'names' | 'time_zone' | 'client_encoding'; value: string };

/** What the classifier remembers across a dump's statements. */
export class ClassifyState {
  /** PostgreSQL: the schema the dump's names are qualified with (pg_dump: the source's, usually public). */
  schema: string | undefined;
  /** The database a dump switches to (USE, \connect, CREATE DATABASE): only one is accepted. */
  database: string | undefined;
  /** Sequences the dump creates, with the column that owns each (PostgreSQL). */
  sequences = new Map<string, { table: string; column: string } | null>();

  constructor(readonly dialect: Engine) {}

  readonly names: NameResolver = (parts) => {
    if (parts.length === 1) return parts[0];
    if (parts.length === 2 && this.dialect === 'postgres') {
      this.schema ??= parts[0];
      if (parts[0] === this.schema) return parts[1];
      throw new TokenError(`the name ${parts.join('.')} is in schema ${parts[0]}, the dump's other names in ${this.schema}`);
    }
    throw new TokenError(`the name ${parts.join('.')} names another ${this.dialect === 'postgres' ? 'schema or database' : 'database'}`);
  };

  /** The one database the dump is of; a second one is refused (the restore fills one target). */
  useDatabase(name: string): string {
    if (this.database !== undefined && this.database !== name) throw new TokenError(`the dump switches to a second database (${this.database}, then ${name}); restore one database's dump at a time`);
    this.database = name;
    return name;
  }
}

/** Text of the dump shown in a message: control and non-ASCII bytes escaped (no terminal escapes reach the screen). */
export function shown(text: string, max = 40): string {
  return JSON.stringify(text.slice(0, max)).slice(1, -1);
}

/** Control characters (C0, DEL, C1) of names from the dump, escaped for messages and listings. */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const PSQL_IGNORED = /^\\(restrict|unrestrict)\b/;

/** A client command line (`\…`, mysql `source …`, sqlite3 `.…`). */
export function classifyMeta(line: string, st: ClassifyState): Classified {
  const d = st.dialect;
  const text = line.trim();
  if (d === 'postgres') {
    if (PSQL_IGNORED.test(text)) return { type: 'ignored', what: 'psql \\restrict/\\unrestrict markers' };
    const c = /^\\(?:connect|c)\s+(?:-reuse-previous=\S+\s+)?("(?:[^"]|"")+"|\S+)\s*$/.exec(text);
    if (c) return { type: 'ignored', what: `psql \\connect ${st.useDatabase(c[1].replace(/^"|"$/g, '').replace(/""/g, '"'))} (restored into the target database)` };
  } else if (d === 'mysql') {
    if (/^(delimiter|\\d)\s/i.test(text)) return { type: 'ignored', what: 'DELIMITER (mysql client syntax)' };
    const u = /^(?:use|\\u)\s+(`(?:[^`]|``)+`|[^\s;`]+)\s*;?\s*$/i.exec(text);
    if (u) return { type: 'ignored', what: `USE ${st.useDatabase(u[1].replace(/^`|`$/g, '').replace(/``/g, '`'))} (restored into the target database)` };
  }
  throw new TokenError(`a ${d === 'postgres' ? 'psql' : d === 'mysql' ? 'mysql client' : 'sqlite3'} command (${shown(text)}): it would run on the machine restoring the dump, not in the database`);
}

const ROUTINE = /^CREATE\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*(?:`[^`]*`|'[^']*'|[^\s@]+)(?:@(?:`[^`]*`|'[^']*'|\S+))?\s+)?(?:SQL\s+SECURITY\s+\w+\s+)?(?:CONSTRAINT\s+|MATERIALIZED\s+|RECURSIVE\s+|AGGREGATE\s+)?(TRIGGER|VIEW|PROCEDURE|FUNCTION|EVENT|RULE|POLICY|PACKAGE(?:\s+BODY)?)\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w$]+)(?:\.(?:`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w$]+))?)/i;

/** SET assignments whose values are literals, variables or plain words (session settings of a dump). */
function plainSet(text: string, d: Engine): boolean {
  try {
    const toks = tokenize(text, d);
    return !toks.some((t) => t.type === 'punct' && !['=', ',', '@', '.', '-'].includes(t.value));
  } catch {
    return false;
  }
}

/** Classifies one statement (comments removed, executable comments unwrapped), not INSERT/COPY. */
export function classifyStatement(sql: string, st: ClassifyState): Classified {
  const d = st.dialect;
  const head = sql.slice(0, 200).replace(/\s+/g, ' ').toUpperCase();
  const words = head.split(/[\s(;=]/, 3);
  const verb = words[0];
  const noun = shown(words[1] ?? '', 30);
  const refuse = (what: string): never => {
    throw new TokenError(what);
  };
  switch (verb) {
    case 'CREATE': {
      if (/^CREATE (TEMPORARY |TEMP |UNLOGGED |OR REPLACE )?TABLE /.test(head)) return { type: 'create', def: parseCreateTable(sql, d, st.names) };
      if (/^CREATE (UNIQUE )?INDEX /.test(head)) {
        const stmt = parseCreateIndex(sql, d, st.names);
        return { type: 'ddl', table: (stmt as { table: string }).table, stmt };
      }
      if (/^CREATE SEQUENCE /.test(head) && d === 'postgres') {
        const stmt = parseCreateSequence(sql, d, st.names);
        if (stmt.kind === 'sequence') st.sequences.set(stmt.name, null);
        return { type: 'ddl', table: null, stmt };
      }
      const r = ROUTINE.exec(sql);
      if (r) {
        const name = r[2].replace(/[`"]/g, '');
        return { type: 'ignored', what: `${r[1].toLowerCase()} ${name} (LinOTP defines none; recreate it by hand if it is yours)`, ...(/^VIEW$/i.test(r[1]) ? { view: name } : {}) };
      }
      const db = /^CREATE (?:DATABASE|SCHEMA)\s+(?:IF NOT EXISTS\s+)?(`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w$]+)/i.exec(sql.replace(/\s+/g, ' '));
      if (db && noun === 'DATABASE') return { type: 'ignored', what: `CREATE DATABASE ${st.useDatabase(db[1].replace(/^[`"]|[`"]$/g, ''))} (restored into the target database)` };
      if (db && d === 'postgres') return { type: 'ignored', what: `CREATE SCHEMA ${db[1]} (the tables are restored into the target's schema)` };
      if (d === 'postgres' && /^CREATE (EXTENSION|TYPE|DOMAIN|PUBLICATION|SUBSCRIPTION|STATISTICS|TEXT SEARCH|COLLATION|CAST|OPERATOR|LANGUAGE|TRANSFORM|EVENT TRIGGER|FOREIGN|SERVER|USER MAPPING|ACCESS METHOD|CONVERSION|PROCEDURE) /.test(head)) {
        return { type: 'ignored', what: `CREATE ${noun} (LinOTP uses none)` };
      }
      return refuse(`CREATE ${noun} is not a statement a LinOTP dump holds`);
    }
    case 'ALTER': {
      if (noun === 'TABLE') {
        const r = parseAlterTable(sql, d, st.names);
        if ('ignored' in r) return { type: 'ignored', what: r.ignored };
        if (r.kind === 'column-default') checkOwnSequence(st, r.sequence, r.table, r.column);
        return { type: 'ddl', table: (r as { table: string }).table, stmt: r };
      }
      if (noun === 'SEQUENCE' && d === 'postgres') {
        const r = parseAlterSequence(sql, d, st.names);
        if ('ignored' in r) return { type: 'ignored', what: r.ignored };
        if (r.kind === 'sequence-owner') {
          if (!st.sequences.has(r.sequence)) refuse(`ALTER SEQUENCE of ${r.sequence}, which the dump does not create`);
          st.sequences.set(r.sequence, { table: r.table, column: r.column });
        }
        return { type: 'ddl', table: (r as { table: string }).table ?? null, stmt: r };
      }
      if (d === 'postgres' && /^ALTER (FUNCTION|PROCEDURE|VIEW|MATERIALIZED VIEW|TYPE|DOMAIN|SCHEMA|DATABASE|EXTENSION|AGGREGATE|TRIGGER|RULE|POLICY|PUBLICATION|SUBSCRIPTION|DEFAULT PRIVILEGES|INDEX) /.test(head)) {
        if (/\bOWNER TO\b/.test(head) || noun === 'DEFAULT' || noun === 'DATABASE' || noun === 'SCHEMA') return { type: 'ignored', what: `ALTER ${noun} … (ownership and settings of objects the restore does not create)` };
      }
      return refuse(`ALTER ${noun} is not a statement a LinOTP dump holds`);
    }
    case 'DROP': {
      if (/^DROP (TABLE|VIEW|SEQUENCE|INDEX|TRIGGER|FUNCTION|PROCEDURE|EVENT|MATERIALIZED VIEW) /.test(head)) return { type: 'ignored', what: `DROP ${noun} (the restore replaces the tables itself)` };
      return refuse(`DROP ${noun} is not a statement a LinOTP dump holds`);
    }
    case 'LOCK':
    case 'UNLOCK':
      if (noun === 'TABLES' || noun === 'TABLE') return { type: 'ignored', what: 'LOCK/UNLOCK TABLES' };
      return refuse(`${verb} ${noun} is not a statement a LinOTP dump holds`);
    case 'SET':
      return classifySet(sql, head, st);
    case 'SELECT': {
      if (d === 'postgres' && /^SELECT (PG_CATALOG\.)?SETVAL\s*\(/.test(head)) {
        const stmt = parseSetval(sql, d, st.names);
        if (stmt.kind === 'setval' && !st.sequences.has(stmt.sequence)) refuse(`setval of ${stmt.sequence}, which the dump does not create`);
        return { type: 'ddl', table: null, stmt };
      }
      if (d === 'postgres' && /^SELECT PG_CATALOG\.SET_CONFIG\('SEARCH_PATH', '', FALSE\)$/.test(head.trim())) return { type: 'ignored', what: 'session settings (SET …)' };
      return refuse('a SELECT (a dump holds no queries: it would run on the target server)');
    }
    case 'GRANT':
    case 'REVOKE':
      if (d === 'postgres' && / ON /.test(head)) return { type: 'ignored', what: 'privileges (GRANT/REVOKE … ON …; grant them on the new server)' };
      return refuse(`${verb} (a dump of LinOTP's data holds no privileges: it would change the target server's users)`);
    case 'COMMENT':
      if (d === 'postgres' && noun === 'ON') return { type: 'ignored', what: 'COMMENT ON …' };
      return refuse('COMMENT is not a statement a LinOTP dump holds');
    case 'BEGIN':
    case 'COMMIT':
    case 'START':
    case 'END':
      if (verb !== 'START' || noun === 'TRANSACTION') return { type: 'ignored', what: 'BEGIN/COMMIT (the restore runs its own transaction)' };
      return refuse(`${verb} ${noun} is not a statement a LinOTP dump holds`);
    case 'PRAGMA':
      if (d === 'sqlite' && /^PRAGMA FOREIGN_KEYS\s*=\s*(OFF|0)$/.test(head.trim())) return { type: 'ignored', what: 'PRAGMA foreign_keys=OFF' };
      return refuse('a PRAGMA other than foreign_keys=OFF');
    case 'DELETE':
      if (d === 'sqlite' && /^DELETE FROM "?SQLITE_SEQUENCE"?$/.test(head.trim())) return { type: 'ignored', what: 'DELETE FROM sqlite_sequence' };
      return refuse('a DELETE (a dump holds no deletions)');
    default:
      if (!/^[A-Z_]+$/.test(verb)) return refuse(`this does not look like a SQL dump (it holds "${shown(sql, 20)}" where a statement belongs)`);
      return refuse(`${verb.slice(0, 30)} is not a statement a LinOTP dump holds`);
  }
}

/** A default `nextval('s')` of table.column: s must be a sequence of this dump, not another column's. */
export function checkOwnSequence(st: ClassifyState, seq: string, table: string, column: string): void {
  if (!st.sequences.has(seq)) throw new TokenError(`the default of ${table}.${column} is nextval of ${seq}, which the dump does not create`);
  const owner = st.sequences.get(seq);
  if (owner && (owner.table !== table || owner.column !== column)) throw new TokenError(`the default of ${table}.${column} is nextval of ${seq}, the sequence of ${owner.table}.${owner.column}`);
}

function classifySet(sql: string, head: string, st: ClassifyState): Classified {
  const d = st.dialect;
  if (/^SET (GLOBAL|PERSIST|PERSIST_ONLY)\b|@@(GLOBAL|PERSIST)\./.test(head)) throw new TokenError('SET GLOBAL (it would change the target server for everyone)');
  if (/^SET (PASSWORD|ROLE|DEFAULT ROLE|SESSION AUTHORIZATION|STATEMENT)\b/.test(head)) throw new TokenError(`${head.split(' ', 3).join(' ')} is not a statement a LinOTP dump holds`);
  const names = /^SET\s+NAMES\s+'?(\w+)'?(?:\s+COLLATE\s+'?\w+'?)?$/i.exec(sql.trim());
  if (names) return { type: 'set', name: 'names', value: names[1].toLowerCase() };
  const tz = /^SET\s+(?:SESSION\s+)?TIME_ZONE\s*=\s*'([^']*)'$/i.exec(sql.trim());
  if (tz) return { type: 'set', name: 'time_zone', value: tz[1] };
  const enc = /^SET\s+client_encoding\s*=\s*'?([\w-]+)'?$/i.exec(sql.trim());
  if (enc && d === 'postgres') return { type: 'set', name: 'client_encoding', value: enc[1].toUpperCase() };
  const mode = d === 'mysql' ? /\bSQL_MODE\s*=\s*'([^']*)'/i.exec(sql)?.[1] : undefined;
  if (mode && /\b(ANSI|ANSI_QUOTES|NO_BACKSLASH_ESCAPES|POSTGRESQL|ORACLE|MSSQL|DB2|MAXDB)\b/i.test(mode)) {
    // --compatible=ansi (and the other modes) leaves out every table's ENGINE and character set, and
    // changes how strings and names are quoted: the tables cannot be rebuilt as they were.
    throw new TokenError(`the dump was made with sql_mode ${mode} (mariadb-dump/mysqldump --compatible=…), which leaves out the tables' character sets`);
  }
  if (/^SET (TRANSACTION|SESSION CHARACTERISTICS)\b/.test(head)) return { type: 'ignored', what: 'session settings (SET …)' };
  if (!plainSet(sql.slice(3), d)) throw new TokenError('a SET whose value is not a literal or a variable (it would run an expression on the target server)');
  return { type: 'ignored', what: 'session settings (SET …)' };
}
