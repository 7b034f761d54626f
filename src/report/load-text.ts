/**
 * A load test as text: the live progress line and, at the end, the percentiles over time.
 * Shared by `convotest load` and `convotest merge-reports`.
 */
import { formatMs } from '../clock/duration.ts';
import type { LoadProgress, LoadSummary, Percentiles } from '../engine/results.ts';

const ms = (value: number | undefined) => (value === undefined ? '–' : formatMs(value));

/** `12.0s · 240/1000 started · 180 in flight · 58 passed · 2 failed · latency p95 640ms` */
export function formatProgressLine(progress: LoadProgress): string {
  const parts = [
    elapsed(progress.elapsedMs),
    `${progress.started}/${progress.scheduled} started`,
    `${progress.inFlight} in flight`,
    `${progress.passed} passed`,
    `${progress.failed} failed`,
  ];
  if (progress.interrupted > 0) parts.push(`${progress.interrupted} interrupted`);
  if (progress.recentLatency.count > 0) parts.push(`latency p95 ${ms(progress.recentLatency.p95)}`);
  return parts.join(' · ');
}

/** Until a minute, tenths of a second (the line updates often); then formatMs's minutes. */
function elapsed(ms: number): string {
  return ms < 59_950 ? `${(ms / 1000).toFixed(1)}s` : formatMs(ms);
}

/** The windows as cells, one row per window (the console's text table and report.html's both). */
export function loadWindowTable(load: LoadSummary): { header: string[]; rows: string[][] } {
  const header = ['window', 'started', 'ended', 'failed', 'in flight', 'n', 'p50', 'p95', 'p99'];
  const rows = load.windows.map((w) => [
    `${formatMs(w.start)}–${formatMs(w.end)}`,
    String(w.started),
    String(w.ended),
    String(w.failed),
    String(w.inFlight),
    String(w.responseLatency.count),
    ms(w.responseLatency.p50),
    ms(w.responseLatency.p95),
    ms(w.responseLatency.p99),
  ]);
  return { header, rows };
}

/** The windows as an aligned table: time, calls started/ended/failed, in flight, latency p50/p95/p99. */
export function formatLoadWindows(load: LoadSummary): string[] {
  if (load.windows.length === 0) return [];
  const { header, rows } = loadWindowTable(load);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return ['response latency over time:', line(header), ...rows.map(line)];
}

/** `load: 1000 calls at 50/s after a 30s ramp (shard 2/4); peak 212 in flight` */
export function formatLoadLine(load: LoadSummary): string {
  const rate = load.rate >= 1 ? `${Number(load.rate.toFixed(2))}/s` : `${Number((load.rate * 60).toFixed(2))}/m`;
  const ramp = load.rampMs > 0 ? ` after a ${formatMs(load.rampMs)} ramp` : '';
  const shard = load.shard ? ` (shard ${load.shard})` : '';
  return `load: ${load.started} call${load.started === 1 ? '' : 's'} started at ${rate}${ramp}${shard}; peak ${load.peakInFlight} in flight`;
}
