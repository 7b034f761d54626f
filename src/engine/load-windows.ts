/**
 * Percentiles over time for a load test: the run cut into fixed windows, each with the
 * calls started, ended and failed in it, the calls in flight at its end, and the latency
 * percentiles of the replies heard in it. Computed from the call results alone, so merged
 * shard reports get the same windows as a single machine would have.
 */
import type { CallResult, LoadWindow } from './results.ts';
import { percentiles } from './stats.ts';

export const DEFAULT_WINDOW_MS = 10_000;

/** When a call started, in ms since the epoch; its results only keep an ISO date. */
function startOf(call: CallResult): number {
  return Date.parse(call.startedAt);
}

/**
 * Cuts `calls` into windows of `windowMs` from `loadStart` (epoch ms). A reply's latency
 * lands in the window of its turn's anchor (the end of the caller's speech).
 */
export function loadWindows(calls: readonly CallResult[], loadStart: number, windowMs = DEFAULT_WINDOW_MS): LoadWindow[] {
  const ran = calls.filter((call) => call.status !== 'skipped' && Number.isFinite(startOf(call)));
  if (ran.length === 0) return [];
  const lastEnd = Math.max(...ran.map((call) => startOf(call) + call.durationMs));
  const count = Math.max(1, Math.ceil((lastEnd - loadStart) / windowMs));
  const windows = Array.from({ length: count }, (_, i) => ({
    start: i * windowMs,
    end: (i + 1) * windowMs,
    started: 0,
    ended: 0,
    failed: 0,
    inFlight: 0,
    latency: [] as number[],
    firstMedia: [] as number[],
  }));
  const at = (t: number) => windows[Math.min(count - 1, Math.max(0, Math.floor((t - loadStart) / windowMs)))]!;
  for (const call of ran) {
    const start = startOf(call);
    const end = start + call.durationMs;
    at(start).started++;
    at(end).ended++;
    if (call.status !== 'passed') at(end).failed++;
    for (const window of windows) {
      const edge = loadStart + window.end;
      if (start < edge && end >= edge) window.inFlight++;
    }
    for (const turn of call.turns) {
      const anchor = start + turn.anchorAt;
      if (turn.metrics.responseLatency !== undefined) at(anchor).latency.push(turn.metrics.responseLatency);
      if (turn.metrics.firstMediaLatency !== undefined) at(anchor).firstMedia.push(turn.metrics.firstMediaLatency);
    }
  }
  return windows.map(({ latency, firstMedia, ...counts }) => ({
    ...counts,
    responseLatency: percentiles(latency),
    firstMediaLatency: percentiles(firstMedia),
  }));
}
