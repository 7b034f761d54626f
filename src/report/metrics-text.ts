/**
 * Metrics and thresholds as text, shared by the console and JUnit reporters: a call's
 * barge-in and underrun numbers, the run's percentile table, and one line per threshold.
 */
import { formatMs } from '../clock/duration.ts';
import type { CallMetrics, MetricSummary, ThresholdResult, TurnMetrics } from '../engine/results.ts';

/** Metrics whose samples are counts of occurrences: their percentiles mean nothing, only n does. */
const COUNT_METRICS = new Set(['violations']);

/** `barge-in: clear 210ms, stop 230ms, talk-over 220ms`, `2 underruns (340ms)`: extras for a call's line. */
export function callMetricParts(metrics: CallMetrics): string[] {
  const parts: string[] = [];
  const list = (values: number[] | undefined) => (values ?? []).map(formatMs).join(', ');
  const bargeIn: string[] = [];
  if (metrics.clearLatency?.length) bargeIn.push(`clear ${list(metrics.clearLatency)}`);
  if (metrics.stopLatency?.length) bargeIn.push(`stop ${list(metrics.stopLatency)}`);
  if (metrics.talkOver?.length) bargeIn.push(`talk-over ${list(metrics.talkOver)}`);
  if (bargeIn.length) parts.push(`barge-in: ${bargeIn.join(', ')}`);
  const underruns = metrics.underruns ?? [];
  if (underruns.length) parts.push(`${underruns.length} underrun${underruns.length === 1 ? '' : 's'} (${formatMs(underruns.reduce((a, b) => a + b, 0))})`);
  if (metrics.warnings) parts.push(`${metrics.warnings} protocol warning${metrics.warnings === 1 ? '' : 's'}`);
  return parts;
}

/** The run's metrics as an aligned table, one row per metric with samples; empty when none. */
export function formatMetricsTable(metrics: MetricSummary | undefined): string[] {
  const rows = Object.entries(metrics ?? {}).filter(([, p]) => p.count > 0);
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map(([name]) => name.length));
  const cell = (value: number | undefined, count: boolean) => (value === undefined || count ? '–' : formatMs(value)).padStart(8);
  const lines = [`${'metric'.padEnd(width)}  ${'n'.padStart(5)}${['p50', 'p95', 'p99', 'max'].map((h) => h.padStart(8)).join('')}`];
  for (const [name, p] of rows) {
    const count = COUNT_METRICS.has(name);
    lines.push(`${name.padEnd(width)}  ${String(p.count).padStart(5)}${cell(p.p50, count)}${cell(p.p95, count)}${cell(p.p99, count)}${cell(p.max, count)}`);
  }
  return lines;
}

/** `✗ responseLatency p(95) < 900ms — responseLatency p(95) is 1.20s, breaching …` */
export function formatThresholdLine(threshold: ThresholdResult): string {
  return `${threshold.passed ? '✓' : '✗'} ${threshold.metric}: ${threshold.expression} — ${threshold.message}`;
}

/** `thresholds: 1 of 3 breached` */
export function formatThresholdSummary(thresholds: readonly ThresholdResult[]): string {
  const breached = thresholds.filter((t) => !t.passed).length;
  return breached === 0 ? `thresholds: all ${thresholds.length} passed` : `thresholds: ${breached} of ${thresholds.length} breached (exit code 99 unless a call failed)`;
}

/** JUnit properties of a turn's metrics beyond latency: barge-in, marks, underruns. */
export function turnMetricProperties(index: number, metrics: TurnMetrics): [string, number][] {
  const props: [string, number][] = [];
  const turn = `turn${index}`;
  if (metrics.clearLatency !== undefined) props.push([`clearLatency.${turn}`, metrics.clearLatency]);
  if (metrics.stopLatency !== undefined) props.push([`stopLatency.${turn}`, metrics.stopLatency]);
  if (metrics.talkOver !== undefined) props.push([`talkOver.${turn}`, metrics.talkOver]);
  // A turn may echo several marks; the slowest is the one worth a CI column.
  if (metrics.markEchoDelay?.length) props.push([`markEchoDelay.${turn}`, Math.max(...metrics.markEchoDelay)]);
  if (metrics.underruns !== undefined) props.push([`underruns.${turn}`, metrics.underruns]);
  if (metrics.underrunMs !== undefined) props.push([`underrunMs.${turn}`, metrics.underrunMs]);
  return props;
}

/** JUnit properties of a suite's percentiles: `responseLatency.p95`, `responseLatency.count`, … */
export function summaryProperties(metrics: MetricSummary | undefined): [string, number][] {
  const props: [string, number][] = [];
  for (const [name, p] of Object.entries(metrics ?? {})) {
    props.push([`${name}.count`, p.count]);
    if (COUNT_METRICS.has(name)) continue;
    for (const key of ['p50', 'p95', 'p99', 'max'] as const) if (p[key] !== undefined) props.push([`${name}.${key}`, Math.round(p[key]!)]);
  }
  return props;
}
