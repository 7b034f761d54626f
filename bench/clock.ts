/**
 * One clock for every process of the benchmark: CLOCK_MONOTONIC in ms. performance.now()
 * reads the same clock (libuv's hrtime) from a per-process origin, so adding that origin's
 * offset makes stamps taken in the runner and in the bot process comparable.
 */
import { performance } from 'node:perf_hooks';

const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Now, in ms on the machine-wide monotonic clock. */
export function monoNow(): number {
  return performance.now() + offset;
}

/** A performance.now() reading of this process on the machine-wide clock. */
export function toMono(perfMs: number): number {
  return perfMs + offset;
}
