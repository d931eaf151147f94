/**
 * Reads a SQL dump (ours, mysqldump/mariadb-dump, pg_dump plain, sqlite3 .dump) into events: table
 * definitions (parsed, ddlparse.ts), row batches, pg_dump's separate DDL (parsed), session settings,
 * and the statements deliberately left out (`ignored`, listed by inspect/verify/restore). Every other
 * statement is refused here with its line number (classify.ts), so `backup verify`, `backup restore`
 * and catch-up's scratch restore, which all read through this, agree on every dump.
 * Literals are decoded from bytes on demand (values.ts): MySQL strings by the dump's SET NAMES charset,
 * `_binary '…'`, `0x…` and X'…' as bytes; PostgreSQL COPY fields as text (NULL = `\N`).
 */
import { isUtf8 } from 'node:buffer';
import type { Engine, SqlValue } from '../db/types.js';
import { decodeMysqlLatin1 } from '../encoding/mysql-latin1.js';
import { InputError } from '../errors.js';
import { checkOwnSequence, ClassifyState, escapeControls, classifyMeta, classifyStatement, type Classified } from './classify.js';
import { copyFields, parseCopyLines } from './copydata.js';
import type { DdlStatement, DumpTableDef } from './ddldef.js';
import { SqlScanner } from './scanner.js';
import { Cursor, TokenError, tokenize } from './sqltokens.js';
import { decodeValues, lexValues, type Decode, type LexedValues } from './values.js';

export interface ColumnSpec {
  name: string;
  /** The column's type as the dump declares it, rebuilt from the allow-list, lower case (e.g. `varchar(255)`, `character varying(255)`). */
  type: string;
}

export type DumpEvent =
  | { type: 'create'; table: string; def: DumpTableDef; columns: ColumnSpec[]; line: number }
  | RowsEvent
  | { type: 'ddl'; table: string | null; stmt: DdlStatement; line: number }
  | { type: 'set'; name: string; value: string; line: number }
  | { type: 'ignored'; what: string; line: number; view?: string };

/**
 * A batch of rows of one table (one INSERT statement, or up to ~1 MB of COPY lines). Values are
 * parsed only when asked for: checksums, counts and same-engine loads work on the dump text.
 */
export interface RowsEvent {
  type: 'rows';
  table: string;
  columns: string[] | null;
  line: number;
  /** Rows in the event (INSERT: the VALUES list is syntax-checked on the first call). */
  count(): number;
  /** Fields per row (every row of the event has this many; checked when called). */
  fields(): number;
  /** The rows as the dump carries them, each followed by `\n`: what manifest checksums cover (sqltext.ts). */
  rowText(): Buffer;
  /**
   * The rows' dump text to load as it is, after the syntax check (literals only): COPY lines for a
   * PostgreSQL COPY, the VALUES list of a MySQL/SQLite INSERT. null when it must be decoded (not
   * UTF-8, or pg_dump --inserts, whose VALUES PostgreSQL's COPY cannot read).
   */
  passthrough(): Buffer | null;
  /** The decoded values. */
  values(): SqlValue[][];
}

// ignoreBOM: a value that starts with U+FEFF keeps it (the default decoder would drop it).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Removes MariaDB's sandbox marker and comments, and unwraps `/*!40101 … *\/` executable comments. */
export function cleanStatement(sql: string): string {
  return sql
    .replace(/\/\*M?!999999\\-[^*]*\*\//g, ' ')
    .replace(/\/\*M?!\d*\s?([\s\S]*?)\*\//g, ' $1 ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|\n)\s*(--|#)[^\n]*/g, '$1')
    .trim();
}

/** `(a, b, …)` of an INSERT or COPY: the column names. */
function columnList(c: Cursor): string[] | null {
  if (!c.acceptPunct('(')) return null;
  const out: string[] = [];
  for (;;) {
    out.push(c.name());
    if (c.acceptPunct(')')) return out;
    c.expectPunct(',');
  }
}

/** `INSERT [DELAYED|LOW_PRIORITY|HIGH_PRIORITY] [IGNORE] INTO t [(cols)] [OVERRIDING … VALUE]`, `REPLACE …`: the table and columns. */
function insertHead(head: string, dialect: Engine, state: ClassifyState): { table: string; columns: string[] | null } {
  const c = new Cursor(tokenize(head, dialect));
  if (!c.accept('INSERT')) c.expect('REPLACE');
  if (dialect === 'mysql') {
    if (!c.accept('LOW_PRIORITY') && !c.accept('DELAYED')) c.accept('HIGH_PRIORITY');
    c.accept('IGNORE');
  }
  c.expect('INTO');
  const table = state.names(c.qualifiedName());
  const columns = columnList(c);
  if (dialect === 'postgres' && c.accept('OVERRIDING')) {
    if (!c.accept('SYSTEM')) c.expect('USER');
    c.expect('VALUE');
  }
  if (!c.done()) throw new TokenError(`unexpected text before VALUES ${c.near()}`);
  return { table, columns };
}

/** `COPY t [(cols)] FROM stdin`: anything else (a file, a program, TO, options) is refused. */
function copyHead(head: string, state: ClassifyState): { table: string; columns: string[] | null } {
  const c = new Cursor(tokenize(head, 'postgres'));
  c.expect('COPY');
  const table = state.names(c.qualifiedName());
  const columns = columnList(c);
  if (c.accept('TO')) throw new TokenError('COPY … TO (it writes a file or runs a program on the server)');
  c.expect('FROM');
  if (c.accept('PROGRAM')) throw new TokenError('COPY … FROM PROGRAM (it would run a program on the database server)');
  const src = c.next();
  if (src.type === 'string') {
    if (src.value.includes('$$PATH$$')) throw new TokenError("COPY … FROM '$$PATH$$/…': this is the restore.sql of a pg_dump directory or tar archive (-Fd/-Ft), whose rows are in separate files");
    throw new TokenError('COPY … FROM a file (it reads a file of the database server)');
  }
  if (src.type !== 'word' || src.value !== 'STDIN') throw new TokenError(`COPY … FROM ${src.raw || src.value}`);
  if (!c.done()) throw new TokenError(`COPY options ${c.near()} (only pg_dump's text format is read)`);
  return { table, columns };
}

const HINTS: [RegExp, string][] = [
  [/\$\$PATH\$\$/, 'convert the archive to one SQL file first: pg_restore -f dump.sql <archive>, then restore dump.sql'],
  [/client command|psql command|sqlite3 command/, 'remove the line from the dump; a dump made by mariadb-dump/mysqldump or pg_dump has none'],
  [/schema|another database/, 'dump the LinOTP database alone (mariadb-dump <db>, pg_dump -n <schema> <db>) and restore that file'],
  [/--compatible/, 'make the dump again without --compatible (mariadb-dump <db> > dump.sql)'],
  [/second database/, 'dump the LinOTP database alone (mariadb-dump <db>, not --all-databases; pg_dump, not pg_dumpall)'],
];

function refusal(where: string, line: number, e: unknown): unknown {
  if (!(e instanceof TokenError)) return e;
  const hint = HINTS.find(([re]) => re.test(e.message))?.[1] ?? 'a backup is read as data, never run: make the dump with mariadb-dump/mysqldump or pg_dump defaults, or remove the statement; nothing was changed';
  return new InputError(`${where} line ${line}: the dump is refused: ${escapeControls(e.message)}`, hint);
}
export interface DumpReadOptions {
  /** Bytes of COPY data per `rows` event (INSERT statements give one event each). */
  copyBatchBytes?: number;
}

const decoders: Record<string, Decode> = {
  utf8: (b) => utf8.decode(b),
  latin1: (b) => decodeMysqlLatin1(b),
};

const NL = Buffer.from('\n');
const ROWS_VERB = /^(INSERT|REPLACE)\b/i;
const VALUES = /\bVALUES\s*/i;

/** Reads the dump as events. `where` names the file in messages. */
export async function* readDump(source: AsyncIterable<Buffer>, dialect: Engine, where: string, opts: DumpReadOptions = {}): AsyncGenerator<DumpEvent> {
  const scanner = new SqlScanner(source, dialect, where);
  const state = new ClassifyState(dialect);
  let decode: Decode = decoders.utf8;
  const batchBytes = opts.copyBatchBytes ?? 1 << 20;
  for (;;) {
    const st = await scanner.next();
    if (!st) return;
    const line = st.line;
    const at = `${where} line ${line}`;
    if (st.kind === 'meta') {
      let c: Classified;
      try {
        c = classifyMeta(st.bytes.toString('utf8'), state);
      } catch (e) {
        throw refusal(where, line, e);
      }
      if (c.type === 'ignored') yield { type: 'ignored', what: escapeControls(c.what), line };
      continue;
    }
    const bytes = st.bytes;
    // Only the head is decoded for classification: INSERT values are lexed from bytes.
    const headRaw = bytes.subarray(0, Math.min(bytes.length, 65536)).toString('utf8');
    const head = cleanStatement(headRaw);
    if (!head) continue;
    if (st.clientEscape) throw refusal(where, line, new TokenError('a client command (\\…) inside a statement: it would run on the machine restoring the dump'));
    if (ROWS_VERB.test(head)) {
      // locate the VALUES list in the raw bytes (the head may have lost comments)
      const idx = VALUES.exec(headRaw);
      if (!idx) throw refusal(where, line, new TokenError(`${head.slice(0, 7).toUpperCase().trim()} without VALUES (INSERT … SELECT/SET/DEFAULT VALUES would run on the target server)`));
      let target: { table: string; columns: string[] | null };
      try {
        target = insertHead(cleanStatement(headRaw.slice(0, idx.index)), dialect, state);
      } catch (e) {
        throw refusal(where, line, e);
      }
      const offset = Buffer.byteLength(headRaw.slice(0, idx.index + idx[0].length), 'utf8');
      // Lexed once per use: the syntax check (ranges) for counts, checksums and the pass-through,
      // with value ranges only when values are decoded.
      let ranges: LexedValues | undefined;
      let full: LexedValues | undefined;
      const scan = () => (ranges ??= full ?? lexValues(bytes, offset, dialect, at));
      const dec = decode;
      // Passed through as UTF-8 VALUES text: MySQL/SQLite only, when the dump is UTF-8 and these bytes are valid UTF-8.
      const canPass = dialect !== 'postgres' && dec === decoders.utf8 && isUtf8(bytes);
      yield {
        type: 'rows',
        table: target.table,
        columns: target.columns,
        line,
        count: () => scan().tuples.length / 2,
        fields: () => scan().fields,
        rowText: () => {
          const { tuples } = scan();
          const parts: Buffer[] = [];
          for (let i = 0; i < tuples.length; i += 2) parts.push(bytes.subarray(tuples[i], tuples[i + 1]), NL);
          return Buffer.concat(parts);
        },
        passthrough: () => (canPass && scan() ? bytes.subarray(offset) : null),
        values: () => decodeValues(bytes, (full ??= lexValues(bytes, offset, dialect, at, true)), dialect, dec),
      };
      continue;
    }
    if (/^COPY\b/i.test(head)) {
      let target: { table: string; columns: string[] | null };
      try {
        target = copyHead(head, state);
      } catch (e) {
        throw refusal(where, line, e);
      }
      const { table, columns } = target;
      // the rest of the COPY statement's own line (normally empty)
      const restOfLine = await scanner.readCopyLine();
      if (restOfLine === null || restOfLine.toString('latin1').trim() !== '') {
        throw new InputError(`${at}: unexpected text after COPY … FROM stdin;`);
      }
      for (;;) {
        const first = scanner.line;
        const blk = await scanner.readCopyBlock(batchBytes);
        if (!blk) throw new InputError(`${where}: the COPY data of ${table} (line ${line}) has no end marker \\.: the dump is truncated`, 'make the dump again, or copy the complete file');
        if (blk.lines) {
          const data = blk.data;
          if (!isUtf8(data)) throw new InputError(`${where}: the COPY data of ${table} (from line ${first}) is not valid UTF-8`, 'make the dump with pg_dump --encoding=UTF8');
          const lines = blk.lines;
          yield { type: 'rows', table, columns, line: first, count: () => lines, fields: () => copyFields(data, where, first), rowText: () => data, passthrough: () => data, values: () => parseCopyLines(data) };
        }
        if (blk.ended) break;
      }
      continue;
    }
    let c: Classified;
    try {
      c = classifyStatement(head, state);
      if (c.type === 'create') for (const col of c.def.columns) if (col.defaultSequence) checkOwnSequence(state, col.defaultSequence, c.def.name, col.name);
    } catch (e) {
      throw refusal(where, line, e);
    }
    if (c.type === 'create') {
      yield { type: 'create', table: c.def.name, def: c.def, columns: c.def.columns.map((x) => ({ name: x.name, type: x.type })), line };
    } else if (c.type === 'ddl') {
      yield { type: 'ddl', table: c.table, stmt: c.stmt, line };
    } else if (c.type === 'ignored') {
      yield { type: 'ignored', what: escapeControls(c.what), line, ...(c.view ? { view: c.view } : {}) };
    } else if (c.name === 'names') {
      const cs = c.value;
      if (cs.startsWith('utf8') || cs === 'ascii') decode = decoders.utf8;
      else if (cs === 'latin1') decode = decoders.latin1;
      else throw new InputError(`${where}: the dump uses the character set ${cs}, which this tool does not read`, 'make the dump with --default-character-set=utf8mb4');
      yield { type: 'set', name: 'names', value: cs, line };
    } else if (c.name === 'client_encoding') {
      if (c.value !== 'UTF8' && c.value !== 'UTF-8' && c.value !== 'SQL_ASCII') {
        throw new InputError(`${where}: the dump's client_encoding is ${c.value}; this tool reads UTF8 dumps`, 'make the dump with pg_dump --encoding=UTF8');
      }
      yield { type: 'ignored', what: 'session settings (SET …)', line };
    } else {
      yield { type: 'set', name: c.name, value: c.value, line };
    }
  }
}
