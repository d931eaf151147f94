/**
 * The one lexer of a dump's `VALUES (…), (…)` list (MySQL/MariaDB, pg_dump --inserts, SQLite):
 * it checks the grammar — literals only, the same number of values in every tuple, nothing after the
 * last tuple — and returns where each tuple and, when asked, each value lies. Decoding is a separate
 * step over those ranges (`decodeValues`), so the same-engine pass-through path pays for the syntax
 * check only, and both paths agree on what a tuple is.
 *
 * Literals: NULL, TRUE, FALSE, numbers; '…' (MySQL: backslash escapes; PostgreSQL/SQLite: standard,
 * doubled quotes only); PostgreSQL E'…' (backslash escapes); X'…' and 0x… (bytes); MySQL `_binary '…'`.
 * Anything else — a function call, an operator, a second statement — is refused.
 */
import type { Engine, SqlValue } from '../db/types.js';
import { InputError } from '../errors.js';

/** Value kinds in a lexed list (one number per value in `LexedValues.values`). */
export const enum ValueKind {
  Word = 0,
  String = 1,
  EscString = 2,
  HexString = 3,
  HexNumber = 4,
  Binary = 5,
}

export interface LexedValues {
  /** Start and end (`(` … `)` inclusive) of every tuple, flattened. */
  tuples: number[];
  /** Values per tuple (the same for every tuple). */
  fields: number;
  /** With `withValues`: kind, start, end of every value's content (strings: inside the quotes), flattened. */
  values?: number[];
}

const FAIL_HINT = 'the dump may be damaged or use SQL this tool does not read; make it with mariadb-dump/mysqldump or pg_dump defaults';

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const WORD = /^(null|true|false)$/i;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** Lexes the VALUES list of `bytes` from `pos` to the end. `where` names the statement in messages. */
export function lexValues(bytes: Buffer, pos: number, dialect: Engine, where: string, withValues = false): LexedValues {
  const tuples: number[] = [];
  const values: number[] | undefined = withValues ? [] : undefined;
  const n = bytes.length;
  const backslashInPlain = dialect === 'mysql';
  let fields = -1;
  /** Position of the next backslash at or after some earlier pos (-1 >>> 0 = none: larger than any). */
  let nextBackslash = -1;
  const fail = (what: string): never => {
    throw new InputError(`${where}: cannot read the VALUES list (${what} at byte ${pos})`, FAIL_HINT);
  };
  const skipWs = () => {
    while (pos < n && isSpace(bytes[pos])) pos++;
  };
  /** From the opening quote to after the closing one; returns the content start (end is pos - 1). */
  const skipString = (backslash: boolean): number => {
    const q = bytes[pos++];
    const start = pos;
    for (;;) {
      const e = bytes.indexOf(q, pos);
      if (e < 0) {
        pos = n;
        fail('unterminated string');
      }
      if (backslash) {
        // the next backslash, searched again only once passed: linear over the whole list
        if (nextBackslash < pos) nextBackslash = bytes.indexOf(0x5c, pos) >>> 0;
        if (nextBackslash < e) {
          pos = nextBackslash + 2;
          continue;
        }
      }
      if (bytes[e + 1] === q) {
        pos = e + 2;
        continue;
      }
      pos = e + 1;
      return start;
    }
  };
  const push = (kind: ValueKind, start: number, end: number) => {
    if (values) values.push(kind, start, end);
  };
  for (;;) {
    skipWs();
    if (bytes[pos] !== 0x28) fail('expected "("');
    const tupleStart = pos++;
    let count = 0;
    for (;;) {
      skipWs();
      const b = bytes[pos];
      count++;
      if (b === 0x27) {
        const s = skipString(backslashInPlain);
        push(ValueKind.String, s, pos - 1);
      } else if ((b === 0x45 || b === 0x65) && bytes[pos + 1] === 0x27 && dialect === 'postgres') {
        pos++;
        const s = skipString(true);
        push(ValueKind.EscString, s, pos - 1);
      } else if ((b === 0x58 || b === 0x78) && bytes[pos + 1] === 0x27) {
        pos++;
        const s = skipString(false);
        for (let i = s; i < pos - 1; i++) if (!isHex(bytes[i])) fail('bad hex literal');
        push(ValueKind.HexString, s, pos - 1);
      } else if (b === 0x30 && (bytes[pos + 1] === 0x78 || bytes[pos + 1] === 0x58)) {
        pos += 2;
        const s = pos;
        while (pos < n && isHex(bytes[pos])) pos++;
        push(ValueKind.HexNumber, s, pos);
      } else if (b === 0x5f && bytes.subarray(pos, pos + 7).toString('latin1').toLowerCase() === '_binary') {
        pos += 7;
        skipWs();
        if (bytes[pos] !== 0x27) fail('expected a string after _binary');
        const s = skipString(backslashInPlain);
        push(ValueKind.Binary, s, pos - 1);
      } else {
        const s = pos;
        let digits = true;
        while (pos < n && bytes[pos] !== 0x2c && bytes[pos] !== 0x29 && !isSpace(bytes[pos])) {
          const c = bytes[pos];
          if (!((c >= 0x30 && c <= 0x39) || (c === 0x2d && pos === s))) digits = false;
          pos++;
        }
        if (!digits || pos === s || (pos === s + 1 && bytes[s] === 0x2d)) {
          const word = bytes.subarray(s, pos).toString('latin1');
          if (!WORD.test(word) && !NUMBER.test(word)) fail(`unsupported value ${JSON.stringify(word.slice(0, 20))}`);
        }
        push(ValueKind.Word, s, pos);
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
    tuples.push(tupleStart, pos);
    skipWs();
    if (pos >= n) return { tuples, fields, values };
    if (bytes[pos] === 0x2c) {
      pos++;
      continue;
    }
    // ON DUPLICATE KEY …, RETURNING, a second statement: not part of a dump's rows
    fail('unexpected text after a row');
  }
}

/** Decoder for string literals (the dump's SET NAMES charset). */
export type Decode = (bytes: Buffer) => string;

/**
 * The bytes of a quoted string's content with its escapes undone. MySQL (`likeEscapes`) keeps `\%`
 * and `\_` as two characters, as its server does outside LIKE patterns; PostgreSQL's E'' strings make
 * any escaped character itself.
 */
function unescape(bytes: Buffer, start: number, end: number, backslash: boolean, likeEscapes = false): Buffer {
  const q = bytes[start - 1];
  let simple = true;
  for (let i = start; i < end && simple; i++) if ((backslash && bytes[i] === 0x5c) || bytes[i] === q) simple = false;
  if (simple) return bytes.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    let b = bytes[i];
    if (b === 0x5c && backslash) {
      const e = bytes[++i];
      if (likeEscapes && (e === 0x25 || e === 0x5f)) out[o++] = 0x5c;
      b = e === 0x30 ? 0 : e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x5a ? 0x1a : e;
    } else if (b === q) i++;
    out[o++] = b;
  }
  return out.subarray(0, o);
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The typed values of a list lexed `withValues`, one array per tuple. */
export function decodeValues(bytes: Buffer, lexed: LexedValues, dialect: Engine, decode: Decode): SqlValue[][] {
  const v = lexed.values;
  if (!v) throw new Error('decodeValues needs a list lexed with values');
  const rows: SqlValue[][] = [];
  const backslashInPlain = dialect === 'mysql';
  let row: SqlValue[] = [];
  for (let i = 0; i < v.length; i += 3) {
    const kind = v[i] as ValueKind;
    const s = v[i + 1];
    const e = v[i + 2];
    switch (kind) {
      case ValueKind.String:
        row.push(decode(unescape(bytes, s, e, backslashInPlain, backslashInPlain)));
        break;
      case ValueKind.EscString:
        row.push(utf8.decode(unescape(bytes, s, e, true)));
        break;
      case ValueKind.HexString:
      case ValueKind.HexNumber:
        row.push(Buffer.from(bytes.toString('latin1', s, e), 'hex'));
        break;
      case ValueKind.Binary:
        row.push(Buffer.from(unescape(bytes, s, e, backslashInPlain, backslashInPlain)));
        break;
      default: {
        const word = bytes.toString('latin1', s, e);
        if (/^null$/i.test(word)) row.push(null);
        else if (/^true$/i.test(word)) row.push(true);
        else if (/^false$/i.test(word)) row.push(false);
        else {
          const num = Number(word);
          row.push(/^[-+]?\d+$/.test(word) && Number.isSafeInteger(num) ? num : word);
        }
      }
    }
    if (row.length === lexed.fields) {
      rows.push(row);
      row = [];
    }
  }
  return rows;
}
