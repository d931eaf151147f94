/**
 * MySQL's `latin1` character set. It is not ISO-8859-1: MySQL's latin1 is Windows cp1252, and the
 * five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls of the
 * same number (linotp-schema.md §5.4, verified on MariaDB 10.11: `Ł` = C5 81 is stored as `Å`+U+0081).
 *
 * LinOTP 2 on Python 2 sent UTF-8 bytes through a latin1 connection, so every UTF-8 byte became one
 * latin1 character in a utf8 column. Encoding text with this table gives those bytes back.
 */

/** cp1252 0x80–0x9F; the undefined five are MySQL's identity mappings. */
const HIGH_C1: readonly number[] = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** byte → code point, for all 256 bytes. */
export const LATIN1_TO_UNICODE: readonly number[] = Array.from({ length: 256 }, (_, b) => (b >= 0x80 && b <= 0x9f ? HIGH_C1[b - 0x80] : b));

/** code point → byte for the 256 characters of MySQL latin1 (-1 elsewhere, looked up only below 0x10000). */
const UNICODE_TO_LATIN1 = (() => {
  const table = new Int16Array(0x10000).fill(-1);
  LATIN1_TO_UNICODE.forEach((cp, b) => {
    table[cp] = b;
  });
  return table;
})();

/**
 * The bytes MySQL's latin1 would give for `text`, or undefined when a character is not in latin1
 * (then `text` cannot be the latin1 reading of anything).
 */
export function encodeMysqlLatin1(text: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = UNICODE_TO_LATIN1[text.charCodeAt(i)];
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}

/** How MySQL's latin1 reads `bytes` (every byte is a character). */
export function decodeMysqlLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...Array.from(bytes.subarray(i, i + 4096), (b) => LATIN1_TO_UNICODE[b]));
  }
  return s;
}

/**
 * What LinOTP 2 (Python 2 MySQLdb, latin1 connection, utf8 table) stored for `text`: its UTF-8 bytes,
 * each read as one latin1 character.
 */
export function doubleEncode(text: string): string {
  return decodeMysqlLatin1(Buffer.from(text, 'utf8'));
}
