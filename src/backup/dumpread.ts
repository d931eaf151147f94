/**
 * Reads a SQL dump (ours, mysqldump/mariadb-dump, pg_dump plain, sqlite3 .dump) into events:
 * table definitions, row batches with typed values, other DDL, and session settings.
 * Literals are decoded from bytes here: MySQL strings by the dump's SET NAMES charset,
 * `_binary '…'`, `0x…` and X'…' as bytes; PostgreSQL COPY fields as text (NULL = `\N`).
 */
import { isUtf8 } from 'node:buffer';
import type { Engine, SqlValue } from '../db/types.js';
import { decodeMysqlLatin1 } from '../encoding/mysql-latin1.js';
import { InputError } from '../errors.js';
import { SqlScanner } from './scanner.js';
import { unescapeCopy } from './sqltext.js';

export interface ColumnSpec {
  name: string;
  /** The column's type as written in the dump, lower case (e.g. `varchar(255)`, `character varying(255)`). */
  type: string;
}

export type DumpEvent =
  | { type: 'create'; table: string; sql: string; columns: ColumnSpec[]; line: number }
  | RowsEvent
  | { type: 'ddl'; table: string | null; sql: string; verb: string; line: number }
  | { type: 'set'; name: string; value: string; line: number }
  | { type: 'other'; sql: string; line: number };

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
  /** The rows' dump text to load as it is (COPY lines, or the VALUES list); null when it must be parsed (not UTF-8). */
  passthrough: Buffer | null;
  /** The parsed values (parsed on each call). */
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

/** `public."Token"`, `` `Token` ``, `"Token"`, `Token`, `[Token]` → Token. */
export function unquoteName(raw: string): string {
  const parts: string[] = [];
  const re = /`((?:[^`]|``)*)`|"((?:[^"]|"")*)"|\[([^\]]*)\]|([^\s."`[]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    parts.push(m[1] !== undefined ? m[1].replace(/``/g, '`') : m[2] !== undefined ? m[2].replace(/""/g, '"') : (m[3] ?? m[4]));
  }
  return parts[parts.length - 1] ?? raw;
}

const NAME = '((?:[`"\\[][^`"\\]]+[`"\\]]|[\\w$]+)(?:\\s*\\.\\s*(?:[`"\\[][^`"\\]]+[`"\\]]|[\\w$]+))?)';
const CREATE_TABLE = new RegExp(`^CREATE\\s+(?:TEMPORARY\\s+|UNLOGGED\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${NAME}\\s*\\(`, 'i');
const INSERT = new RegExp(`^(?:INSERT|REPLACE)\\s+(?:IGNORE\\s+)?INTO\\s+${NAME}\\s*(\\(([^)]*)\\))?\\s*VALUES\\s*`, 'i');
const COPY = new RegExp(`^COPY\\s+${NAME}\\s*(?:\\(([^)]*)\\))?\\s+FROM\\s+stdin`, 'i');

/** Splits a parenthesised list at top-level commas. */
function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      cur += c;
      if (c === '\\' && quote === "'") {
        cur += body[++i] ?? '';
      } else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const NOT_COLUMNS = /^(PRIMARY|KEY|UNIQUE|CONSTRAINT|INDEX|FOREIGN|CHECK|FULLTEXT|SPATIAL|EXCLUDE|LIKE|PERIOD)\b/i;

export function parseCreateTable(sql: string): { table: string; columns: ColumnSpec[] } | undefined {
  const m = CREATE_TABLE.exec(sql);
  if (!m) return undefined;
  const open = m[0].length - 1;
  const close = sql.lastIndexOf(')');
  const items = splitTopLevel(sql.slice(open + 1, close));
  const columns: ColumnSpec[] = [];
  for (const item of items) {
    if (NOT_COLUMNS.test(item)) continue;
    const cm = /^(`(?:[^`]|``)+`|"(?:[^"]|"")+"|\[[^\]]+\]|[\w$]+)\s*(.*)$/s.exec(item);
    if (!cm) continue;
    columns.push({ name: unquoteName(cm[1]), type: cm[2].trim().toLowerCase() });
  }
  return { table: unquoteName(m[1]), columns };
}

function splitNames(list: string): string[] {
  return splitTopLevel(list).map(unquoteName);
}

/** Decoder for MySQL string literals, from the dump's SET NAMES. */
type Decode = (bytes: Buffer) => string;
const decoders: Record<string, Decode> = {
  utf8: (b) => utf8.decode(b),
  latin1: (b) => decodeMysqlLatin1(b),
};

/**
 * Parses `(v, v, …), (…)` from `bytes` starting at `pos` into rows. Strings: quotes with doubled
 * quote or (MySQL, E'') backslash escapes.
 */
export function parseValues(bytes: Buffer, pos: number, dialect: Engine, decode: Decode, where: string): SqlValue[][] {
  const rows: SqlValue[][] = [];
  const n = bytes.length;
  const fail = (what: string): never => {
    throw new InputError(`${where}: cannot read the VALUES list (${what} at byte ${pos})`, 'the dump may be damaged or use SQL this tool does not read; make it with mariadb-dump/mysqldump or pg_dump defaults');
  };
  const skipWs = () => {
    while (pos < n && (bytes[pos] === 0x20 || bytes[pos] === 0x0a || bytes[pos] === 0x0d || bytes[pos] === 0x09)) pos++;
  };
  const readString = (backslash: boolean): Buffer => {
    // pos is at the opening quote
    const q = bytes[pos++];
    const start = pos;
    let simple = true;
    for (;;) {
      if (pos >= n) fail('unterminated string');
      const b = bytes[pos];
      if (b === 0x5c && backslash) {
        simple = false;
        pos += 2;
        continue;
      }
      if (b === q) {
        if (bytes[pos + 1] === q) {
          simple = false;
          pos += 2;
          continue;
        }
        break;
      }
      pos++;
    }
    const end = pos++;
    if (simple) return bytes.subarray(start, end);
    const out = Buffer.allocUnsafe(end - start);
    let o = 0;
    for (let i = start; i < end; i++) {
      let b = bytes[i];
      if (b === 0x5c && backslash) {
        const e = bytes[++i];
        b = e === 0x30 ? 0 : e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x5a ? 0x1a : e;
      } else if (b === q) i++;
      out[o++] = b;
    }
    return out.subarray(0, o);
  };
  for (;;) {
    skipWs();
    if (bytes[pos] !== 0x28) fail('expected "("');
    pos++;
    const row: SqlValue[] = [];
    for (;;) {
      skipWs();
      const b = bytes[pos];
      if (b === 0x27) {
        row.push(decode(readString(dialect === 'mysql')));
      } else if ((b === 0x45 || b === 0x65) && bytes[pos + 1] === 0x27 && dialect === 'postgres') {
        pos++;
        row.push(utf8.decode(readString(true)));
      } else if ((b === 0x58 || b === 0x78) && bytes[pos + 1] === 0x27) {
        pos++;
        row.push(Buffer.from(readString(false).toString('latin1'), 'hex'));
      } else if (b === 0x30 && (bytes[pos + 1] === 0x78 || bytes[pos + 1] === 0x58)) {
        const s = (pos += 2);
        while (pos < n && /[0-9a-fA-F]/.test(String.fromCharCode(bytes[pos]))) pos++;
        row.push(Buffer.from(bytes.subarray(s, pos).toString('latin1'), 'hex'));
      } else if (b === 0x5f && bytes.subarray(pos, pos + 7).toString('latin1').toLowerCase() === '_binary') {
        pos += 7;
        skipWs();
        row.push(Buffer.from(readString(dialect === 'mysql')));
      } else {
        const s = pos;
        while (pos < n && bytes[pos] !== 0x2c && bytes[pos] !== 0x29 && bytes[pos] !== 0x20 && bytes[pos] !== 0x0a) pos++;
        const word = bytes.subarray(s, pos).toString('latin1');
        if (/^null$/i.test(word)) row.push(null);
        else if (/^true$/i.test(word)) row.push(true);
        else if (/^false$/i.test(word)) row.push(false);
        else if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(word)) {
          const num = Number(word);
          row.push(/^[-+]?\d+$/.test(word) && Number.isSafeInteger(num) ? num : word);
        } else fail(`unsupported value ${JSON.stringify(word.slice(0, 20))}`);
      }
      skipWs();
      if (bytes[pos] === 0x2c) {
        pos++;
        continue;
      }
      if (bytes[pos] === 0x29) {
        pos++;
        break;
      }
      fail('expected "," or ")"');
    }
    rows.push(row);
    skipWs();
    if (pos >= n) return rows;
    if (bytes[pos] === 0x2c) {
      pos++;
      continue;
    }
    // ON DUPLICATE KEY … or RETURNING are not part of a plain dump
    fail('unexpected text after a row');
  }
}

const NL = Buffer.from('\n');

/**
 * Checks the syntax of a VALUES list from `pos` without decoding anything (the same grammar as
 * parseValues) and returns where each tuple starts and ends (`(` … `)` inclusive) and the number
 * of fields per tuple, which must be the same for all.
 */
export function scanTuples(bytes: Buffer, pos: number, dialect: Engine, where: string): { ranges: number[]; fields: number } {
  const ranges: number[] = [];
  const n = bytes.length;
  let fields = -1;
  const fail = (what: string): never => {
    throw new InputError(`${where}: cannot read the VALUES list (${what} at byte ${pos})`, 'the dump may be damaged or use SQL this tool does not read; make it with mariadb-dump/mysqldump or pg_dump defaults');
  };
  const skipWs = () => {
    while (pos < n && (bytes[pos] === 0x20 || bytes[pos] === 0x0a || bytes[pos] === 0x0d || bytes[pos] === 0x09)) pos++;
  };
  const skipString = (backslash: boolean) => {
    const q = bytes[pos++];
    for (;;) {
      const e = bytes.indexOf(q, pos);
      if (e < 0) {
        pos = n;
        fail('unterminated string');
      }
      if (backslash) {
        let b = pos;
        while (b < e && bytes[b] !== 0x5c) b++;
        if (b < e) {
          pos = b + 2;
          continue;
        }
      }
      if (bytes[e + 1] === q) {
        pos = e + 2;
        continue;
      }
      pos = e + 1;
      return;
    }
  };
  for (;;) {
    skipWs();
    if (bytes[pos] !== 0x28) fail('expected "("');
    const start = pos++;
    let count = 0;
    for (;;) {
      skipWs();
      const b = bytes[pos];
      count++;
      if (b === 0x27) skipString(dialect === 'mysql');
      else if ((b === 0x45 || b === 0x65) && bytes[pos + 1] === 0x27 && dialect === 'postgres') {
        pos++;
        skipString(true);
      } else if ((b === 0x58 || b === 0x78) && bytes[pos + 1] === 0x27) {
        pos++;
        const s = pos + 1;
        skipString(false);
        for (let i = s; i < pos - 1; i++) if (!isHex(bytes[i])) fail('bad hex literal');
      } else if (b === 0x30 && (bytes[pos + 1] === 0x78 || bytes[pos + 1] === 0x58)) {
        pos += 2;
        while (pos < n && isHex(bytes[pos])) pos++;
      } else if (b === 0x5f && bytes.subarray(pos, pos + 7).toString('latin1').toLowerCase() === '_binary') {
        pos += 7;
        skipWs();
        if (bytes[pos] !== 0x27) fail('expected a string after _binary');
        skipString(dialect === 'mysql');
      } else {
        const s = pos;
        let digits = true;
        while (pos < n && bytes[pos] !== 0x2c && bytes[pos] !== 0x29 && bytes[pos] !== 0x20 && bytes[pos] !== 0x0a) {
          const c = bytes[pos];
          if (!((c >= 0x30 && c <= 0x39) || (c === 0x2d && pos === s))) digits = false;
          pos++;
        }
        if (!digits || pos === s || (pos === s + 1 && bytes[s] === 0x2d)) {
          const word = bytes.subarray(s, pos).toString('latin1');
          if (!/^(null|true|false)$/i.test(word) && !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(word)) fail(`unsupported value ${JSON.stringify(word.slice(0, 20))}`);
        }
      }
      skipWs();
      if (bytes[pos] === 0x2c) {
        pos++;
        continue;
      }
      if (bytes[pos] === 0x29) {
        pos++;
        break;
      }
      fail('expected "," or ")"');
    }
    if (fields < 0) fields = count;
    else if (count !== fields) fail(`a row with ${count} values after rows with ${fields}`);
    ranges.push(start, pos);
    skipWs();
    if (pos >= n) return { ranges, fields };
    if (bytes[pos] === 0x2c) {
      pos++;
      continue;
    }
    fail('unexpected text after a row');
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Fields per line of a block of COPY lines; every line must have the same number. */
function copyFields(data: Buffer, where: string, firstLine: number): number {
  let fields = -1;
  let line = firstLine;
  // indexOf jumps from tab to tab: several times faster than looking at every byte in JS.
  for (let p = 0; p < data.length; line++) {
    const nl = data.indexOf(0x0a, p);
    const end = nl < 0 ? data.length : nl;
    let n = 1;
    for (let t = data.indexOf(0x09, p); t >= 0 && t < end; t = data.indexOf(0x09, t + 1)) n++;
    if (fields < 0) fields = n;
    else if (n !== fields) throw new InputError(`${where} line ${line}: a COPY row has ${n} fields after rows with ${fields}`, 'the dump is damaged');
    p = end + 1;
  }
  return fields;
}

function parseCopyLines(data: Buffer): SqlValue[][] {
  const rows: SqlValue[][] = [];
  let p = 0;
  while (p < data.length) {
    let nl = data.indexOf(0x0a, p);
    if (nl < 0) nl = data.length;
    const end = nl > p && data[nl - 1] === 0x0d ? nl - 1 : nl;
    rows.push(
      data
        .toString('utf8', p, end)
        .split('\t')
        .map((f) => (f === '\\N' ? null : unescapeCopy(f))),
    );
    p = nl + 1;
  }
  return rows;
}

/** The first identifier-like table name a DDL statement touches (for grouping by table). */
function ddlTable(sql: string): string | null {
  const m =
    /^(?:ALTER\s+TABLE(?:\s+ONLY)?(?:\s+IF\s+EXISTS)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|LOCK\s+TABLES|TRUNCATE(?:\s+TABLE)?)\s+([^\s(,;]+)/i.exec(sql) ??
    /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON\s+(?:ONLY\s+)?([^\s(]+)/i.exec(sql) ??
    /^ALTER\s+SEQUENCE\s+\S+\s+OWNED\s+BY\s+([^\s;]+)\.[^.\s;]+$/i.exec(sql);
  return m ? unquoteName(m[1]) : null;
}

export interface DumpReadOptions {
  /** Bytes of COPY data per `rows` event (INSERT statements give one event each). */
  copyBatchBytes?: number;
}

/** Reads the dump as events. `where` names the file in messages. */
export async function* readDump(source: AsyncIterable<Buffer>, dialect: Engine, where: string, opts: DumpReadOptions = {}): AsyncGenerator<DumpEvent> {
  const scanner = new SqlScanner(source, dialect, where);
  let decode: Decode = decoders.utf8;
  const batchBytes = opts.copyBatchBytes ?? 1 << 20;
  for (;;) {
    const st = await scanner.next();
    if (!st) return;
    if (st.kind === 'meta') continue; // \restrict, \unrestrict, \connect: psql client commands
    const bytes = st.bytes;
    // Only the head is decoded for classification: INSERT values are parsed from bytes.
    const headRaw = bytes.subarray(0, Math.min(bytes.length, 65536)).toString('utf8');
    const head = cleanStatement(headRaw);
    if (!head) continue;
    const verb = /^\w+(\s+\w+)?/.exec(head)?.[0].toUpperCase() ?? '';
    const ins = INSERT.exec(head);
    if (ins) {
      // locate the VALUES list in the raw bytes (the head may have lost comments)
      const idx = /\bVALUES\s*/i.exec(headRaw);
      if (!idx) throw new InputError(`${where} line ${st.line}: cannot find VALUES in an INSERT`);
      const offset = Buffer.byteLength(headRaw.slice(0, idx.index + idx[0].length), 'utf8');
      const at = `${where} line ${st.line}`;
      // The syntax check runs when the count, fields or text is asked for: a same-engine load sends
      // the bytes to the server, which parses them anyway.
      let scanned: { ranges: number[]; fields: number } | undefined;
      const scan = () => (scanned ??= scanTuples(bytes, offset, dialect, at));
      const dec = decode;
      yield {
        type: 'rows',
        table: unquoteName(ins[1]),
        columns: ins[3] ? splitNames(ins[3]) : null,
        line: st.line,
        count: () => scan().ranges.length / 2,
        fields: () => scan().fields,
        rowText: () => {
          const { ranges } = scan();
          const parts: Buffer[] = [];
          for (let i = 0; i < ranges.length; i += 2) parts.push(bytes.subarray(ranges[i], ranges[i + 1]), NL);
          return Buffer.concat(parts);
        },
        // Passed through as UTF-8 text: only when the dump is UTF-8 and these bytes are valid UTF-8.
        passthrough: dec === decoders.utf8 && isUtf8(bytes) ? bytes.subarray(offset) : null,
        values: () => parseValues(bytes, offset, dialect, dec, at),
      };
      continue;
    }
    const copy = COPY.exec(head);
    if (copy) {
      const table = unquoteName(copy[1]);
      const columns = copy[2] ? splitNames(copy[2]) : null;
      const line = st.line;
      // the rest of the COPY statement's own line (normally empty)
      const restOfLine = await scanner.readCopyLine();
      if (restOfLine === null || restOfLine.toString('latin1').trim() !== '') {
        throw new InputError(`${where} line ${line}: unexpected text after COPY … FROM stdin;`);
      }
      for (;;) {
        const first = scanner.line;
        const blk = await scanner.readCopyBlock(batchBytes);
        if (!blk) throw new InputError(`${where}: the COPY data of ${table} (line ${line}) has no end marker \\.: the dump is truncated`, 'make the dump again, or copy the complete file');
        if (blk.lines) {
          const data = blk.data;
          if (!isUtf8(data)) throw new InputError(`${where}: the COPY data of ${table} (from line ${first}) is not valid UTF-8`, 'make the dump with pg_dump --encoding=UTF8');
          const lines = blk.lines;
          yield { type: 'rows', table, columns, line: first, count: () => lines, fields: () => copyFields(data, where, first), rowText: () => data, passthrough: data, values: () => parseCopyLines(data) };
        }
        if (blk.ended) break;
      }
      continue;
    }
    const ct = parseCreateTable(head);
    if (ct) {
      yield { type: 'create', table: ct.table, sql: head, columns: ct.columns, line: st.line };
      continue;
    }
    const setNames = /^SET\s+NAMES\s+'?(\w+)'?/i.exec(head);
    if (setNames) {
      const cs = setNames[1].toLowerCase();
      if (cs.startsWith('utf8') || cs === 'ascii') decode = decoders.utf8;
      else if (cs === 'latin1') decode = decoders.latin1;
      else throw new InputError(`${where}: the dump uses the character set ${cs}, which this tool does not read`, 'make the dump with --default-character-set=utf8mb4');
      yield { type: 'set', name: 'names', value: cs, line: st.line };
      continue;
    }
    const setTz = /^SET\s+(?:SESSION\s+)?TIME_ZONE\s*=\s*'([^']*)'/i.exec(head);
    if (setTz) {
      yield { type: 'set', name: 'time_zone', value: setTz[1], line: st.line };
      continue;
    }
    if (/^SET\s+client_encoding\s*=\s*'?(\w+)'?/i.test(head)) {
      const enc = /=\s*'?([\w-]+)'?/.exec(head)![1].toUpperCase();
      if (enc !== 'UTF8' && enc !== 'UTF-8' && enc !== 'SQL_ASCII') {
        throw new InputError(`${where}: the dump's client_encoding is ${enc}; this tool reads UTF8 dumps`, 'make the dump with pg_dump --encoding=UTF8');
      }
      continue;
    }
    if (/^(ALTER|DROP|CREATE|LOCK|UNLOCK|TRUNCATE|SELECT\s+pg_catalog\.setval)\b/i.test(head)) {
      let table = ddlTable(head);
      const sv = /^SELECT\s+pg_catalog\.setval\('((?:[^']|'')+)'/i.exec(head);
      if (sv) table = null;
      yield { type: 'ddl', table, sql: head, verb, line: st.line };
      continue;
    }
    yield { type: 'other', sql: head, line: st.line };
  }
}

