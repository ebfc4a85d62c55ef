import { describe, expect, it } from 'vitest';
import { mapConcurrently } from './concurrency.ts';

/** Settles when `release` is called: a call whose end the test decides. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

describe('mapConcurrently', () => {
  it('keeps the items\' order, with never more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrently([5, 1, 4, 2, 3], 2, async (n, i) => {
      most = Math.max(most, ++inFlight);
      // Later items end first: the order of results must still be the items'.
      await new Promise((resolve) => setImmediate(resolve));
      for (let k = 0; k < 5 - i; k++) await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure, and throws it only once the calls in flight have ended', async () => {
    const started: number[] = [];
    const slow = gate();
    let slowEnded = false;
    const run = mapConcurrently([0, 1, 2, 3], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('item 0 failed');
      await slow.opened;
      slowEnded = true;
      return n;
    });
    let settled = false;
    void run.catch(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // item 1 is still in flight
    slow.release();
    await expect(run).rejects.toThrow('item 0 failed');
    expect(slowEnded).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it('runs one at a time when the limit is 0 or less', async () => {
    expect(await mapConcurrently([1, 2], 0, async (n) => n)).toEqual([1, 2]);
  });
});
