// `--shard K/N`: the K-th of N slices of a list, for splitting a run across CI jobs. Slices are
// taken round-robin (items K, K+N, K+2N, ... counting from 1), so every item lands in exactly one
// shard, the sizes differ by at most one, and the order within a shard is the list's own.
import { UsageError } from './errors.ts';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^([1-9]\d{0,5})\/([1-9]\d{0,5})$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard takes K/N with whole numbers 1 <= K <= N (e.g. 1/2), not ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (index > count) throw new UsageError(`--shard ${text}: K may not exceed N (there is no shard ${index} of ${count})`);
  return { index, count };
}

export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}
