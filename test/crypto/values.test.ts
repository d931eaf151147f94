import { describe, it, expect } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import {
  checkHashedPin,
  classifyOtpPin,
  classifyTokenSeed,
  decryptConfigValue,
  decryptOcraSharedSecret,
  decryptOtpPin,
  decryptTokenSeed,
  decryptUserPin,
  encryptConfigValue,
  encryptOcraSharedSecret,
  encryptOtpPin,
  encryptTokenSeed,
  encryptUserPin,
  hashPin,
  impliesWrongKey,
  parseEncryptedPin,
  pwTokenHash,
  reencryptConfigValue,
  reencryptOcraSharedSecret,
  reencryptOtpPin,
  reencryptTokenSeed,
  reencryptUserPin,
} from '../../src/crypto/values.js';
import { MalformedValueError } from '../../src/crypto/aes.js';
import { SAMPLE_KEY_BYTES, configSecrets, token1, token2, token3 } from './sample.js';

const key = new EncKey(SAMPLE_KEY_BYTES, 'sample');
const wrongKey = new EncKey(Buffer.alloc(96, 0x55), 'wrong');

describe('sample data set (linotp-schema.md §7)', () => {
  it('decrypts both token seeds (hex-of-hex) with legacy padding', () => {
    expect(decryptTokenSeed(key, token1.keyEnc, token1.keyIv)).toEqual({ ok: true, value: token1.otpSeed, padding: 'legacy' });
    expect(decryptTokenSeed(key, token2.keyEnc, token2.keyIv)).toEqual({ ok: true, value: token2.otpSeed, padding: 'legacy' });
    expect(Buffer.from(token1.otpSeed, 'hex').toString()).toBe('12345678901234567890');
    expect(Buffer.from(token2.otpSeed, 'hex').toString()).toBe('12345678901234567890123456789012');
  });

  it('decrypts every Config secret (slot 1)', () => {
    for (const s of Object.values(configSecrets)) {
      expect(decryptConfigValue(key, s.value)).toEqual({ ok: true, value: s.plain, padding: 'legacy' });
    }
  });

  it('SecretKey and PublicKey belong together: b64decode(sk)[32:] == pk', () => {
    const sk = decryptConfigValue(key, configSecrets.secretKey.value);
    const pk = decryptConfigValue(key, configSecrets.publicKey.value);
    if (!sk.ok || !pk.ok) throw new Error('decrypt failed');
    const skb = Buffer.from(sk.value, 'base64');
    expect(skb.length).toBe(64);
    expect(skb.subarray(32).equals(Buffer.from(pk.value, 'base64'))).toBe(true);
    expect(skb.subarray(0, 32).equals(Buffer.alloc(32, 0x42))).toBe(true);
  });

  it('token 1 hashed PIN 1234', () => {
    expect(classifyOtpPin(token1.pinHash)).toBe('hashed');
    expect(checkHashedPin(token1.pin, token1.seed, token1.pinHash)).toBe(true);
    expect(checkHashedPin('1235', token1.seed, token1.pinHash)).toBe(false);
    expect(hashPin(token1.pin, token1.seed)).toEqual({ seed: token1.seed, hash: token1.pinHash });
    expect(checkHashedPin('', '', '')).toBe(true);
    expect(checkHashedPin('x', '', '')).toBe(false);
  });

  it('token 2 encrypted @@ PIN 5678, IV = LinOtpSeed', () => {
    expect(classifyOtpPin(token2.pinHash)).toBe('encrypted');
    expect(parseEncryptedPin(token2.pinHash).ivHex).toBe(token2.seed);
    expect(decryptOtpPin(key, token2.pinHash)).toEqual({ ok: true, value: token2.pin, padding: 'legacy' });
    expect(encryptOtpPin(key, token2.pin, token2.seed, 'legacy')).toBe(token2.pinHash);
  });

  it('re-encrypting the @@ PIN gives exactly what LinOTP 3.4 computes in check_encrypted_pin', () => {
    const r = reencryptOtpPin(key, token2.pinHash);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.value.slice(2), 'hex').toString()).toBe(token2.pinPkcs7Inner);
    expect(encryptOtpPin(key, token2.pin, token2.seed, 'pkcs7')).toBe(r.value);
    expect(decryptOtpPin(key, r.value)).toEqual({ ok: true, value: token2.pin, padding: 'pkcs7' });
  });

  it('token 3 (pw) is classified, never decrypted', () => {
    expect(classifyTokenSeed({ keyEnc: token3.keyEnc, keyIv: token3.keyIv, tokenType: 'pw' })).toBe('pw-hash');
    expect(pwTokenHash(token3.keyEnc)).toBe(token3.hash);
    expect(classifyTokenSeed({ keyEnc: token1.keyEnc, keyIv: token1.keyIv, tokenType: 'HMAC' })).toBe('encrypted');
    expect(classifyTokenSeed({ keyEnc: '', keyIv: '', tokenType: 'qr' })).toBe('no-seed-type');
    expect(classifyTokenSeed({ keyEnc: 'ab', keyIv: 'cd', tokenType: 'push' })).toBe('no-seed-type');
    expect(classifyTokenSeed({ keyEnc: null, keyIv: null, tokenType: 'spass' })).toBe('empty');
  });

  it.each([token1, token2])('PKCS#7 re-encryption of $serial keeps the IV and changes only the last block', (t) => {
    const r = reencryptTokenSeed(key, t.keyEnc, t.keyIv);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.padding).toBe('legacy');
    expect(r.value.length).toBe(t.keyEnc.length);
    expect(r.value.slice(0, t.unchangedPrefix)).toBe(t.keyEnc.slice(0, t.unchangedPrefix));
    expect(r.value.slice(t.unchangedPrefix)).toBe(t.pkcs7LastBlock);
    expect(encryptTokenSeed(key, t.otpSeed, t.keyIv, 'pkcs7')).toBe(r.value);
    expect(encryptTokenSeed(key, t.otpSeed, t.keyIv, 'legacy')).toBe(t.keyEnc);
    expect(decryptTokenSeed(key, r.value, t.keyIv)).toEqual({ ok: true, value: t.otpSeed, padding: 'pkcs7' });
  });

  it('Config re-encryption uses a new random IV and PKCS#7', () => {
    const r = reencryptConfigValue(key, configSecrets.sqlPassword.value);
    if (!r.ok) throw new Error('failed');
    expect(r.value.split(':')[0]).not.toBe(configSecrets.sqlPassword.value.split(':')[0]);
    expect(r.value).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);
    expect(decryptConfigValue(key, r.value)).toEqual({ ok: true, value: 's3cr3t-DB-pw', padding: 'pkcs7' });
    const r2 = reencryptConfigValue(key, configSecrets.sqlPassword.value);
    if (!r2.ok) throw new Error('failed');
    expect(r2.value).not.toBe(r.value);
    expect(encryptConfigValue(key, 's3cr3t-DB-pw', 'legacy', 'e0e1e2e3e4e5e6e7e8e9eaebecedeeef')).toBe(configSecrets.sqlPassword.value);
  });
});

describe('wrong key', () => {
  it('is classified as failure, never thrown', () => {
    for (const t of [token1, token2]) {
      const r = decryptTokenSeed(wrongKey, t.keyEnc, t.keyIv);
      expect(r.ok).toBe(false);
      expect(reencryptTokenSeed(wrongKey, t.keyEnc, t.keyIv).ok).toBe(false);
    }
    for (const s of Object.values(configSecrets)) {
      expect(decryptConfigValue(wrongKey, s.value).ok).toBe(false);
      expect(reencryptConfigValue(wrongKey, s.value).ok).toBe(false);
    }
    expect(decryptOtpPin(wrongKey, token2.pinHash).ok).toBe(false);
    expect(reencryptOtpPin(wrongKey, token2.pinHash).ok).toBe(false);
  });

  it('using the config slot for a seed fails too', () => {
    const swapped = new EncKey(Buffer.concat([SAMPLE_KEY_BYTES.subarray(32, 64), SAMPLE_KEY_BYTES.subarray(0, 32), SAMPLE_KEY_BYTES.subarray(64)]), 'swapped');
    expect(decryptTokenSeed(swapped, token1.keyEnc, token1.keyIv).ok).toBe(false);
    expect(decryptConfigValue(swapped, configSecrets.sqlPassword.value).ok).toBe(false);
  });

  it('fails for many random keys (no false positives)', () => {
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const k = new EncKey(Buffer.from(Array.from({ length: 96 }, () => Math.floor(Math.random() * 256))), 'random');
      if (decryptTokenSeed(k, token1.keyEnc, token1.keyIv).ok) accepted++;
      if (decryptConfigValue(k, configSecrets.publicKey.value).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('a decrypted seed that is not hex is reported as seed-not-hex', () => {
    const enc = encryptTokenSeed(key, 'not a hex seed', token1.keyIv, 'pkcs7');
    expect(decryptTokenSeed(key, enc, token1.keyIv)).toEqual({ ok: false, reason: 'seed-not-hex' });
    expect(impliesWrongKey('seed-not-hex')).toBe(false);
    const wrong = decryptTokenSeed(wrongKey, enc, token1.keyIv);
    expect(!wrong.ok && impliesWrongKey(wrong.reason)).toBe(true);
    // re-encryption works on the bytes and keeps such seeds intact
    const r = reencryptTokenSeed(key, enc, token1.keyIv, 'legacy');
    if (!r.ok) throw new Error('failed');
    expect(reencryptTokenSeed(key, r.value, token1.keyIv, 'pkcs7')).toEqual({ ok: true, value: enc, padding: 'legacy' });
  });
});

describe('malformed input throws', () => {
  it.each([
    ['odd hex', () => decryptTokenSeed(key, token1.keyEnc.slice(1), token1.keyIv)],
    ['non-hex', () => decryptTokenSeed(key, 'zz' + token1.keyEnc.slice(2), token1.keyIv)],
    ['short IV', () => decryptTokenSeed(key, token1.keyEnc, 'a0a1')],
    ['partial block', () => decryptTokenSeed(key, token1.keyEnc.slice(0, 30), token1.keyIv)],
    ['no colon', () => decryptConfigValue(key, 'abcdef')],
    ['empty cipher', () => decryptConfigValue(key, 'e0e1e2e3e4e5e6e7e8e9eaebecedeeef:')],
    ['@@ without colon', () => decryptOtpPin(key, '@@' + Buffer.from('abcd').toString('hex'))],
    ['bad TokenInfo JSON', () => decryptOcraSharedSecret(key, '{"sharedSecret": ')],
  ])('%s', (_n, fn) => {
    expect(fn).toThrow(MalformedValueError);
  });
});

describe('user PINs and ocra sharedSecret', () => {
  const iv = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';
  it.each(['legacy', 'pkcs7'] as const)('user PIN round trip (%s), same-IV re-encryption', (padding) => {
    const enc = encryptUserPin(key, 'pä$$', iv, padding);
    expect(decryptUserPin(key, enc, iv)).toEqual({ ok: true, value: 'pä$$', padding });
    const other = padding === 'legacy' ? 'pkcs7' : 'legacy';
    const r = reencryptUserPin(key, enc, iv, other);
    if (!r.ok) throw new Error('failed');
    expect(r.value).toBe(encryptUserPin(key, 'pä$$', iv, other));
    expect(decryptUserPin(wrongKey, enc, iv).ok).toBe(false);
  });

  it('ocra2 sharedSecret inside TokenInfo JSON, other text untouched', () => {
    const secret = Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex');
    const ss = encryptOcraSharedSecret(key, secret, 'legacy', iv);
    const info = `{\n"rollout": "1", \n"sharedSecret": "${ss}", \n"ocrasuite": "OCRA-1:HOTP-SHA256-8:C-QN08"\n}`;
    const d = decryptOcraSharedSecret(key, info);
    expect(d?.ok && d.value.equals(secret)).toBe(true);
    expect(decryptOcraSharedSecret(key, '{"hashlib": "sha1"}')).toBeUndefined();
    expect(decryptOcraSharedSecret(key, null)).toBeUndefined();
    const r = reencryptOcraSharedSecret(key, info);
    if (!r?.ok) throw new Error('failed');
    expect(r.value.replace(/"sharedSecret": "[^"]+"/, '')).toBe(info.replace(/"sharedSecret": "[^"]+"/, ''));
    const again = decryptOcraSharedSecret(key, r.value);
    expect(again?.ok && again.padding === 'pkcs7' && again.value.equals(secret)).toBe(true);
    expect(decryptOcraSharedSecret(wrongKey, info)?.ok).toBe(false);
  });
});

describe("same-IV re-encryption with 'check' (init's plan)", () => {
  const iv = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';
  const ss = encryptOcraSharedSecret(key, Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 'legacy', iv);
  const info = `{"rollout": "1", "sharedSecret": "${ss}"}`;
  const cases: [string, (k: EncKey, to: 'pkcs7' | 'check') => ReturnType<typeof reencryptTokenSeed> | undefined][] = [
    ['seed', (k, to) => reencryptTokenSeed(k, encryptTokenSeed(key, '3132', iv, 'legacy'), iv, to)],
    ['user PIN', (k, to) => reencryptUserPin(k, encryptUserPin(key, 'pä$$', iv, 'legacy'), iv, to)],
    ['@@ PIN', (k, to) => reencryptOtpPin(k, token2.pinHash, to)],
    ['ocra secret', (k, to) => reencryptOcraSharedSecret(k, info, to)],
  ];
  it.each(cases)('%s: the same verdict and padding, no value', (_name, run) => {
    for (const k of [key, wrongKey]) {
      const full = run(k, 'pkcs7');
      const check = run(k, 'check');
      expect(check).toEqual(full?.ok ? { ...full, value: '' } : full);
    }
  });
  it('ocra secret held twice: malformed either way', () => {
    const twice = `{"sharedSecret": "${ss}", "copy": "${ss}"}`;
    expect(() => reencryptOcraSharedSecret(key, twice, 'check')).toThrow(MalformedValueError);
  });
});
