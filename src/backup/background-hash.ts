/**
 * SHA-256 computed on a worker thread from the very chunks the caller parses: the validation pass
 * of a large dump checksums it on the second core instead of between its statements (a plain
 * 700 MB dump: ~0.4 s of the main thread). The bytes go through a few fixed slots of shared
 * memory (a copy each, no allocation on either side), so memory stays bounded and small when
 * the worker lags: the caller waits for a free slot.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const SLOTS = 4;
const SLOT_BYTES = 1 << 20;

// CommonJS, evaluated in the worker (no file of its own: the bundle and the .deb ship one script).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const h = require('node:crypto').createHash('sha256');
const shared = new Uint8Array(workerData);
parentPort.on('message', (m) => {
  if (m === null) return parentPort.postMessage({ digest: h.digest('hex') });
  h.update(shared.subarray(m.slot * ${SLOT_BYTES}, m.slot * ${SLOT_BYTES} + m.bytes));
  parentPort.postMessage({ free: m.slot });
});
`;

export class BackgroundSha256 {
  private readonly shared = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly view = Buffer.from(this.shared);
  private readonly worker = new Worker(WORKER, { eval: true, workerData: this.shared, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } });
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  private wake: (() => void) | undefined;
  private digested: ((hex: string) => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('message', (m: { free?: number; digest?: string }) => {
      if (m.free !== undefined) this.free.push(m.free);
      if (m.digest !== undefined) this.digested?.(m.digest);
      this.notify();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Copies `chunk` to the worker, waiting for a free slot when all are taken. */
  async update(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length; at += SLOT_BYTES) {
      while (!this.free.length && !this.failure) await new Promise<void>((res) => (this.wake = res));
      if (this.failure) throw this.failure;
      const slot = this.free.shift()!;
      const bytes = chunk.copy(this.view, slot * SLOT_BYTES, at, Math.min(chunk.length, at + SLOT_BYTES));
      this.worker.postMessage({ slot, bytes });
    }
  }

  /** The hex digest of everything given; the worker then ends. */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    try {
      return await new Promise<string>((res, rej) => {
        this.digested = res;
        this.worker.once('error', rej);
        this.worker.postMessage(null);
      });
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker without a digest (the pass failed). */
  async abandon(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Inputs from this size on are hashed on a worker thread (below it, starting one costs more than it saves). */
const BACKGROUND_BYTES = 32 << 20;

export interface Sha256Hasher {
  update(chunk: Buffer): void | Promise<void>;
  digest(): Promise<string>;
  abandon(): Promise<void>;
}

/** A SHA-256 of about `bytes` bytes: on a worker thread when large, inline otherwise. */
export function sha256Hasher(bytes: number): Sha256Hasher {
  if (bytes >= BACKGROUND_BYTES) return new BackgroundSha256();
  const h = createHash('sha256');
  return {
    update: (c) => void h.update(c),
    digest: async () => h.digest('hex'),
    abandon: async () => undefined,
  };
}
