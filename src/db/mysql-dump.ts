/**
 * MySQL dump rows (Db.dumpRows) formatted in JS from the raw bytes of a plain SELECT, exactly as the
 * server's own QUOTE()/HEX() expressions wrote them before (building every row server-side with
 * QUOTE/HEX/CONCAT cost ~25 % of a `backup create`). The server still does every conversion that
 * decides which bytes a value has: non-UTF-8 (latin1) text is CONVERTed to utf8mb4 by the server,
 * numbers are its own text; JS only adds quotes, escapes and hex digits.
 *
 * Rows are parsed straight from mysql2's packets (a row parser of our own in place of mysql2's) and
 * written into one buffer per batch: no JS value, Buffer view or array per column or row.
 */
import { DatabaseError } from '../errors.js';
import type { DumpedRows } from './types.js';

/** How one column's bytes become its literal. */
export const Lit = {
  /** The server's text as it is: numbers (`NULL` already spelt out by the server). */
  Verbatim: 0,
  /** A quoted string as QUOTE() writes it: `\`, `'`, NUL and ^Z (0x1a) escaped with a backslash. */
  Quote: 1,
  /** Binary: 0x + upper-case hex as CONCAT('0x', HEX()), `X''` when empty. */
  Hex: 2,
} as const;
export type Lit = (typeof Lit)[keyof typeof Lit];

const BINARY_TYPES = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob|geometry|point|linestring|polygon)$/;
const NUMERIC_TYPES = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real)$/;

/** The select expression of one column and how its bytes are formatted. */
export function dumpColumn(col: string, dataType: string, charset?: string): { expr: string; kind: Lit } {
  if (BINARY_TYPES.test(dataType)) return { expr: col, kind: Lit.Hex };
  // The same server expressions as ever: the server's number text is the literal.
  if (dataType === 'bit') return { expr: `IFNULL(CAST(${col} AS UNSIGNED), 'NULL')`, kind: Lit.Verbatim };
  if (NUMERIC_TYPES.test(dataType)) return { expr: `IFNULL(${col}, 'NULL')`, kind: Lit.Verbatim };
  // UTF-8 columns as stored (no conversion to the connection's utf8mb4 on the way); others
  // (latin1, and temporal types' text) converted by the server, as the QUOTE(CONVERT(…)) was.
  // Escaping byte by byte equals QUOTE()'s character by character: in UTF-8 the four escaped
  // ASCII bytes never occur inside a multi-byte character.
  return { expr: charset && /^utf8/.test(charset) ? `CAST(${col} AS BINARY)` : `CONVERT(${col} USING utf8mb4)`, kind: Lit.Quote };
}

const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).toUpperCase().padStart(2, '0');
  HEX[2 * i] = h.charCodeAt(0);
  HEX[2 * i + 1] = h.charCodeAt(1);
}

/**
 * Whether a value needs no escape. Four native scans beat the byte loop from ~100 bytes on (the
 * 512-character hex signatures of the audit table: 4× faster).
 */
function clean(src: Buffer, from: number, to: number): boolean {
  const v = src.subarray(from, to);
  return v.indexOf(0x5c) < 0 && v.indexOf(0x27) < 0 && v.indexOf(0) < 0 && v.indexOf(0x1a) < 0;
}

/** The part of a mysql2 packet a row parser reads. */
interface RowPacket {
  buffer: Buffer;
  offset: number;
  end: number;
}

/**
 * Writes rows as `(v1,v2,…)\n` into one growing buffer; `take()` hands over a batch. The `\n` after
 * each tuple is what the manifest's row checksum hashes (src/backup/sqltext.ts), and the consumer
 * may overwrite these separators in place (with `,` for an INSERT statement): no tuple includes them.
 */
export class RowFormatter {
  private buf: Buffer;
  private pos = 0;
  private starts: number[] = [];
  /** Buffers of batches given back (recycle), reused by take(). */
  private readonly spare: Buffer[] = [];
  rows = 0;
  constructor(
    private readonly kinds: Lit[],
    private readonly table: string,
    private capacity = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get bytes(): number {
    return this.pos;
  }

  /** One text-protocol row: for each column a length-encoded byte string, or 0xfb for NULL. */
  next(packet: RowPacket): number {
    const src = packet.buffer;
    let p = packet.offset;
    const end = packet.end;
    // A value of n bytes takes at least n + 1 of the packet and at most 2n + 3 of the tuple (escapes
    // or hex, quotes, a comma); a NULL takes 1 and writes 5 (NULL and a comma): at most 2 × the
    // packet plus 3 a column, and the parentheses and `\n`.
    this.reserve(2 * (end - p) + 3 * this.kinds.length + 3);
    const out = this.buf;
    let o = this.pos;
    this.starts.push(o);
    out[o++] = 0x28; // (
    const kinds = this.kinds;
    for (let c = 0; c < kinds.length; c++) {
      if (c) out[o++] = 0x2c; // ,
      let len = src[p++];
      if (len >= 0xfb) {
        if (len === 0xfb) {
          out[o++] = 0x4e;
          out[o++] = 0x55;
          out[o++] = 0x4c;
          out[o++] = 0x4c;
          continue;
        }
        if (len === 0xfc) {
          len = src[p] | (src[p + 1] << 8);
          p += 2;
        } else if (len === 0xfd) {
          len = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
          p += 3;
        } else {
          len = src.readUInt32LE(p) + src.readUInt32LE(p + 4) * 0x100000000;
          p += 8;
        }
      }
      const stop = p + len;
      if (stop > end) throw new DatabaseError(`a row of ${this.table} was cut short by the server`);
      const kind = kinds[c];
      if (kind === Lit.Quote) {
        out[o++] = 0x27;
        if (len >= 128 && clean(src, p, stop)) {
          src.copy(out, o, p, stop);
          o += len;
          p = stop;
        }
        for (; p < stop; p++) {
          const b = src[p];
          if (b === 0x5c || b === 0x27) {
            out[o++] = 0x5c;
            out[o++] = b;
          } else if (b === 0) {
            out[o++] = 0x5c;
            out[o++] = 0x30; // \0
          } else if (b === 0x1a) {
            out[o++] = 0x5c;
            out[o++] = 0x5a; // \Z
          } else {
            out[o++] = b;
          }
        }
        out[o++] = 0x27;
      } else if (kind === Lit.Hex) {
        if (len === 0) {
          out[o++] = 0x58; // X''
          out[o++] = 0x27;
          out[o++] = 0x27;
          continue;
        }
        out[o++] = 0x30;
        out[o++] = 0x78;
        for (; p < stop; p++) {
          const b = src[p] << 1;
          out[o++] = HEX[b];
          out[o++] = HEX[b + 1];
        }
      } else if (len < 32) {
        for (; p < stop; p++) out[o++] = src[p];
      } else {
        src.copy(out, o, p, stop);
        o += len;
        p = stop;
      }
    }
    out[o++] = 0x29; // )
    out[o++] = 0x0a; // \n
    this.pos = o;
    this.rows++;
    return 1;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** The rows formatted since the last take, as `lines` (each tuple + `\n`) and one view per tuple. */
  take(): DumpedRows {
    const batch = new FormattedRows(this.buf, this.pos, this.starts);
    // The next batch starts in a fresh buffer the size this one needed: the consumer keeps the old.
    this.capacity = Math.max(1 << 16, this.pos + (this.pos >> 3));
    const spare = this.spare.pop();
    this.buf = spare && spare.length >= this.capacity ? spare : Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    this.starts = [];
    this.rows = 0;
    return batch;
  }

  /** A batch the consumer is done with: its buffer may take the next rows. */
  recycle(batch: DumpedRows): void {
    if (batch instanceof FormattedRows && this.spare.length < 4) this.spare.push(batch.whole);
  }

  /** Rows not to be kept (the consumer stopped early): formatted over the same buffer again. */
  discard(): void {
    this.pos = 0;
    this.starts = [];
    this.rows = 0;
  }
}

/** A batch: the tuples are views of `lines`, made only for a consumer that asks for them. */
class FormattedRows implements DumpedRows {
  private views?: Buffer[];
  readonly lines: { text: Buffer; starts: number[] };
  constructor(
    /** The buffer the rows were formatted into (text is its start). */
    readonly whole: Buffer,
    bytes: number,
    starts: number[],
  ) {
    this.lines = { text: whole.subarray(0, bytes), starts };
  }
  get rows(): number {
    return this.lines.starts.length;
  }
  get chunks(): Buffer[] {
    const { text, starts } = this.lines;
    return (this.views ??= starts.map((s, i) => text.subarray(s, (i + 1 < starts.length ? starts[i + 1] : text.length) - 1)));
  }
}

/** The part of mysql2's callback ("core") connection and its query command used here. */
interface CoreConnection {
  query(sql: string): NodeJS.EventEmitter;
  pause(): void;
  resume(): void;
}

/**
 * Runs `sql` on `conn` and yields its rows formatted by `fmt`, `batchSize` at a time. mysql2's row
 * parser of the query is replaced by `fmt` (mysql2 reads `_rowParser` once per row), so no row
 * object is ever made. Reading pauses while two batches wait for the consumer (memory stays
 * bounded). When the consumer stops early the rest of the result is read and dropped (`drain`),
 * or left to the caller, who then destroys the connection.
 */
export async function* streamFormatted(conn: CoreConnection, sql: string, fmt: RowFormatter, batchSize: number, drain: boolean, reuse = false): AsyncGenerator<DumpedRows> {
  const queue: DumpedRows[] = [];
  let ended = false;
  let dropping = false;
  let paused = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const parser = {
    next(packet: RowPacket): number {
      if (dropping || failure) return 1;
      try {
        fmt.next(packet);
      } catch (e) {
        failure = e;
        notify();
        return 1;
      }
      if (fmt.rows >= batchSize) {
        queue.push(fmt.take());
        if (queue.length >= 2 && !paused) {
          paused = true;
          conn.pause();
        }
        notify();
      }
      return 1;
    },
  };
  let endedNow: () => void = () => undefined;
  const endPromise = new Promise<void>((res) => (endedNow = res));
  const cmd = conn.query(sql);
  // mysql2 assigns its own parser once the columns are known, then calls `_rowParser.next` per row.
  // Should a mysql2 version stop doing so, the rows would go unseen: an error, never an empty dump.
  let assigned = false;
  Object.defineProperty(cmd, '_rowParser', {
    get: () => parser,
    set: () => void (assigned = true),
    configurable: true,
  });
  cmd.on('error', (e: unknown) => {
    failure ??= e;
    ended = true;
    endedNow();
    notify();
  });
  cmd.on('end', () => {
    if (!assigned) failure ??= new DatabaseError('this mysql2 version reads result rows in a way linotp-migrate does not know', 'install the mysql2 version in package.json');
    ended = true;
    endedNow();
    notify();
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const batch = queue.shift();
      if (batch) {
        if (paused && queue.length < 2) {
          paused = false;
          conn.resume();
        }
        yield batch;
        if (reuse) fmt.recycle(batch);
        continue;
      }
      if (ended) {
        if (fmt.rows) yield fmt.take();
        return;
      }
      await new Promise<void>((res) => (wake = res));
    }
  } finally {
    if (!ended) {
      dropping = true;
      fmt.discard();
      queue.length = 0;
      if (paused) conn.resume();
      if (drain) await endPromise;
    }
  }
}
