/**
 * MySQL/MariaDB: the per-value decision of src/encoding/repair.ts as SQL, so that the server repairs
 * the ordinary double-encoded values itself (one UPDATE per page, no value travels) and sends Node
 * only what SQL cannot decide as exactly.
 *
 * For a column value `s` (read as utf8mb4 with a binary collation, so that no case folding widens
 * a character class — `µ` must not match Greek `μ`):
 * - `double-encoded candidate` (what `undoDoubleEncoding` can accept at all): non-ASCII, every
 *   character in MySQL latin1, and those latin1 bytes `b` are valid UTF-8 exactly as Node's `isUtf8`
 *   sees it (no overlongs, no surrogates, nothing above U+10FFFF). One regular expression over the
 *   text decides both (the UTF-8 grammar with each byte written as its latin1 character). Not
 *   CONVERT: in strict mode an unmappable character in CONVERT(… USING latin1) aborts the statement
 *   (ERROR 1977), and MariaDB's utf8mb4 decoder accepts encoded surrogates (ED A0 80).
 * - `server repair`: a candidate whose repair has no C1 control character (repair.ts's
 *   IMPLAUSIBLE rule) and whose repair is not itself a candidate (else it is encoded three times or
 *   more, which repair.ts reports and only repairs on request). Then repair.ts answers `double`
 *   with exactly `CONVERT(b USING utf8mb4)`; test/encoding/server-equivalence.test.ts checks it.
 * Every other candidate is left to Node (repair.ts): C1 results and multiple encodings, rare.
 *
 * AND in MariaDB stops at the first false operand and CASE evaluates a THEN only when its WHEN
 * holds, so no CONVERT ever sees a value it cannot convert.
 */
import { LATIN1_TO_UNICODE } from './mysql-latin1.js';

/** A SQL string literal; the connection keeps backslash escapes on (src/db/mysql.ts). */
const literal = (s: string) => "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";

const hex = (cp: number) => `\\x{${cp.toString(16).toUpperCase()}}`;

/** A regular-expression class of the MySQL latin1 characters of the bytes `lo`–`hi`. */
function latin1Class(lo: number, hi: number): string {
  const cps = [...new Set(LATIN1_TO_UNICODE.slice(lo, hi + 1))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < cps.length; ) {
    let j = i;
    while (j + 1 < cps.length && cps[j + 1] === cps[j] + 1) j++;
    parts.push(j === i ? hex(cps[i]) : `${hex(cps[i])}-${hex(cps[j])}`);
    i = j + 1;
  }
  return `[${parts.join('')}]`;
}

/** Text that is the MySQL latin1 reading of well-formed UTF-8 (RFC 3629 table 3-7, byte by byte). */
const UTF8_READ_AS_LATIN1 = (() => {
  const c = latin1Class;
  const tail = c(0x80, 0xbf);
  const seq = [
    c(0x00, 0x7f),
    `${c(0xc2, 0xdf)}${tail}`,
    `${c(0xe0, 0xe0)}${c(0xa0, 0xbf)}${tail}`,
    `${c(0xe1, 0xec)}${tail}{2}`,
    `${c(0xed, 0xed)}${c(0x80, 0x9f)}${tail}`,
    `${c(0xee, 0xef)}${tail}{2}`,
    `${c(0xf0, 0xf0)}${c(0x90, 0xbf)}${tail}{2}`,
    `${c(0xf1, 0xf3)}${tail}{3}`,
    `${c(0xf4, 0xf4)}${c(0x80, 0x8f)}${tail}{2}`,
  ];
  return literal(`^(?:${seq.join('|')})*+$`);
})();
/** The reading of U+0080–U+009F (C2 80–9F); in such text `Â` (C2) is always a lead byte. */
const C1_READ_AS_LATIN1 = literal(`${latin1Class(0xc2, 0xc2)}${latin1Class(0x80, 0x9f)}`);

/** True when `text` may be the double encoding of valid UTF-8 (see above); never NULL. */
function candidate(text: string): string {
  // (a NULL operand would make AND evaluate the counter of mysql-pass.ts)
  return `(${text} IS NOT NULL AND LENGTH(${text}) <> CHAR_LENGTH(${text}) AND ${text} REGEXP ${UTF8_READ_AS_LATIN1})`;
}

export interface MysqlDecision {
  /** The value may be double-encoded: the rows Node looks at. */
  candidate: string;
  /** The server repairs this value itself. */
  serverRepair: string;
  /** The repaired text (valid only where serverRepair holds). */
  repaired: string;
}

/**
 * `col` as text with a binary collation: UTF-8 columns as they are (every class above is in the
 * BMP, so utf8mb3 needs no conversion), others (latin1 in a dry run) read as they will be after the
 * conversion to utf8mb4.
 */
function asText(col: string, charset: string | undefined): string {
  return charset && /^utf8(mb3|mb4)?$/i.test(charset) ? `${col} COLLATE ${charset.toLowerCase()}_bin` : `CONVERT(${col} USING utf8mb4) COLLATE utf8mb4_bin`;
}

/** The decision for column `col` (already quoted) of character set `charset` (as it is read now). */
export function mysqlDecision(col: string, charset: string | undefined): MysqlDecision {
  const s = asText(col, charset);
  const u = `CONVERT(CAST(CONVERT(${s} USING latin1) AS BINARY) USING utf8mb4) COLLATE utf8mb4_bin`;
  const isCandidate = candidate(s);
  return {
    candidate: isCandidate,
    // u is never ASCII (s is not), so "u is no candidate" is just the regular expression.
    serverRepair: `(${isCandidate} AND NOT (${s} REGEXP ${C1_READ_AS_LATIN1}) AND NOT (${u} REGEXP ${UTF8_READ_AS_LATIN1}))`,
    repaired: u,
  };
}

/**
 * True when `col` (a utf8mb3 column) holds a candidate whose repair needs a 4-byte
 * character (its reading contains the latin1 character of an F0–F4 lead byte: ð ñ ò ó ô), so
 * the table must become utf8mb4 before the repair can be stored.
 */
export function needsUtf8mb4Sql(col: string, charset: string | undefined): string {
  const s = asText(col, charset);
  // The short class first: it rules out almost every value before the long expression runs.
  return `(${s} REGEXP ${FOUR_BYTE_LEAD} AND ${candidate(s)})`;
}

/**
 * The same for a row of (quoted column, character set) pairs: one short test over all its columns
 * first when they share one character set.
 */
export function rowNeedsUtf8mb4Sql(cols: [string, string | undefined][]): string {
  const [, first] = cols[0];
  const each = '(' + cols.map(([c, cs]) => needsUtf8mb4Sql(c, cs)).join(' OR ') + ')';
  if (!cols.every(([, cs]) => cs === first)) return each;
  return `(${asText(`CONCAT_WS('', ${cols.map(([c]) => c).join(', ')})`, first)} REGEXP ${FOUR_BYTE_LEAD} AND ${each})`;
}

const FOUR_BYTE_LEAD = literal(latin1Class(0xf0, 0xf4));
