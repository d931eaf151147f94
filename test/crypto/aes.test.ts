import { describe, it, expect } from 'vitest';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { DecryptError, MalformedValueError, ValueCipher, decryptValue, encryptValue, hexToBytes, type Padding } from '../../src/crypto/aes.js';
import { KeyError } from '../../src/errors.js';

const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const iv = Buffer.alloc(16, 0xa0);

function rawPlain(cipher: Buffer): Buffer {
  const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(cipher), d.final()]);
}

describe('paddings', () => {
  it('legacy: hex, 01 02, zeros to a multiple of 16', () => {
    const p = rawPlain(encryptValue(key, iv, Buffer.from('1234'), 'legacy'));
    expect(p.toString('latin1')).toBe('31323334\x01\x02' + '\0'.repeat(6));
    // 14 hex chars + 01 02 = exactly one block: no zeros
    expect(rawPlain(encryptValue(key, iv, Buffer.from('1234567'), 'legacy')).length).toBe(16);
  });

  it('pkcs7: a full extra block when the hex fills a block', () => {
    const p = rawPlain(encryptValue(key, iv, Buffer.from('12345678'), 'pkcs7'));
    expect(p.length).toBe(32);
    expect(p.subarray(16).equals(Buffer.alloc(16, 16))).toBe(true);
  });

  it('round trips any data in both paddings and reports which one it found', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('legacy' as const, 'pkcs7' as const), (data, padding) => {
        const c = encryptValue(key, iv, Buffer.from(data), padding);
        const r = decryptValue(key, iv, c);
        return r.padding === padding && r.plain.equals(Buffer.from(data));
      }),
      { numRuns: 400 },
    );
  });

  it('accepts an upper-case hex payload', () => {
    const body = Buffer.from('ABCD\x01\x02' + '\0'.repeat(10), 'latin1');
    const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    const cipher = Buffer.concat([c.update(body), c.final()]);
    expect(decryptValue(key, iv, cipher)).toEqual({ plain: Buffer.from([0xab, 0xcd]), padding: 'legacy' });
  });
});

describe('errors', () => {
  it('wrong key → DecryptError (a KeyError)', () => {
    const c = encryptValue(key, iv, Buffer.from('secret'), 'legacy');
    let err: unknown;
    try {
      decryptValue(randomBytes(32), iv, c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecryptError);
    expect(err).toBeInstanceOf(KeyError);
  });

  it('malformed sizes → MalformedValueError', () => {
    expect(() => decryptValue(key, Buffer.alloc(8), Buffer.alloc(16))).toThrow(MalformedValueError);
    expect(() => decryptValue(key, iv, Buffer.alloc(15))).toThrow(MalformedValueError);
    expect(() => decryptValue(key, iv, Buffer.alloc(0))).toThrow(MalformedValueError);
    expect(() => decryptValue(Buffer.alloc(16), iv, Buffer.alloc(16))).toThrow(RangeError);
  });
});

/** Raw CBC encryption of already padded bytes (to build payloads encryptValue never writes, e.g. upper-case hex). */
function rawCipher(body: Buffer, at: Buffer = iv): Buffer {
  const c = createCipheriv('aes-256-cbc', key, at).setAutoPadding(false);
  return Buffer.concat([c.update(body), c.final()]);
}

describe('ValueCipher (one reused key context) = decryptValue / encryptValue', () => {
  const vc = new ValueCipher(key);
  const paddings = fc.constantFrom<Padding>('legacy', 'pkcs7');
  const ivs = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));

  it('encrypts and decrypts byte for byte like the one-shot functions, value after value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), paddings, ivs, (data, padding, at) => {
        const c = encryptValue(key, at, Buffer.from(data), padding);
        const d = vc.decrypt(at, c);
        return vc.encrypt(at, Buffer.from(data), padding).equals(c) && d.padding === padding && d.plain.equals(Buffer.from(data));
      }),
      { numRuns: 500 },
    );
  });

  it('reencrypt = encryptValue(decryptValue(…).plain) under the same IV, in either direction', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), paddings, paddings, ivs, (data, from, to, at) => {
        const c = encryptValue(key, at, Buffer.from(data), from);
        const r = vc.reencrypt(at, c, to);
        return r.padding === from && r.cipher.equals(encryptValue(key, at, Buffer.from(data), to));
      }),
      { numRuns: 500 },
    );
  });

  it('reencrypt writes an upper-case hex payload in lower case, as encryptValue does', () => {
    for (const hex of ['ABCD', 'abcdefABCDEF0123456789abcdefABCD', '0123456789abcdef0123456789ABCDEF99']) {
      const body = Buffer.from(hex, 'latin1');
      const legacy = Buffer.concat([body, Buffer.from([1, 2]), Buffer.alloc((16 - ((body.length + 2) % 16)) % 16)]);
      const c = rawCipher(legacy);
      const plain = decryptValue(key, iv, c).plain;
      for (const to of ['pkcs7', 'legacy'] as const) expect(vc.reencrypt(iv, c, to).cipher.equals(encryptValue(key, iv, plain, to))).toBe(true);
    }
  });

  it('fails like decryptValue: wrong key, bad sizes; and keeps working afterwards', () => {
    const c = encryptValue(key, iv, Buffer.from('secret'), 'legacy');
    const other = new ValueCipher(randomBytes(32));
    expect(() => other.decrypt(iv, c)).toThrow(DecryptError);
    expect(() => other.reencrypt(iv, c, 'pkcs7')).toThrow(DecryptError);
    expect(() => vc.decrypt(Buffer.alloc(8), c)).toThrow(MalformedValueError);
    expect(() => vc.decrypt(iv, Buffer.alloc(15))).toThrow(MalformedValueError);
    expect(() => vc.reencrypt(iv, Buffer.alloc(0), 'pkcs7')).toThrow(MalformedValueError);
    expect(() => new ValueCipher(Buffer.alloc(16))).toThrow(RangeError);
    expect(vc.decrypt(iv, c).plain.toString()).toBe('secret');
  });
});

describe('hexToBytes', () => {
  it('decodes even-length hex of either case, and nothing else', () => {
    expect(hexToBytes('', 'x')).toEqual(Buffer.alloc(0));
    expect(hexToBytes('00aBcD', 'x')).toEqual(Buffer.from([0, 0xab, 0xcd]));
    // Node's decoder stops at a bad digit and reads U+0130 'İ' as '0', U+0161 'š' as 'a': all refused.
    for (const bad of ['abc', 'zz', 'abz0', 'ab cd', '0\u0130', '\u01300', 'ab\u0161b', '\u0661\u0662', 'a\u00e1', '\u00ab\u00cd']) {
      expect(() => hexToBytes(bad, 'x')).toThrow(MalformedValueError);
    }
  });

  it('agrees with a strict regular expression on any text', () => {
    fc.assert(
      fc.property(fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.uint8Array().map((b) => Buffer.from(b).toString('hex')),
          fc.string({ unit: fc.constantFrom('0', 'a', 'F', 'g', 'İ', 'š', ' ', '\u0000') }),
        ), (s) => {
        const strict = s.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(s);
        let got: Buffer | undefined;
        try {
          got = hexToBytes(s, 'x');
        } catch (e) {
          if (!(e instanceof MalformedValueError)) throw e;
        }
        return strict ? got !== undefined && got.equals(Buffer.from(s, 'hex')) : got === undefined;
      }),
      { numRuns: 2000 },
    );
  });
});
