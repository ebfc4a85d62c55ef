import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { parseShard, shardOf } from './shard.ts';

describe('--shard K/N', () => {
  it('parses K/N', () => {
    expect(parseShard('1/2')).toEqual({ index: 1, count: 2 });
    expect(parseShard('3/3')).toEqual({ index: 3, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
  });

  it.each(['0/2', '3/2', '1/0', '1', '/2', '1/', 'a/b', '-1/2', '1.5/2', '1/2/3', '', '01/2', '1 / 2'])('refuses %j', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError);
  });

  it('takes items round-robin', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    expect([1, 2].map((k) => shardOf(names, { index: k, count: 2 }))).toEqual([['a', 'c', 'e'], ['b', 'd']]);
    expect([1, 2, 3, 4, 5, 6].map((k) => shardOf(names, { index: k, count: 6 }))).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], []]);
  });

  it('puts every item in exactly one shard, keeps the order, and sizes differ by at most one', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (items, count) => {
        const shards = Array.from({ length: count }, (_, i) => shardOf(items, parseShard(`${i + 1}/${count}`)));
        const all = shards.flat();
        expect(all.toSorted()).toEqual(items.toSorted());
        for (const s of shards) expect(s).toEqual(items.filter((x) => s.includes(x)));
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Deterministic: the same input gives the same shards.
        expect(Array.from({ length: count }, (_, i) => shardOf(items, { index: i + 1, count }))).toEqual(shards);
      }),
    );
  });
});
