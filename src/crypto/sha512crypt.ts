/**
 * SHA-512-crypt (`$6$`), implemented from Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
 * specification on node:crypto. LinOTP 3 stores local admin passwords with passlib's
 * `sha512_crypt` defaults: `$6$rounds=656000$<16-char salt>$<86-char hash>` (linotp-cli.md §3).
 *
 * Verification accepts every form the spec allows: explicit `rounds=N` (clamped to
 * 1000…999999999 like glibc), the implicit 5000 rounds of `$6$salt$hash`, salts of 0…16 chars.
 *
 * Steps 1–20 use node:crypto. The 656000 rounds of step 21 run in a small WebAssembly SHA-512
 * (sha512wasm.ts): through node:crypto they cost ~1.6 s per password, there ~0.3 s of CPU (an 8–20
 * character password; about 0.8 s for 100 characters). `sha512CryptReference` keeps the
 * node:crypto-only rounds for the tests to compare against.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { BLOCK_BASE, H_BASE, LAYOUT_INFO, LAYOUT_STRIDE, W_BASE, sha512Block } from './sha512wasm.js';

export const DEFAULT_ROUNDS = 656_000;
const IMPLICIT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;
const SALT_MAX = 16;
/** passlib's PASSWORD_SIZE_MAX; also keeps one round's message inside the block buffer. */
export const MAX_PASSWORD_BYTES = 4096;
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// One-shot hashing (Node ≥ 20.12) avoids a Hash object per round; fall back to createHash.
const oneShot = (nodeCrypto as unknown as { hash?: (alg: string, data: Buffer, enc: 'buffer') => Buffer }).hash;
const sha512 = oneShot ? (data: Buffer): Buffer => oneShot('sha512', data, 'buffer') : (data: Buffer): Buffer => createHash('sha512').update(data).digest();

/** `n` bytes made of `digest` repeated (the spec's P and S sequences). */
function repeatTo(digest: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 64) digest.copy(out, i, 0, Math.min(64, n - i));
  return out;
}

/** The 64-byte final digest for password, salt and rounds (spec steps 1–21). */
function digestFor(pw: Buffer, salt: Buffer, rounds: number, reference = false): Buffer {
  if (pw.length > MAX_PASSWORD_BYTES) throw new RangeError(`sha512-crypt passwords are limited to ${MAX_PASSWORD_BYTES} bytes`);
  const pl = pw.length;
  const b = sha512(Buffer.concat([pw, salt, pw]));
  const aParts: Buffer[] = [pw, salt];
  for (let n = pl; n > 0; n -= 64) aParts.push(b.subarray(0, Math.min(64, n)));
  for (let n = pl; n > 0; n >>>= 1) aParts.push(n & 1 ? b : pw);
  const a = sha512(Buffer.concat(aParts));

  const pSeq = repeatTo(sha512(Buffer.concat(Array<Buffer>(pl).fill(pw))), pl);
  const sSeq = repeatTo(sha512(Buffer.concat(Array<Buffer>(16 + a[0]).fill(salt))), salt.length);

  const c = reference ? roundsNodeCrypto(a, pSeq, sSeq, rounds) : rounds512(a, pSeq, sSeq, rounds);
  pSeq.fill(0);
  return c;
}

/**
 * Spec step 21: C = A, then per round i one SHA-512 over [C|P] [S if i%3] [P if i%7] [P|C].
 * There are only 8 distinct message layouts; each is prepared once here (padded, byte-swapped),
 * and the WebAssembly loop copies C into its slot each round.
 */
function rounds512(a: Buffer, pSeq: Buffer, sSeq: Buffer, rounds: number): Buffer {
  const { mem, rounds: run } = sha512Block();
  const info = new DataView(mem.buffer, mem.byteOffset + LAYOUT_INFO, 96);
  for (let id = 0; id < 8; id++) {
    const odd = (id & 1) === 1;
    const parts: Buffer[] = [];
    let cAt = -1;
    const pushC = () => {
      cAt = parts.reduce((s, p) => s + p.length, 0);
      parts.push(Buffer.alloc(64));
    };
    if (odd) parts.push(pSeq);
    else pushC();
    if (id & 2) parts.push(sSeq);
    if (id & 4) parts.push(pSeq);
    if (odd) pushC();
    else parts.push(pSeq);
    const msg = Buffer.concat(parts);
    const total = Math.ceil((msg.length + 17) / 128) * 128;
    const base = BLOCK_BASE + id * LAYOUT_STRIDE;
    mem.fill(0, base, base + total);
    for (let o = 0; o < msg.length; o++) mem[base + (o ^ 7)] = msg[o];
    mem[base + (msg.length ^ 7)] = 0x80;
    const bits = msg.length * 8;
    for (let k = 0; k < 4; k++) mem[base + ((total - 1 - k) ^ 7)] = (bits >>> (8 * k)) & 0xff;
    msg.fill(0);
    info.setUint32(12 * id, base, true);
    info.setUint32(12 * id + 4, cAt, true);
    info.setUint32(12 * id + 8, total / 128, true);
  }
  for (let k = 0; k < 64; k++) mem[H_BASE + (k ^ 7)] = a[k];
  run(rounds);
  const c = Buffer.alloc(64);
  for (let k = 0; k < 64; k++) c[k] = mem[H_BASE + (k ^ 7)];
  // Don't leave password-derived bytes in the module's memory.
  mem.fill(0, BLOCK_BASE);
  mem.fill(0, H_BASE, H_BASE + 64);
  mem.fill(0, W_BASE, W_BASE + 640);
  return c;
}

/** Reference implementation of the rounds on node:crypto alone (slow: ~2.5 µs per round); for tests. */
export function sha512CryptReference(password: string, salt: string, rounds: number): string {
  return `$6$rounds=${rounds}$${salt}$${encode64(digestFor(Buffer.from(password, 'utf8'), Buffer.from(salt, 'latin1'), rounds, true))}`;
}

function roundsNodeCrypto(a: Buffer, pSeq: Buffer, sSeq: Buffer, rounds: number): Buffer {
  let c = a;
  for (let i = 0; i < rounds; i++) {
    const parts = [i & 1 ? pSeq : c];
    if (i % 3 !== 0) parts.push(sSeq);
    if (i % 7 !== 0) parts.push(pSeq);
    parts.push(i & 1 ? c : pSeq);
    c = sha512(Buffer.concat(parts));
  }
  return c;
}

const ORDER: Array<[number, number, number]> = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

/** The spec's own base64 with its SHA-512 byte permutation: 86 characters. */
function encode64(d: Buffer): string {
  let out = '';
  const put = (w: number, n: number) => {
    for (let k = 0; k < n; k++, w >>>= 6) out += ITOA64[w & 0x3f];
  };
  for (const [x, y, z] of ORDER) put((d[x] << 16) | (d[y] << 8) | d[z], 4);
  put(d[63], 2);
  return out;
}

export interface ParsedSha512Crypt {
  rounds: number;
  /** Whether `rounds=` was written (it is then written again). */
  explicitRounds: boolean;
  salt: string;
  hash: string;
}

/** Parses `$6$[rounds=N$]salt$hash`; undefined when the string is not a sha512-crypt hash. */
export function parseSha512Crypt(s: string): ParsedSha512Crypt | undefined {
  const m = /^\$6\$(?:rounds=(\d{1,10})\$)?([^$\n:]{0,16})(?:\$([./0-9A-Za-z]{86}))?$/.exec(s);
  if (!m || m[3] === undefined) return undefined;
  const explicitRounds = m[1] !== undefined;
  const rounds = explicitRounds ? Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(m[1]))) : IMPLICIT_ROUNDS;
  return { rounds, explicitRounds, salt: m[2], hash: m[3] };
}

const SALT_RE = /^[./0-9A-Za-z]{0,16}$/;

/** A passlib-style salt: 16 characters from the crypt alphabet. */
export function generateSalt(): string {
  const bytes = randomBytes(SALT_MAX);
  let s = '';
  for (const b of bytes) s += ITOA64[b & 0x3f];
  return s;
}

/**
 * Computes the crypt string. `rounds` defaults to passlib's 656000, written explicitly; pass
 * `explicitRounds: false` with 5000 rounds for the classic `$6$salt$hash` form.
 */
export function sha512Crypt(password: string | Buffer, opts: { salt?: string; rounds?: number; explicitRounds?: boolean } = {}): string {
  const salt = opts.salt ?? generateSalt();
  if (!SALT_RE.test(salt)) throw new RangeError('sha512-crypt salt must be 0-16 characters from [./0-9A-Za-z]');
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) throw new RangeError(`sha512-crypt rounds must be ${MIN_ROUNDS}…${MAX_ROUNDS}`);
  const explicit = opts.explicitRounds ?? true;
  if (!explicit && rounds !== IMPLICIT_ROUNDS) throw new RangeError('only 5000 rounds can be left implicit');
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const d = digestFor(pw, Buffer.from(salt, 'latin1'), rounds);
  return `$6$${explicit ? `rounds=${rounds}$` : ''}${salt}$${encode64(d)}`;
}

/** Checks a password against any `$6$` hash; false for anything else (e.g. LinOTP's `*`). */
export function verifySha512Crypt(password: string | Buffer, hash: string): boolean {
  const p = parseSha512Crypt(hash);
  if (!p) return false;
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const got = Buffer.from(encode64(digestFor(pw, Buffer.from(p.salt, 'latin1'), p.rounds)), 'latin1');
  return timingSafeEqual(got, Buffer.from(p.hash, 'latin1'));
}
