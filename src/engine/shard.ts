/**
 * Spreading one run or load over several machines (CI parallel jobs): `--shard i/n` takes
 * every n-th item from the i-th, so the n slices are disjoint, together are everything, and
 * each is the same on every machine.
 */

/** `--shard 2/3`: this machine runs the 2nd of 3 interleaved slices. */
export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

export class ShardError extends Error {}

/** Parses `i/n` (1 ≤ i ≤ n); the message says what to write instead. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const total = match ? Number(match[2]) : NaN;
  if (!match || total < 1 || index < 1 || index > total) {
    throw new ShardError(`--shard ${JSON.stringify(text)} is not a shard: write i/n with 1 ≤ i ≤ n, e.g. --shard 2/4 for the second of four machines`);
  }
  return { index, total };
}

/** The deterministic slice of a list a shard runs: items i-1, i-1+n, i-1+2n, … */
export function shardSlice<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.total === 1) return [...items];
  return items.filter((_, i) => i % shard.total === shard.index - 1);
}
