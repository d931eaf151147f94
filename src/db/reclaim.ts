/**
 * A budget of garbage: after every `budget` bytes of statement text sent, one full garbage
 * collection. Why: the MySQL adapter sends big INSERTs (a restore's are the dump's own, 1–2 MB each),
 * and every one passes through a JS string (mysql2 takes the statement as a string) and a packet
 * Buffer of the same size. Both are garbage once sent, but V8 collects large objects and external memory at its
 * own pace: with two connections the process reached 207–216 MB at 50k (the issue's bound is
 * 200 MB) over ≈ 20 MB live. A full collection of that small heap costs a few milliseconds, so one
 * per 32 MB of statements (≈ 20 in a 700 MB dump) bounds the peak at no measurable cost (182–188 MB).
 *
 * `gc` is made reachable the way Jest's --logHeapUsage does it: `--expose-gc` set at run time,
 * then the function taken from a new context (only contexts created after the flag get it). Where
 * that is refused, spending the budget does nothing and V8's own pacing stays.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const GC_BUDGET_BYTES = 32 * 1024 * 1024;

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

export class GarbageBudget {
  private sent = 0;

  constructor(private readonly budget = GC_BUDGET_BYTES) {}

  /** Counts `bytes` of garbage-to-be; collects once the budget is spent. */
  add(bytes: number): void {
    this.sent += bytes;
    if (this.sent < this.budget) return;
    this.sent = 0;
    collector()?.();
  }
}
