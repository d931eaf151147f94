/**
 * Statements over several connections at once (`backup restore --jobs`, fix-db-encoding's ranges):
 * each piece of work goes to the first free lane while the next one is prepared, so the server
 * works on up to N statements meanwhile. The first failure stops new work; `settle()` waits for
 * what is in flight and throws it. A lane is a Db: one connection, or a pool handle whose
 * transactions each take a connection of their own.
 */
import { availableParallelism } from 'node:os';
import type { Db } from './types.js';

/** Connections a command works over at most (the pool holds 8; one is the lock's, one the command's own). */
export const MAX_JOBS = 6;

/** The connections for a `--jobs` value: as asked (1 … MAX_JOBS), by default one per CPU the process may use. */
export function jobsFor(requested?: number): number {
  return Math.max(1, Math.min(MAX_JOBS, requested ?? availableParallelism()));
}

export class Lanes {
  private readonly busy: (Promise<void> | undefined)[];
  private failure: { error: unknown } | undefined;

  constructor(readonly dbs: Db[]) {
    this.busy = dbs.map(() => undefined);
  }

  /** Starts `fn` on a free connection, waiting for one when all are busy. */
  async submit(fn: (db: Db) => Promise<unknown>): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      const i = this.busy.indexOf(undefined);
      if (i >= 0) {
        this.busy[i] = fn(this.dbs[i]).then(
          () => {
            this.busy[i] = undefined;
          },
          (error: unknown) => {
            this.busy[i] = undefined;
            this.failure ??= { error };
          },
        );
        return;
      }
      await Promise.race(this.busy);
    }
  }

  /** Waits for every batch in flight; throws the first failure. */
  async settle(): Promise<void> {
    await Promise.all(this.busy);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

/**
 * Runs `fn` with `n` more connections of `db`, each prepared by `setup` and put back by `teardown`
 * (session settings must not leak into the pool), or none where the engine has no such thing.
 */
export async function withExtraConnections<T>(db: Db, n: number, session: { setup(c: Db): Promise<void>; teardown(c: Db): Promise<void> }, fn: (extra: Db[]) => Promise<T>): Promise<T> {
  if (n <= 0 || !db.withConnection) return fn([]);
  return db.withConnection(async (c) => {
    await session.setup(c);
    const result = await withExtraConnections(db, n - 1, session, (rest) => fn([c, ...rest]));
    await session.teardown(c);
    return result;
  });
}
