/**
 * Every encKey-dependent value LinOTP stores (linotp-schema.md §6), read and written in both
 * paddings. Decryption returns a classification instead of throwing when the key does not fit, so
 * `verify` can count failures; only malformed input (bad hex, wrong IV size …) throws.
 *
 * What LinOTP 3.4 reads, and so what re-encryption must produce (branch-v3.4):
 * - seeds: `decrypt(LinOtpKeyEnc, LinOtpKeyIV)` with PKCS#7 → re-encrypt with the SAME IV
 *   (migration 3.1.0.0 does that);
 * - Config secrets: `_decryptValue("iv:cipher")` with PKCS#7 → any IV; 3.1.0.0 uses a NEW random one;
 * - `@@` OTP PINs: `TokenClass.checkPin` → `SecretObj.check_encrypted_pin` ENCRYPTS the candidate
 *   PIN with IV = unhex(LinOtpSeed) under slot 0 (PKCS#7) and compares the resulting
 *   "<ivhex>:<cipherhex>" string with the stored one. So a `@@` PIN must be re-encrypted with the
 *   IV from LinOtpSeed (lowercase hex, as `iv.hex()` prints it), or no PIN ever matches again.
 *   LinOTP's own 3.1.0.0 leaves these in the legacy padding (linotp-cli.md §4.4) — a LinOTP bug
 *   we fix;
 * - user PINs (`LinOtpTokenPinUser`, mOTP/OCRA2): `decrypt(pin, iv)` like seeds → same IV; also
 *   missed by LinOTP's 3.1.0.0;
 * - ocra2 `sharedSecret` in TokenInfo: `decryptPin("iv:cipher")` → any IV; we keep it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EncKey } from './enckey.js';
import { CONFIG_SLOT, TOKEN_SLOT } from './enckey.js';
import { DecryptError, MalformedValueError, hexToBytes, type Padding, type ValueCipher } from './aes.js';

/**
 * Why a value did not decrypt to what its format promises:
 * - `padding` / `payload`: no valid padding, or the unpadded data is not hex — a wrong key (or
 *   slot), with overwhelming probability;
 * - `seed-not-hex` / `not-utf8`: the key FITS (padding and hex payload are valid) but the content
 *   is unusual — e.g. a seed an admin typed that was not hex (mOTP, imported vasco blobs). These
 *   are not key failures; see `impliesWrongKey`.
 */
export type FailReason = 'padding' | 'payload' | 'seed-not-hex' | 'not-utf8';

/** True only for the reasons that mean "this encKey does not belong to the value". */
export function impliesWrongKey(reason: FailReason): boolean {
  return reason === 'padding' || reason === 'payload';
}
export type Decrypted<T> = { ok: true; value: T; padding: Padding } | { ok: false; reason: FailReason };

function attempt(c: ValueCipher, iv: Buffer, cipher: Buffer): Decrypted<Buffer> {
  try {
    const { plain, padding } = c.decrypt(iv, cipher);
    return { ok: true, value: plain, padding };
  } catch (e) {
    if (e instanceof DecryptError) return { ok: false, reason: e.reason };
    throw e;
  }
}

/**
 * The padding a same-IV re-encryption writes, or `check`: decrypt and classify only, encrypt
 * nothing (the value returned is empty). init's plan checks every value before anything changes and
 * the rewrite decrypts them again, so the plan has no use for the ciphertext.
 */
export type Rewrite = Padding | 'check';

/**
 * A value re-encrypted under its own IV (seeds, user PINs, `@@` PINs, ocra secrets): the raw
 * plaintext is kept as it is, only the padding changes (ValueCipher.reencrypt says which blocks).
 */
function rewrap(c: ValueCipher, iv: Buffer, cipher: Buffer, to: Rewrite): Decrypted<Buffer> {
  try {
    if (to === 'check') return { ok: true, value: NOTHING, padding: c.check(iv, cipher) };
    const r = c.reencrypt(iv, cipher, to);
    return { ok: true, value: r.cipher, padding: r.padding };
  } catch (e) {
    if (e instanceof DecryptError) return { ok: false, reason: e.reason };
    throw e;
  }
}

const NOTHING = Buffer.alloc(0);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a leading U+FEFF is content, kept
function asText(r: Decrypted<Buffer>): Decrypted<string> {
  if (!r.ok) return r;
  try {
    return { ok: true, value: utf8.decode(r.value), padding: r.padding };
  } catch {
    return { ok: false, reason: 'not-utf8' };
  }
}

/** Splits LinOTP's `"<ivhex>:<cipherhex>"` form (`_encryptValue`). */
export function splitIvValue(value: string, what: string): { iv: Buffer; cipher: Buffer; ivHex: string } {
  const pos = value.indexOf(':');
  if (pos < 0) throw new MalformedValueError(`${what} is not in the "<iv>:<cipher>" form`);
  const ivHex = value.slice(0, pos);
  return { iv: hexToBytes(ivHex, `${what} IV`), cipher: hexToBytes(value.slice(pos + 1), `${what} ciphertext`), ivHex };
}

const joinIvValue = (iv: Buffer, cipher: Buffer) => `${iv.toString('hex')}:${cipher.toString('hex')}`;

// ---------------------------------------------------------------- token seeds

/** `LinOtpKeyIV` of pw tokens since 2.x: hex(":1:") marks an unencrypted sha512-crypt hash. */
export const PW_TOKEN_IV = '3a313a';

export type SeedKind = 'encrypted' | 'pw-hash' | 'empty' | 'no-seed-type';

/**
 * What a Token row's seed columns hold. `no-seed-type` = qr/push, which migration 3.1.0.0 skips
 * whatever is stored (their LinOtpKeyEnc is normally empty).
 */
export function classifyTokenSeed(row: { keyEnc: string | null; keyIv: string | null; tokenType?: string | null }): SeedKind {
  if ((row.keyIv ?? '').toLowerCase() === PW_TOKEN_IV) return 'pw-hash';
  const type = (row.tokenType ?? '').toLowerCase();
  if (type === 'qr' || type === 'push') return 'no-seed-type';
  if (!row.keyEnc) return 'empty';
  return 'encrypted';
}

/** The crypt string (`$6$…`) a pw token stores hex-encoded in LinOtpKeyEnc. */
export function pwTokenHash(keyEnc: string): string {
  return hexToBytes(keyEnc, 'pw token LinOtpKeyEnc').toString('utf8');
}

/**
 * Decrypts a seed (slot 0). The plaintext is hex(otpkey) and otpkey is itself the hex seed, so
 * the result must be hex again ("hex-of-hex"); the seed hex string is returned.
 */
export function decryptTokenSeed(key: EncKey, keyEnc: string, keyIv: string): Decrypted<string> {
  const r = attempt(key.cipher(TOKEN_SLOT), hexToBytes(keyIv, 'LinOtpKeyIV'), hexToBytes(keyEnc, 'LinOtpKeyEnc'));
  if (!r.ok) return r;
  const seed = r.value.toString('latin1');
  if (seed.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(seed)) return { ok: false, reason: 'seed-not-hex' };
  return { ok: true, value: seed, padding: r.padding };
}

/** `LinOtpKeyEnc` for a seed hex string under the given IV. */
export function encryptTokenSeed(key: EncKey, seedHex: string, keyIv: string, padding: Padding): string {
  return key.cipher(TOKEN_SLOT).encrypt(hexToBytes(keyIv, 'LinOtpKeyIV'), Buffer.from(seedHex, 'utf8'), padding).toString('hex');
}

/**
 * Re-encrypts a seed with the SAME IV (what 3.1.0.0 does). Works on the raw plaintext, so a seed
 * that is not hex (some token types) survives unchanged.
 */
export function reencryptTokenSeed(key: EncKey, keyEnc: string, keyIv: string, padding: Rewrite = 'pkcs7'): Decrypted<string> {
  const iv = hexToBytes(keyIv, 'LinOtpKeyIV');
  const r = rewrap(key.cipher(TOKEN_SLOT), iv, hexToBytes(keyEnc, 'LinOtpKeyEnc'), padding);
  if (!r.ok) return r;
  return { ok: true, value: r.value.toString('hex'), padding: r.padding };
}

// ---------------------------------------------------------------- user / SO PINs

/** `LinOtpTokenPinUser`/`…IV` (and `LinOtpTokenPinSO`/`…IV`): hex(cipher), hex(IV), slot 0. */
export function decryptUserPin(key: EncKey, pinEnc: string, pinIv: string): Decrypted<string> {
  return asText(attempt(key.cipher(TOKEN_SLOT), hexToBytes(pinIv, 'PIN IV'), hexToBytes(pinEnc, 'encrypted PIN')));
}

export function encryptUserPin(key: EncKey, pin: string, pinIv: string, padding: Padding): string {
  return key.cipher(TOKEN_SLOT).encrypt(hexToBytes(pinIv, 'PIN IV'), Buffer.from(pin, 'utf8'), padding).toString('hex');
}

/** Same IV, like seeds (LinOTP reads these with `decrypt(value, iv)`). */
export function reencryptUserPin(key: EncKey, pinEnc: string, pinIv: string, padding: Rewrite = 'pkcs7'): Decrypted<string> {
  const iv = hexToBytes(pinIv, 'PIN IV');
  const r = rewrap(key.cipher(TOKEN_SLOT), iv, hexToBytes(pinEnc, 'encrypted PIN'), padding);
  if (!r.ok) return r;
  return { ok: true, value: r.value.toString('hex'), padding: r.padding };
}

// ---------------------------------------------------------------- OTP PINs (LinOtpPinHash)

export type OtpPinKind = 'none' | 'hashed' | 'encrypted';

export function classifyOtpPin(pinHash: string | null): OtpPinKind {
  if (!pinHash) return 'none';
  return pinHash.startsWith('@@') ? 'encrypted' : 'hashed';
}

/** `'@@' + hex("<ivhex>:<cipherhex>")` → its parts. */
export function parseEncryptedPin(pinHash: string): { ivHex: string; iv: Buffer; cipher: Buffer } {
  if (!pinHash.startsWith('@@')) throw new MalformedValueError('LinOtpPinHash is not an encrypted PIN (no @@ prefix)');
  const inner = hexToBytes(pinHash.slice(2), 'encrypted LinOtpPinHash').toString('latin1');
  return splitIvValue(inner, 'encrypted LinOtpPinHash');
}

export function decryptOtpPin(key: EncKey, pinHash: string): Decrypted<string> {
  const { iv, cipher } = parseEncryptedPin(pinHash);
  return asText(attempt(key.cipher(TOKEN_SLOT), iv, cipher));
}

/**
 * `LinOtpPinHash` for an encrypted PIN. `ivHex` must be the row's LinOtpSeed: LinOTP 3.4 checks a
 * PIN by encrypting it with that IV and comparing strings (see the header).
 */
export function encryptOtpPin(key: EncKey, pin: string, ivHex: string, padding: Padding): string {
  const iv = hexToBytes(ivHex, 'LinOtpSeed');
  const inner = joinIvValue(iv, key.cipher(TOKEN_SLOT).encrypt(iv, Buffer.from(pin, 'utf8'), padding));
  return '@@' + Buffer.from(inner, 'latin1').toString('hex');
}

/** Re-encrypts a `@@` PIN with the IV it already carries (= LinOtpSeed), so 3.4's check matches. */
export function reencryptOtpPin(key: EncKey, pinHash: string, padding: Rewrite = 'pkcs7'): Decrypted<string> {
  const { iv, cipher } = parseEncryptedPin(pinHash);
  const r = rewrap(key.cipher(TOKEN_SLOT), iv, cipher, padding);
  if (!r.ok) return r;
  if (padding === 'check') return { ok: true, value: '', padding: r.padding };
  const inner = joinIvValue(iv, r.value);
  return { ok: true, value: '@@' + Buffer.from(inner, 'latin1').toString('hex'), padding: r.padding };
}

/** Hashed PIN: LinOtpPinHash = hex(sha256(utf8(pin) ‖ salt)), LinOtpSeed = hex(salt). Not key-dependent. */
export function hashPin(pin: string, saltHex: string = randomBytes(16).toString('hex')): { seed: string; hash: string } {
  const salt = hexToBytes(saltHex, 'LinOtpSeed');
  return { seed: salt.toString('hex'), hash: createHash('sha256').update(Buffer.from(pin, 'utf8')).update(salt).digest('hex') };
}

export function checkHashedPin(pin: string, seedHex: string, hashHex: string): boolean {
  // LinOTP treats an empty hash as "no PIN set", matching only the empty PIN (TokenClass.checkPin).
  if (hashHex === '') return pin === '';
  const want = hexToBytes(hashHex, 'LinOtpPinHash');
  const got = Buffer.from(hashPin(pin, seedHex).hash, 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}

// ---------------------------------------------------------------- Config secrets

export const ENCRYPTED_CONFIG_TYPES = ['encrypted_data', 'password'] as const;
export function isEncryptedConfigType(type: string | null | undefined): boolean {
  return type === 'encrypted_data' || type === 'password';
}

/** Config `Value` `"<ivhex>:<cipherhex>"`, slot 1, plaintext UTF-8. Chunked values must be reassembled first. */
export function decryptConfigValue(key: EncKey, value: string): Decrypted<string> {
  const { iv, cipher } = splitIvValue(value, 'Config value');
  return asText(attempt(key.cipher(CONFIG_SLOT), iv, cipher));
}

/** A NEW random IV unless one is given (as 3.1.0.0 does). */
export function encryptConfigValue(key: EncKey, plain: string, padding: Padding, ivHex?: string): string {
  const iv = ivHex === undefined ? randomBytes(16) : hexToBytes(ivHex, 'Config IV');
  return joinIvValue(iv, key.cipher(CONFIG_SLOT).encrypt(iv, Buffer.from(plain, 'utf8'), padding));
}

export function reencryptConfigValue(key: EncKey, value: string, padding: Padding = 'pkcs7'): Decrypted<string> {
  const { iv, cipher } = splitIvValue(value, 'Config value');
  const r = attempt(key.cipher(CONFIG_SLOT), iv, cipher);
  if (!r.ok) return r;
  const newIv = randomBytes(16);
  return { ok: true, value: joinIvValue(newIv, key.cipher(CONFIG_SLOT).encrypt(newIv, r.value, padding)), padding: r.padding };
}

// ---------------------------------------------------------------- ocra/ocra2 sharedSecret

function sharedSecretOf(tokenInfo: string | null): string | undefined {
  if (!tokenInfo || !tokenInfo.includes('sharedSecret')) return undefined;
  let info: unknown;
  try {
    info = JSON.parse(tokenInfo);
  } catch {
    throw new MalformedValueError('LinOtpTokenInfo with a sharedSecret is not valid JSON');
  }
  const v = info && typeof info === 'object' ? (info as Record<string, unknown>).sharedSecret : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The raw shared secret of an ocra/ocra2 token during rollout, or undefined when TokenInfo has none. */
export function decryptOcraSharedSecret(key: EncKey, tokenInfo: string | null): Decrypted<Buffer> | undefined {
  const v = sharedSecretOf(tokenInfo);
  if (v === undefined) return undefined;
  const { iv, cipher } = splitIvValue(v, 'TokenInfo sharedSecret');
  return attempt(key.cipher(TOKEN_SLOT), iv, cipher);
}

/**
 * TokenInfo with the sharedSecret re-encrypted (same IV). Only that string is replaced, so the
 * rest of the JSON text (key order, spacing of 2.x dicts) stays byte-identical.
 */
export function reencryptOcraSharedSecret(key: EncKey, tokenInfo: string, padding: Rewrite = 'pkcs7'): Decrypted<string> | undefined {
  const v = sharedSecretOf(tokenInfo);
  if (v === undefined) return undefined;
  const { iv, cipher } = splitIvValue(v, 'TokenInfo sharedSecret');
  const r = rewrap(key.cipher(TOKEN_SLOT), iv, cipher, padding);
  if (!r.ok) return r;
  const quoted = JSON.stringify(v);
  if (tokenInfo.split(quoted).length !== 2) throw new MalformedValueError('LinOtpTokenInfo holds the sharedSecret value more than once');
  if (padding === 'check') return { ok: true, value: '', padding: r.padding };
  const next = JSON.stringify(joinIvValue(iv, r.value));
  return { ok: true, value: tokenInfo.replace(quoted, () => next), padding: r.padding };
}

/** `"iv:cipher"` for a raw shared secret (slot 0), new random IV unless one is given. */
export function encryptOcraSharedSecret(key: EncKey, secret: Buffer, padding: Padding, ivHex?: string): string {
  const iv = ivHex === undefined ? randomBytes(16) : hexToBytes(ivHex, 'sharedSecret IV');
  return joinIvValue(iv, key.cipher(TOKEN_SLOT).encrypt(iv, secret, padding));
}

export { groupConfigRows, type ConfigRow, type ConfigEntry, type ChunkProblem } from './chunks.js';
