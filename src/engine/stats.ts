import type { Percentiles } from './results.ts';

/** A time as results hold it: to a tenth of a millisecond. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Nearest-rank percentile: the smallest value with at least p% of the samples at or below it. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0 };
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}
