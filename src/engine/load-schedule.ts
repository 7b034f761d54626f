/**
 * When each call of a load test starts: a constant arrival rate reached after a linear ramp.
 * Pure arithmetic on arrival indexes (no clock), so the schedule is the same on every
 * machine and a shard is an exact, deterministic slice of it.
 */
import type { Shard } from './shard.ts';

export { parseRate, RateError } from '../suite/rate.ts';

/** A plan that cannot be run (no rate, no bound): the message says what to give. */
export class ArrivalError extends Error {}

export interface ArrivalPlan {
  /** Calls started per second once the ramp is over. */
  rate: number;
  /** The rate climbs linearly from 0 to `rate` over this many ms (0 = full rate at once). */
  rampMs: number;
  /** Stop after this many calls in all (across shards). */
  calls?: number;
  /** Stop starting calls this many ms after the load began. */
  durationMs?: number;
}

/**
 * Start time (ms from the load's start) of arrival `k` (0-based). The expected number of
 * arrivals by time t is Λ(t) = rate·t²/(2·ramp) during the ramp, then grows by `rate` per
 * second; arrival k is the t where Λ(t) = k, so the first call starts at 0.
 */
export function arrivalTime(k: number, plan: Pick<ArrivalPlan, 'rate' | 'rampMs'>): number {
  const perMs = plan.rate / 1000;
  const rampArrivals = (perMs * plan.rampMs) / 2;
  if (plan.rampMs > 0 && k <= rampArrivals) return Math.sqrt((2 * plan.rampMs * k) / perMs);
  return plan.rampMs + (k - rampArrivals) / perMs;
}

/** How many calls the plan starts in all: bounded by `calls`, `durationMs`, or both. */
export function arrivalCount(plan: ArrivalPlan): number {
  if (!(plan.rate > 0)) throw new ArrivalError(`the arrival rate must be above 0 calls per second, got ${plan.rate}`);
  if (plan.calls === undefined && plan.durationMs === undefined) {
    throw new ArrivalError('a load needs a number of calls (--calls), a duration (--duration), or both');
  }
  let count = plan.calls ?? Number.POSITIVE_INFINITY;
  if (plan.durationMs !== undefined) count = Math.min(count, arrivalsBefore(plan.durationMs, plan));
  return count;
}

/** Expected arrivals by time t (ms): Λ(t). */
function expectedArrivals(t: number, plan: Pick<ArrivalPlan, 'rate' | 'rampMs'>): number {
  const perMs = plan.rate / 1000;
  if (t <= plan.rampMs) return (perMs * t * t) / (2 * plan.rampMs);
  return (perMs * plan.rampMs) / 2 + perMs * (t - plan.rampMs);
}

/** How many arrivals start strictly before `t`. */
function arrivalsBefore(t: number, plan: Pick<ArrivalPlan, 'rate' | 'rampMs'>): number {
  if (t <= 0) return 0;
  // Λ gives the count to within one; settle the boundary on the exact arrival times.
  let n = Math.max(0, Math.floor(expectedArrivals(t, plan)) + 1);
  while (n > 0 && arrivalTime(n - 1, plan) >= t) n--;
  while (arrivalTime(n, plan) < t) n++;
  return n;
}

export interface Arrival {
  /** Index in the whole schedule (across shards), 0-based. */
  index: number;
  /** ms from the load's start. */
  at: number;
}

/** This shard's arrivals, in time order: every `total`-th arrival, starting at `index - 1`. */
export function arrivals(plan: ArrivalPlan, shard: Shard = { index: 1, total: 1 }): Arrival[] {
  const count = arrivalCount(plan);
  const out: Arrival[] = [];
  for (let k = shard.index - 1; k < count; k += shard.total) out.push({ index: k, at: arrivalTime(k, plan) });
  return out;
}
