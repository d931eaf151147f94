// The parallel load's scheduler: batches go to free connections, at most one each; the first
// failure is thrown once what is in flight has finished.
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.js';
import { Lanes } from '../../src/db/lanes.js';

const fakeDbs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}` }) as unknown as Db);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Lanes', () => {
  it('runs at most one batch per connection and all of them in the end', async () => {
    const lanes = new Lanes(fakeDbs(3));
    const running = new Map<Db, number>();
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 20; i++) {
      await lanes.submit(async (db) => {
        running.set(db, (running.get(db) ?? 0) + 1);
        expect(running.get(db)).toBe(1);
        peak = Math.max(peak, [...running.values()].reduce((a, b) => a + b, 0));
        await sleep(1 + (i % 3));
        running.set(db, running.get(db)! - 1);
        done.push(i);
      });
    }
    await lanes.settle();
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(peak).toBe(3);
  });

  it('stops taking work after a failure and throws it from settle, after the others finished', async () => {
    const lanes = new Lanes(fakeDbs(2));
    let slowFinished = false;
    await lanes.submit(async () => {
      await sleep(30);
      slowFinished = true;
    });
    await lanes.submit(async () => {
      throw new Error('duplicate entry');
    });
    await sleep(5);
    await expect(lanes.submit(async () => undefined)).rejects.toThrow('duplicate entry');
    await expect(lanes.settle()).rejects.toThrow('duplicate entry');
    expect(slowFinished).toBe(true);
  });
});
