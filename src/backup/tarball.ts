/**
 * A small streaming tar(.gz) reader and writer. Our own rather than the `tar` package because a
 * restore consumes each member asynchronously (parse → insert into a database) and must apply
 * backpressure end to end, and because members must never touch the filesystem: a backup is read,
 * not extracted, so `..` paths and links are rejected, never followed.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { createGunzip, gzip, gzipSync } from 'node:zlib';

const gzipAsync = promisify(gzip);
const SEGMENT = 4 << 20;
import { InputError } from '../errors.js';

export interface TarEntry {
  name: string;
  /** '0' regular file, '5' directory, '1'/'2' links … */
  type: string;
  size: number;
  mtime: Date;
  /** The member's bytes; must be consumed (or skipped with `skip()`) before the next entry. */
  body: AsyncIterable<Buffer>;
}

/** Reads exactly-sized pieces from a chunked byte stream. */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return this.buf.length >= n;
  }
  /** Exactly n bytes, or fewer at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }
  /** Up to `n` bytes as they arrive (at least one unless the stream ended). */
  async readSome(n: number): Promise<Buffer> {
    if (this.buf.length === 0) await this.fill(1);
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }
}

function octal(field: Buffer): number {
  // GNU base-256 for huge sizes
  if (field[0] & 0x80) {
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i];
    return v;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstr(field: Buffer): string {
  const z = field.indexOf(0);
  return field.subarray(0, z < 0 ? field.length : z).toString('utf8');
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.subarray(i, sp).toString('latin1'), 10);
    if (!len) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Largest GNU long-name (`L`, `K`) or pax (`x`, `g`) header read. Such a header is held in memory
 * whole; real ones are a few hundred bytes (a path, a size), so anything near this is an attack or
 * damage (a 1 GiB one compresses to 1 MB), refused before it is read — as the 64 MB statement cap does.
 */
export const MAX_EXTENDED_HEADER = 1 << 20;

const EXTENDED_HEADERS: Record<string, string> = { L: 'GNU long-name', K: 'GNU long-link', x: 'pax', g: 'pax global' };

function corrupt(file: string, what: string): InputError {
  return new InputError(`${file} is not a readable tar archive: ${what}`, 'the file may be truncated or damaged; check its size and copy it again');
}

/** Yields the entries of a tar or tar.gz file (gzip detected by its magic bytes). */
export async function* readTar(file: string, gzip: boolean): AsyncGenerator<TarEntry> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const source = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  const errors: Error[] = [];
  source.on('error', (e: Error) => errors.push(e));
  const reader = new ByteReader(source as AsyncIterable<Buffer>);
  // A gzip/read error explains a short read better than "ends inside …".
  const explain = (e: unknown): InputError => {
    if (errors.length) return corrupt(file, `${errors[0].message} (the file is truncated or damaged)`);
    if (e instanceof InputError) return e;
    return corrupt(file, `${(e as Error).message} (the file is truncated or damaged)`);
  };
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  try {
    for (;;) {
      const header = await reader.read(512);
      if (header.length === 0) throw corrupt(file, 'it ends without the end-of-archive marker');
      if (header.length < 512) throw corrupt(file, 'it ends inside a header');
      if (header.every((b) => b === 0)) return;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      if (sum !== octal(header.subarray(148, 156))) throw corrupt(file, 'a header checksum is wrong');
      const size = octal(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] || 48);
      const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? cstr(header.subarray(345, 500)) : '';
      let name = (prefix ? prefix + '/' : '') + cstr(header.subarray(0, 100));
      const padded = Math.ceil(size / 512) * 512;
      if (type in EXTENDED_HEADERS) {
        if (size > MAX_EXTENDED_HEADER) {
          throw new InputError(
            `${file} has a ${EXTENDED_HEADERS[type]} header of ${size} bytes (at most ${MAX_EXTENDED_HEADER} are read): it is not a backup`,
            'this archive was not made by a LinOTP tool, or it is damaged; use another copy',
          );
        }
        const data = await reader.read(padded);
        if (data.length < padded) throw corrupt(file, 'it ends inside a member');
        if (type === 'x') pax = parsePax(data.subarray(0, size));
        if (type === 'L') longName = cstr(data.subarray(0, size));
        continue;
      }
      if (longName) name = longName;
      if (pax.path) name = pax.path;
      const realSize = pax.size ? Number(pax.size) : size;
      longName = undefined;
      pax = {};
      let remaining = realSize;
      const body = (async function* () {
        while (remaining > 0) {
          let chunk: Buffer;
          try {
            chunk = await reader.readSome(Math.min(remaining, 1 << 20));
          } catch (e) {
            throw explain(e);
          }
          if (chunk.length === 0) throw explain(corrupt(file, `it ends inside the member ${name}`));
          remaining -= chunk.length;
          yield chunk;
        }
      })();
      const entry: TarEntry = { name, type, size: realSize, mtime: new Date(octal(header.subarray(136, 148)) * 1000), body };
      yield entry;
      // Whatever the consumer left unread is skipped, then the padding.
      for await (const _ of body) void _;
      while (remaining > 0) {
        const chunk = await reader.readSome(Math.min(remaining, 1 << 20));
        if (chunk.length === 0) throw corrupt(file, `it ends inside the member ${name}`);
        remaining -= chunk.length;
      }
      const pad = Math.ceil(realSize / 512) * 512 - realSize;
      if (pad && (await reader.read(pad)).length < pad) throw corrupt(file, 'it ends inside padding');
    }
  } catch (e) {
    throw explain(e);
  } finally {
    raw.destroy();
  }
}

/** Is this member name safe to treat as a plain file of the backup (no absolute path, no `..`)? */
export function safeMemberName(name: string): boolean {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  return !name.split('/').some((p) => p === '..');
}

export function tarHeader(name: string, size: number, mtime: Date, mode = 0o600): Buffer {
  const h = Buffer.alloc(512);
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new Error(`tar member name too long: ${name}`);
  nameBytes.copy(h, 0);
  h.write(mode.toString(8).padStart(7, '0') + '\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write(Math.floor(mtime.getTime() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h[156] = 0x30;
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

/** A small member written from memory (the manifest, the encrypted key). */
export interface TarMemberSource {
  name: string;
  data: Buffer;
  size: number;
}

const padding = (size: number) => Buffer.alloc((512 - (size % 512)) % 512);

/**
 * The data of one tar member, gzip-compressed into its own file while it is produced, when its
 * size is not known until the end. The data is cut into segments compressed as independent gzip
 * members on zlib's threads, several at once (as pigz does), and written in order: a gzip file may
 * consist of many members, and gunzip, tar and node's zlib read them as one stream.
 * `writeTarGzAround` then joins the result with the other members.
 *
 * Written bytes are copied into a few segment buffers allocated once and reused when their
 * compression is done: the caller may reuse or change what it wrote as soon as `write` returns,
 * and no buffer the size of the dump is ever allocated (fresh megabytes cost page faults and GCs).
 */
export class GzipMemberWriter {
  bytes = 0;
  private segment: Buffer;
  private filled = 0;
  private readonly free: Buffer[] = [];
  private readonly inflight: { segment: Buffer; compressed: Promise<Buffer> }[] = [];
  private readonly ws;
  private readonly done: Promise<void>;
  // As many segments in flight as libuv has threads (4 by default): measured ~10 % faster than one
  // per core on 2 cores, since the main thread and the server leave the cores idle in turns.
  private readonly parallel = Math.max(4, Math.min(8, availableParallelism()));
  constructor(
    readonly file: string,
    private readonly level = 1,
  ) {
    this.segment = Buffer.allocUnsafe(SEGMENT);
    this.ws = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    this.done = new Promise<void>((resolve, reject) => {
      this.ws.on('finish', resolve);
      this.ws.on('error', reject);
    });
    this.done.catch(() => undefined);
  }
  async write(b: Buffer): Promise<void> {
    this.bytes += b.length;
    let from = 0;
    while (from < b.length) {
      const n = Math.min(b.length - from, SEGMENT - this.filled);
      b.copy(this.segment, this.filled, from, from + n);
      this.filled += n;
      from += n;
      if (this.filled === SEGMENT) await this.submit();
    }
  }
  private async submit(): Promise<void> {
    if (!this.filled) return;
    const segment = this.segment;
    // Output in one or two pieces per segment: at the default 16 kB zlib hands each back to the main
    // thread and queues the next on the thread pool (~30 round trips per segment).
    const compressed = gzipAsync(segment.subarray(0, this.filled), { level: this.level, chunkSize: 1 << 20 });
    compressed.catch(() => undefined); // awaited in order below; an early failure must not be unhandled
    this.inflight.push({ segment, compressed });
    this.filled = 0;
    while (this.inflight.length >= this.parallel) await this.writeOldest();
    this.segment = this.free.pop() ?? Buffer.allocUnsafe(SEGMENT);
  }
  private async writeOldest(): Promise<void> {
    const { segment, compressed } = this.inflight.shift()!;
    const b = await compressed;
    this.free.push(segment);
    if (!this.ws.write(b)) await Promise.race([once(this.ws, 'drain'), this.done]);
  }
  /** Pads the member to a whole tar block and closes the file. */
  async finish(): Promise<void> {
    const pad = padding(this.bytes);
    if (pad.length) await this.write(pad);
    this.bytes -= pad.length;
    await this.submit();
    while (this.inflight.length) await this.writeOldest();
    this.ws.end();
    await this.done;
  }
}

/** Writes `out` = in-memory members, the pre-compressed member, in-memory members, end of archive. */
export async function writeTarGzAround(out: string, before: TarMemberSource[], streamed: { name: string; writer: GzipMemberWriter }, after: TarMemberSource[], mtime = new Date(), level = 1): Promise<void> {
  const block = (members: TarMemberSource[]) => members.flatMap((m) => [tarHeader(m.name, m.size, mtime), m.data, padding(m.size)]);
  const head = gzipSync(Buffer.concat([...block(before), tarHeader(streamed.name, streamed.writer.bytes, mtime)]), { level });
  const tail = gzipSync(Buffer.concat([...block(after), Buffer.alloc(1024)]), { level });
  const ws = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  const done = new Promise<void>((resolve, reject) => {
    ws.on('finish', resolve);
    ws.on('error', reject);
  });
  const write = async (b: Buffer) => {
    if (!ws.write(b)) await once(ws, 'drain');
  };
  await write(head);
  for await (const chunk of createReadStream(streamed.writer.file, { highWaterMark: 1 << 20 })) await write(chunk as Buffer);
  await write(tail);
  ws.end();
  await done;
}
