/**
 * MySQL/MariaDB: the per-value decision of src/encoding/repair.ts as SQL, so that the server repairs
 * the ordinary double-encoded values itself (one UPDATE per page, no value travels) and sends Node
 * only what SQL cannot decide as exactly.
 *
 * For a column value `s` (read as utf8mb4 with a binary collation, so that no case folding widens
 * a character class — `µ` must not match Greek `μ`):
 * - `double-encoded candidate` (what `undoDoubleEncoding` can accept at all): non-ASCII, every
 *   character in MySQL latin1 (a regular expression, never CONVERT: in strict mode an unmappable
 *   character in CONVERT(… USING latin1) aborts the statement with ERROR 1977), and the latin1 bytes
 *   `b` are valid UTF-8 — checked with a byte-wise regular expression that is exactly Node's
 *   `isUtf8` (no overlongs, no surrogates, nothing above U+10FFFF). MariaDB's own utf8mb4 decoder
 *   accepts encoded surrogates (ED A0 80), so CONVERT could not be used to validate.
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

/** `^[…]*$` over the 256 code points of MySQL latin1, as ranges. */
const LATIN1_ONLY = (() => {
  const cps = [...new Set(LATIN1_TO_UNICODE)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < cps.length; ) {
    let j = i;
    while (j + 1 < cps.length && cps[j + 1] === cps[j] + 1) j++;
    parts.push(j === i ? hex(cps[i]) : `${hex(cps[i])}-${hex(cps[j])}`);
    i = j + 1;
  }
  return literal(`^[${parts.join('')}]*$`);
})();

/** Well-formed UTF-8 byte sequences (RFC 3629 table 3-7), applied to a binary string. */
const UTF8_VALID = literal(
  '^([\\x00-\\x7F]|[\\xC2-\\xDF][\\x80-\\xBF]|\\xE0[\\xA0-\\xBF][\\x80-\\xBF]|[\\xE1-\\xEC\\xEE\\xEF][\\x80-\\xBF]{2}|' +
    '\\xED[\\x80-\\x9F][\\x80-\\xBF]|\\xF0[\\x90-\\xBF][\\x80-\\xBF]{2}|[\\xF1-\\xF3][\\x80-\\xBF]{3}|\\xF4[\\x80-\\x8F][\\x80-\\xBF]{2})*$',
);
/** U+0080–U+009F in UTF-8 (C2 is never a continuation byte, so this cannot match mid-character). */
const UTF8_C1 = literal('\\xC2[\\x80-\\x9F]');

/** Text as utf8mb4 with a binary collation (a latin1/utf8mb3 column reads as it will after conversion). */
const asText = (expr: string) => `CONVERT(${expr} USING utf8mb4) COLLATE utf8mb4_bin`;
/** The MySQL latin1 bytes of a text known to be all latin1. */
const latin1Bytes = (text: string) => `CAST(CONVERT(${text} USING latin1) AS BINARY)`;

/** True when `text` may be the double encoding of valid UTF-8 (see above). */
function candidate(text: string): string {
  // Never NULL (a NULL operand would make AND evaluate the counter of mysql-pass.ts).
  return `(${text} IS NOT NULL AND LENGTH(${text}) <> CHAR_LENGTH(${text}) AND ${text} REGEXP ${LATIN1_ONLY} AND ${latin1Bytes(text)} REGEXP ${UTF8_VALID})`;
}

export interface MysqlDecision {
  /** The value may be double-encoded: the rows Node looks at. */
  candidate: string;
  /** The server repairs this value itself. */
  serverRepair: string;
  /** The repaired text (valid only where serverRepair holds). */
  repaired: string;
}

/** The decision for column expression `col` (already quoted). */
export function mysqlDecision(col: string): MysqlDecision {
  const s = asText(col);
  const b = latin1Bytes(s);
  const u = `CONVERT(${b} USING utf8mb4) COLLATE utf8mb4_bin`;
  const isCandidate = candidate(s);
  return {
    candidate: isCandidate,
    serverRepair: `(${isCandidate} AND NOT (${b} REGEXP ${UTF8_C1}) AND NOT ${candidate(u)})`,
    repaired: u,
  };
}
