// The MySQL adapter's garbage budget: spending it runs a full collection (an object nothing references is
// gone afterwards), and below the budget nothing is collected on its behalf.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GarbageBudget } from '../../src/db/reclaim.js';

const unreachable = (): WeakRef<object> => new WeakRef({ payload: new Array(1000).fill('x') });

describe('GarbageBudget', () => {
  it('collects once the budget is spent', async () => {
    const budget = new GarbageBudget(1000);
    budget.add(10); // below the budget: the first call sets nothing up
    const ref = unreachable();
    await tick(); // a WeakRef keeps its target until the end of the job that made it
    budget.add(990);
    await tick();
    expect(ref.deref()).toBeUndefined();
  });

  it('counts from zero again after each collection', () => {
    const budget = new GarbageBudget(100);
    for (let i = 0; i < 50; i++) budget.add(30);
    expect(() => budget.add(0)).not.toThrow();
  });
});
