import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMysqlLatin1, doubleEncode, encodeMysqlLatin1, LATIN1_TO_UNICODE } from '../../src/encoding/mysql-latin1.js';
import { classify, looksDoubleEncoded, undoDoubleEncoding } from '../../src/encoding/repair.js';

/**
 * Natural text: words people type (Latin with diacritics, Polish, Nordic, Greek, CJK, €, emoji).
 * Each non-ASCII piece is followed by an ASCII letter: a correct value in which an accented
 * capital is *immediately* followed by a symbol such as … “ ° (e.g. `Æ…`) is byte for byte the
 * double encoding of another character (`ƅ`) and cannot be told apart — see the test below.
 */
const natural = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'abcxyzABC019 .,-_@/:'.split('')),
      fc.constantFrom(...'üöäÜÖÄßéèêëçñøåæØÅÆłŁśŚźżćńőűčřžšąęğıİ€£¥©®°±µ—–…‘’“”•'.split('')).map((c) => c + 'n'),
      fc.constantFrom('日本', '中文', 'Ελλάδα', 'Москва', '🔑', '😀', '👍🏽', 'ﬁ').map((c) => c + 'x'),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

describe('MySQL latin1 table', () => {
  it('is cp1252 with MySQL\'s five extra mappings (§5.4)', () => {
    expect(LATIN1_TO_UNICODE[0x80]).toBe(0x20ac);
    expect(LATIN1_TO_UNICODE[0x81]).toBe(0x81);
    expect(LATIN1_TO_UNICODE[0x8d]).toBe(0x8d);
    expect(LATIN1_TO_UNICODE[0x8f]).toBe(0x8f);
    expect(LATIN1_TO_UNICODE[0x90]).toBe(0x90);
    expect(LATIN1_TO_UNICODE[0x9d]).toBe(0x9d);
    expect(LATIN1_TO_UNICODE[0x9f]).toBe(0x178);
    expect(new Set(LATIN1_TO_UNICODE).size).toBe(256);
  });

  it('round-trips every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(encodeMysqlLatin1(decodeMysqlLatin1(all))!.equals(all)).toBe(true);
    expect(encodeMysqlLatin1('Ł')).toBeUndefined();
  });

  it('double-encodes like MariaDB did in the verified experiment', () => {
    expect(Buffer.from(doubleEncode('für'), 'utf8').toString('hex')).toBe('66c383c2bc72');
    expect(doubleEncode('€')).toBe('â‚¬');
    expect(doubleEncode('Łukasz')).toBe('Å\u0081ukasz');
    expect(doubleEncode('zoë.østergård')).toBe('zoÃ«.Ã¸stergÃ¥rd');
  });
});

describe('per-value decision', () => {
  it('repairs the double-encoded form of any string (without C1 controls)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        fc.pre(!looksDoubleEncoded(s) && !/[\u0080-\u009f]/.test(s));
        const v = classify(doubleEncode(s));
        if (/^[\x00-\x7f]*$/.test(s)) expect(v).toEqual({ kind: 'ok' });
        else expect(v).toEqual({ kind: 'double', repaired: s });
      }),
      { numRuns: 2000 },
    );
  });

  it('never changes natural text (correct UTF-8)', () => {
    fc.assert(
      fc.property(natural, (s) => {
        expect(classify(s)).toEqual({ kind: 'ok' });
      }),
      { numRuns: 3000 },
    );
  });

  it('only ever changes a value into text whose double encoding it is (sound for any input)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        const once = undoDoubleEncoding(s);
        if (once !== undefined) expect(doubleEncode(once)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: a repaired value is not repaired again', () => {
    fc.assert(
      fc.property(natural, (s) => {
        const v = classify(doubleEncode(s));
        const repaired = v.kind === 'ok' ? doubleEncode(s) : v.repaired;
        expect(classify(repaired)).toEqual({ kind: 'ok' });
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps 4-byte characters and detects triple encoding', () => {
    expect(classify(doubleEncode('Token 🔑 Łukasz'))).toEqual({ kind: 'double', repaired: 'Token 🔑 Łukasz' });
    expect(classify(doubleEncode(doubleEncode('Jürgen')))).toEqual({ kind: 'triple', repaired: 'Jürgen', levels: 3 });
    expect(classify('🔑')).toEqual({ kind: 'ok' });
  });

  it('does not "repair" into C1 control characters', () => {
    expect(classify(doubleEncode('\u0085'))).toEqual({ kind: 'ok' });
  });

  it('cannot tell a correct capital+symbol pair from mojibake (documented limit)', () => {
    expect(classify('Æ…')).toEqual({ kind: 'double', repaired: 'ƅ' });
  });

  it('leaves ASCII, correct text and half-broken values alone', () => {
    for (const v of ['', 'plain', 'für', 'Łódź', '€ 5', 'Ã', 'fÃ¼r Łódź', 'Ã¼ and ü', null, undefined]) {
      expect(classify(v), String(v)).toEqual({ kind: 'ok' });
    }
  });
});
