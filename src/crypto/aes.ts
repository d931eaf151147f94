/**
 * LinOTP's value cipher (linotp-cli.md §4.2/4.3): AES-256-CBC over the lowercase ASCII hex of the
 * data, padded either the LinOTP 2 / 3.0 way (`01 02` then zeros up to a multiple of 16) or with
 * PKCS#7 (3.1+). The two paddings can't be confused: hex text never contains 0x00/0x01/0x02, so a
 * legacy block never ends in valid PKCS#7 and a PKCS#7 block never ends in `01 02 00*`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { InputError, KeyError } from '../errors.js';

export type Padding = 'legacy' | 'pkcs7';
const BLOCK = 16;

/** The stored value itself is malformed (bad hex, wrong IV size, partial block): not a key problem. */
export class MalformedValueError extends InputError {
  constructor(message: string, hint?: string) {
    super(message, hint ?? 'the stored value is damaged or not in LinOTP\'s format');
  }
}

/** The value did not decrypt to a padded hex payload: with overwhelming probability the wrong encKey (or slot). */
export class DecryptError extends KeyError {
  readonly reason: 'padding' | 'payload';
  constructor(reason: 'padding' | 'payload') {
    super(reason === 'padding' ? 'value does not decrypt with this encKey: no valid padding' : 'value does not decrypt with this encKey: the payload is not hex', 'check that the encKey belongs to this database');
    this.reason = reason;
  }
}

function checkKeyIv(key: Buffer, iv: Buffer): void {
  if (key.length !== 32) throw new RangeError(`AES-256 key must be 32 bytes, got ${key.length}`);
  if (iv.length !== BLOCK) throw new MalformedValueError(`IV is ${iv.length} bytes; AES-CBC needs 16`);
}

const isHexByte = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);

function pad(data: Buffer, padding: Padding): Buffer {
  if (padding === 'pkcs7') {
    const n = BLOCK - (data.length % BLOCK);
    return Buffer.concat([data, Buffer.alloc(n, n)]);
  }
  const withMark = Buffer.concat([data, Buffer.from([0x01, 0x02])]);
  return Buffer.concat([withMark, Buffer.alloc((BLOCK - (withMark.length % BLOCK)) % BLOCK)]);
}

/** Returns the unpadded payload, or undefined when the padding is not of this kind. */
function unpad(block: Buffer, padding: Padding): Buffer | undefined {
  if (block.length === 0) return undefined;
  if (padding === 'pkcs7') {
    const n = block[block.length - 1];
    if (n < 1 || n > BLOCK || n > block.length) return undefined;
    for (let i = block.length - n; i < block.length; i++) if (block[i] !== n) return undefined;
    return block.subarray(0, block.length - n);
  }
  let end = block.length;
  while (end > 0 && block[end - 1] === 0) end--;
  // LinOTP pads with at most 15 zeros; more means this is not its padding.
  if (block.length - end > BLOCK - 1 || end < 2) return undefined;
  if (block[end - 2] !== 0x01 || block[end - 1] !== 0x02) return undefined;
  return block.subarray(0, end - 2);
}

function isEvenHex(payload: Buffer): boolean {
  if (payload.length % 2 !== 0) return false;
  for (const b of payload) if (!isHexByte(b)) return false;
  return true;
}

/**
 * Decrypts one value. Tries PKCS#7 first, then the legacy padding; the unpadded payload must be
 * even-length hex. Throws MalformedValueError for impossible input and DecryptError when the key
 * does not fit.
 */
export function decryptValue(key: Buffer, iv: Buffer, cipher: Buffer): { plain: Buffer; padding: Padding } {
  checkKeyIv(key, iv);
  if (cipher.length === 0 || cipher.length % BLOCK !== 0) {
    throw new MalformedValueError(`ciphertext is ${cipher.length} bytes; AES-CBC ciphertext is a non-empty multiple of 16`);
  }
  const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  const raw = Buffer.concat([d.update(cipher), d.final()]);
  let sawPadding = false;
  for (const padding of ['pkcs7', 'legacy'] as const) {
    const payload = unpad(raw, padding);
    if (payload === undefined) continue;
    sawPadding = true;
    if (isEvenHex(payload)) return { plain: Buffer.from(payload.toString('latin1'), 'hex'), padding };
  }
  raw.fill(0);
  throw new DecryptError(sawPadding ? 'payload' : 'padding');
}

/** Encrypts `plain` the LinOTP way: hex, pad, AES-256-CBC. Returns the raw ciphertext. */
export function encryptValue(key: Buffer, iv: Buffer, plain: Buffer, padding: Padding): Buffer {
  checkKeyIv(key, iv);
  const input = pad(Buffer.from(plain.toString('hex'), 'latin1'), padding);
  const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(input), c.final()]);
}

/** Strict hex → bytes (node's Buffer.from(…, 'hex') silently stops at the first bad digit). */
export function hexToBytes(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new MalformedValueError(`${what} is not even-length hex (${hex.length} characters)`);
  }
  return Buffer.from(hex, 'hex');
}
