/**
 * A SHA-512 block function as a tiny WebAssembly module (native 64-bit words), used only for the
 * 656000-round loop of sha512-crypt. Why: each round hashes ~100 bytes; a node:crypto call costs
 * ~2.5 µs (1.6 s per password) and plain-JS 64-bit arithmetic ~2 µs, while this needs ~0.3 µs.
 * The round loop itself runs inside the module too, so a password costs one call.
 * The module is assembled below from its instruction list (no binary blob to trust); the tests
 * check it against node:crypto on random input.
 *
 * Memory layout: K constants at 0, message schedule W at 1024, state H at 2048, IV at 2560, the
 * round-layout table at 3072, message blocks / round templates from 4096. Words are little-endian in wasm, so callers store message byte `o` at
 * `BLOCK + (o ^ 7)` (a byte swap within each 8-byte word) and read digest byte `k` at `H + (k ^ 7)`.
 * K and the IV are derived at load time from their definition (fractional bits of cube/square roots
 * of the first primes) with exact BigInt roots rather than typed in.
 */

export const K_BASE = 0;
export const W_BASE = 1024;
export const H_BASE = 2048;
export const IV_BASE = 2560;
export const LAYOUT_INFO = 3072;
export const BLOCK_BASE = 4096;
/** Room for each of the 8 round-message templates (a 4096-byte password needs 65 blocks). */
export const LAYOUT_STRIDE = 8704;
const PAGES = Math.ceil((BLOCK_BASE + 8 * LAYOUT_STRIDE) / 65536);

// ---- constants ----------------------------------------------------------------------------------

function primes(n: number): number[] {
  const out: number[] = [];
  for (let c = 2; out.length < n; c++) if (out.every((p) => c % p !== 0)) out.push(c);
  return out;
}

function iroot(x: bigint, k: bigint): bigint {
  let r = 1n << (BigInt(x.toString(2).length) / k + 1n); // above the root; Newton descends
  for (;;) {
    const next = ((k - 1n) * r + x / r ** (k - 1n)) / k;
    if (next >= r) return r;
    r = next;
  }
}

/** First 64 fractional bits of the k-th roots of the first n primes, as little-endian u64 bytes. */
function fracWordsLE(n: number, k: 2n | 3n): Uint8Array {
  const out = new Uint8Array(8 * n);
  const view = new DataView(out.buffer);
  primes(n).forEach((p, i) => view.setBigUint64(8 * i, iroot(BigInt(p) << (64n * k), k) & 0xffffffffffffffffn, true));
  return out;
}

/** The 80 round constants as 64-bit values (for immediates); computed when the module is first assembled. */
function roundConstants(): bigint[] {
  const bytes = fracWordsLE(80, 3n);
  const view = new DataView(bytes.buffer);
  return Array.from({ length: 80 }, (_, i) => view.getBigUint64(8 * i, true));
}

// ---- assembler ----------------------------------------------------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
/** Signed LEB128 of a 64-bit value (for i64.const). */
const sleb64 = (v: bigint): number[] => {
  const out: number[] = [];
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'ascii')];

// locals: 0 = block pointer (param), 1 = t8 (i32), 2..9 = a..h, 10 = t1, 12 = x, 13 = y
const P = 0, T8 = 1, A = 2, T1 = 10, X = 12, Y = 13; // local 11 is unused since the rounds are unrolled
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32c = (n: number) => [0x41, ...sleb(n)];
const i64c = (n: number) => [0x42, ...sleb(n)];
const load = (off: number) => [0x29, 3, ...uleb(off)];
const store = (off: number) => [0x37, 3, ...uleb(off)];
const [ADD, AND, OR, XOR, SHRU, ROTR] = [[0x7c], [0x83], [0x84], [0x85], [0x88], [0x8a]];
const rotr = (l: number, n: number) => [...get(l), ...i64c(n), ...ROTR];
/** `loop … t8 += 8; br_if t8 < limit` with t8 starting at `from`. */
const loopT8 = (from: number, limit: number, body: number[]) => [
  ...i32c(from), ...set(T8),
  0x03, 0x40, ...body, ...get(T8), ...i32c(8), 0x6a, ...tee(T8), ...i32c(limit), 0x49, 0x0d, 0, 0x0b,
];

function compressBody(): number[] {
  const code: number[] = [];
  // W[0..15] = block words
  code.push(...loopT8(0, 128, [...get(T8), ...get(P), ...get(T8), 0x6a, ...load(0), ...store(W_BASE)]));
  // W[16..79] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], unrolled (fixed addresses)
  const w = (t: number) => [...i32c(0), ...load(W_BASE + 8 * t)];
  for (let t = 16; t < 80; t++) {
    code.push(
      ...i32c(0),
      ...w(t - 2), ...set(Y),
      ...rotr(Y, 19), ...rotr(Y, 61), ...XOR, ...get(Y), ...i64c(6), ...SHRU, ...XOR,
      ...w(t - 7), ...ADD,
      ...w(t - 15), ...set(X),
      ...rotr(X, 1), ...rotr(X, 8), ...XOR, ...get(X), ...i64c(7), ...SHRU, ...XOR, ...ADD,
      ...w(t - 16), ...ADD,
      ...store(W_BASE + 8 * t),
    );
  }
  for (let j = 0; j < 8; j++) code.push(...i32c(0), ...load(H_BASE + 8 * j), ...set(A + j));
  // The 80 rounds, unrolled: K as immediates, and instead of shifting a..h each round the roles
  // rotate over the 8 locals (new a lands in h's local, new e in d's); after 80 = 10×8 rounds the
  // roles are back where they started.
  const roles = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => A + j);
  roundConstants().forEach((k, t) => {
    const [a, b, c, d, e, f, g, h] = roles;
    code.push(
      // t1 = h + Σ1(e) + Ch(e,f,g) + K[t] + W[t], with Ch = g ^ (e & (f ^ g))
      ...get(h),
      ...rotr(e, 14), ...rotr(e, 18), ...XOR, ...rotr(e, 41), ...XOR, ...ADD,
      ...get(g), ...get(e), ...get(f), ...get(g), ...XOR, ...AND, ...XOR, ...ADD,
      0x42, ...sleb64(k), ...ADD,
      ...i32c(0), ...load(W_BASE + 8 * t), ...ADD,
      ...set(T1),
      // d += t1 (becomes e)
      ...get(d), ...get(T1), ...ADD, ...set(d),
      // h = t1 + Σ0(a) + Maj(a,b,c) (becomes a), with Maj = (a & (b | c)) | (b & c)
      ...get(T1),
      ...rotr(a, 28), ...rotr(a, 34), ...XOR, ...rotr(a, 39), ...XOR, ...ADD,
      ...get(a), ...get(b), ...get(c), ...OR, ...AND, ...get(b), ...get(c), ...AND, ...OR, ...ADD,
      ...set(h),
    );
    roles.unshift(roles.pop()!);
  });
  for (let j = 0; j < 8; j++) code.push(...i32c(0), ...i32c(0), ...load(H_BASE + 8 * j), ...get(A + j), ...ADD, ...store(H_BASE + 8 * j));
  code.push(0x0b);
  const locals = [...vec([[1, 0x7f], [12, 0x7e]])];
  return [...locals, ...code];
}

/**
 * `rounds(n)`: sha512-crypt's round loop (spec step 21). C starts in the state at H_BASE. Each of
 * the 8 message layouts (see sha512crypt.ts) has its own prepared, padded, byte-swapped template;
 * LAYOUT_INFO holds per layout id: template address, offset of C's 64 bytes in the message, block
 * count. A round copies C into its layout's slot, resets the state to the IV and compresses.
 */
function roundsBody(): number[] {
  const N = 0, I = 1, INFO = 2, BASE = 3, CAT = 4, NB = 5, KK = 6;
  const g = get, st = set;
  const [I32ADD, I32AND, I32OR, I32XOR, I32SHL, I32REMU, I32MUL, I32NE, I32GEU, I32LTU] = [0x6a, 0x71, 0x72, 0x73, 0x74, 0x70, 0x6c, 0x47, 0x4f, 0x49];
  const ld32 = (off: number) => [0x28, 2, ...uleb(off)];
  const code: number[] = [
    ...i32c(0), ...st(I),
    0x02, 0x40, // block $done
    0x03, 0x40, // loop $round
    ...g(I), ...g(N), I32GEU, 0x0d, 1, // br_if $done
    // id = (i & 1) | (i % 3 != 0) << 1 | (i % 7 != 0) << 2
    ...g(I), ...i32c(1), I32AND,
    ...g(I), ...i32c(3), I32REMU, ...i32c(0), I32NE, ...i32c(1), I32SHL, I32OR,
    ...g(I), ...i32c(7), I32REMU, ...i32c(0), I32NE, ...i32c(2), I32SHL, I32OR,
    ...i32c(12), I32MUL, ...st(INFO),
    ...g(INFO), ...ld32(LAYOUT_INFO), ...st(BASE),
    ...g(INFO), ...ld32(LAYOUT_INFO + 4), ...st(CAT),
    ...g(INFO), ...ld32(LAYOUT_INFO + 8), ...st(NB),
    // C into its slot. Unaligned: for k in 0..63: mem[base + ((cat + k) ^ 7)] = mem[H + (k ^ 7)];
    // when cat is a multiple of 8 the byte swap maps whole words, so 8 word copies do.
    ...g(CAT), ...i32c(7), I32AND,
    0x04, 0x40, // if
    ...i32c(0), ...st(KK),
    0x03, 0x40,
    ...g(BASE), ...g(CAT), ...g(KK), I32ADD, ...i32c(7), I32XOR, I32ADD,
    ...g(KK), ...i32c(7), I32XOR, 0x2d, 0, ...uleb(H_BASE),
    0x3a, 0, 0,
    ...g(KK), ...i32c(1), I32ADD, ...tee(KK), ...i32c(64), I32LTU, 0x0d, 0,
    0x0b,
    0x05, // else
  ];
  for (let j = 0; j < 8; j++) code.push(...g(BASE), ...g(CAT), I32ADD, ...i32c(0), ...load(H_BASE + 8 * j), ...store(8 * j));
  code.push(0x0b); // end if
  for (let j = 0; j < 8; j++) code.push(...i32c(0), ...i32c(0), ...load(IV_BASE + 8 * j), ...store(H_BASE + 8 * j));
  code.push(
    ...i32c(0), ...st(KK),
    0x03, 0x40,
    ...g(BASE), ...g(KK), ...i32c(128), I32MUL, I32ADD, 0x10, 0, // call compress
    ...g(KK), ...i32c(1), I32ADD, ...tee(KK), ...g(NB), I32LTU, 0x0d, 0,
    0x0b,
    ...g(I), ...i32c(1), I32ADD, ...st(I),
    0x0c, 0, // br $round
    0x0b, 0x0b, // end loop, end block
    0x0b, // end function
  );
  return [...vec([[6, 0x7f]]), ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const body = compressBody();
  const rbody = roundsBody();
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f]]), ...vec([])]])), // type: (i32) -> ()
    ...section(3, vec([[0], [0]])), // functions 0 and 1 have type 0
    ...section(5, vec([[0x00, PAGES]])), // one memory
    ...section(7, vec([[...str('compress'), 0x00, 0], [...str('rounds'), 0x00, 1], [...str('mem'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body], [...uleb(rbody.length), ...rbody]])),
  ]);
}

export interface Sha512Block {
  /** The module's memory (see the layout above). */
  mem: Uint8Array;
  /** Compresses the 128-byte block at `ptr` into the state at H_BASE. */
  compress(ptr: number): void;
  /** Runs `n` sha512-crypt rounds on the state at H_BASE with the layouts described at LAYOUT_INFO. */
  rounds(n: number): void;
  /** The SHA-512 initial state, little-endian words, to copy to H_BASE before a message. */
  iv: Uint8Array;
}

let instance: Sha512Block | undefined;

/** The part of the WebAssembly global we use (the project's `lib` setting has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function sha512Block(): Sha512Block {
  if (!instance) {
    const inst = new Wasm.Instance(new Wasm.Module(moduleBytes()));
    const mem = new Uint8Array((inst.exports.mem as { buffer: ArrayBuffer }).buffer);
    mem.set(fracWordsLE(80, 3n), K_BASE);
    const iv = fracWordsLE(8, 2n);
    mem.set(iv, IV_BASE);
    instance = { mem, compress: inst.exports.compress as (p: number) => void, rounds: inst.exports.rounds as (n: number) => void, iv };
  }
  return instance;
}

/** Whole-message SHA-512 through the block function (for tests). */
export function sha512ViaBlock(data: Uint8Array): Buffer {
  const { mem, compress, iv } = sha512Block();
  const total = Math.ceil((data.length + 17) / 128) * 128;
  if (total > 65536 - BLOCK_BASE) throw new RangeError('message too long for the test helper');
  const msg = new Uint8Array(total);
  msg.set(data);
  msg[data.length] = 0x80;
  new DataView(msg.buffer).setUint32(total - 4, data.length * 8);
  for (let o = 0; o < total; o++) mem[BLOCK_BASE + (o ^ 7)] = msg[o];
  mem.set(iv, H_BASE);
  for (let off = 0; off < total; off += 128) compress(BLOCK_BASE + off);
  const out = Buffer.alloc(64);
  for (let k = 0; k < 64; k++) out[k] = mem[H_BASE + (k ^ 7)];
  return out;
}
