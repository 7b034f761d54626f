/**
 * Merges the report.json of several shards (`--shard i/n` on n machines) into one run, as if
 * one machine had run everything: calls back in suite (or arrival) order, the summary and
 * metrics recomputed from all calls, thresholds checked again on the merged samples, and for
 * a load, the percentiles over time recomputed on one timeline.
 */
import { DEFAULT_WINDOW_MS, loadWindows } from './load-windows.ts';
import { metricSamples, summarizeMetrics } from './metrics.ts';
import type { CallResult, LoadSummary, RunResult, SuiteResult, ThresholdResult } from './results.ts';
import { EXIT, summarize } from './run.ts';
import { evaluateThresholds, parseThresholdExpression } from './thresholds.ts';

export class MergeError extends Error {}

/** Line, column and arrival number: the order calls had before they were split up. */
function orderKey(call: CallResult): [number, number, number] {
  const position = /:(\d+):(\d+)$/.exec(call.location);
  const arrival = /#(\d+)$/.exec(call.name);
  return [Number(position?.[1] ?? 0), Number(position?.[2] ?? 0), Number(arrival?.[1] ?? 0)];
}

function byOriginalOrder(a: CallResult, b: CallResult): number {
  const [x, y] = [orderKey(a), orderKey(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

function mergeSuites(reports: readonly RunResult[]): SuiteResult[] {
  const merged = new Map<string, SuiteResult>();
  for (const report of reports) {
    for (const suite of report.suites) {
      const key = `${suite.file}\u0000${suite.name}`;
      const into = merged.get(key);
      if (into) into.calls.push(...suite.calls);
      else merged.set(key, { ...suite, calls: [...suite.calls] });
    }
  }
  const suites = [...merged.values()];
  for (const suite of suites) {
    suite.calls.sort(byOriginalOrder);
    suite.metrics = summarizeMetrics(metricSamples(suite.calls));
  }
  return suites;
}

/** Each distinct threshold once, evaluated again on the merged calls it applies to. */
function mergeThresholds(reports: readonly RunResult[], suites: readonly SuiteResult[]): ThresholdResult[] {
  const seen = new Map<string, ThresholdResult>();
  for (const report of reports) {
    for (const threshold of report.thresholds ?? []) {
      seen.set([threshold.scope, threshold.suite ?? '', threshold.location, threshold.metric, threshold.expression].join('\u0000'), threshold);
    }
  }
  return [...seen.values()].map((threshold) => {
    const calls = threshold.scope === 'suite' ? suites.filter((suite) => suite.name === threshold.suite).flatMap((suite) => suite.calls) : suites.flatMap((suite) => suite.calls);
    const parsed = parseThresholdExpression(threshold.metric, threshold.expression);
    const origin = { scope: threshold.scope, location: threshold.location, ...(threshold.suite !== undefined ? { suite: threshold.suite } : {}) };
    return evaluateThresholds([parsed], metricSamples(calls), origin)[0]!;
  });
}

/** The most calls up at once, from when each call started and how long it lasted. */
function peakInFlight(calls: readonly CallResult[]): number {
  const edges: [number, number][] = [];
  for (const call of calls) {
    if (call.status === 'skipped') continue;
    const start = Date.parse(call.startedAt);
    edges.push([start, 1], [start + call.durationMs, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, step] of edges) peak = Math.max(peak, (now += step));
  return peak;
}

function mergeLoad(reports: readonly RunResult[], suites: readonly SuiteResult[], startedAt: number): LoadSummary | undefined {
  const loads = reports.map((report) => report.load);
  if (loads.every((load) => load === undefined)) return undefined;
  if (loads.some((load) => load === undefined)) throw new MergeError('some reports are from `convotest load` and some from `convotest run`: merge the shards of one load (or of one run) at a time');
  const first = loads[0]!;
  const windowMs = first.windowMs || DEFAULT_WINDOW_MS;
  const calls = suites.flatMap((suite) => suite.calls);
  const load: LoadSummary = {
    rate: first.rate,
    rampMs: first.rampMs,
    started: loads.reduce((sum, one) => sum + one!.started, 0),
    peakInFlight: peakInFlight(calls),
    windowMs,
    windows: loadWindows(calls, startedAt, windowMs),
  };
  if (first.calls !== undefined) load.calls = first.calls;
  if (first.durationMs !== undefined) load.durationMs = first.durationMs;
  return load;
}

export function mergeReports(reports: readonly RunResult[]): RunResult {
  if (reports.length === 0) throw new MergeError('no reports to merge');
  const suites = mergeSuites(reports);
  const startedAt = Math.min(...reports.map((report) => Date.parse(report.startedAt)));
  const endedAt = Math.max(...reports.map((report) => Date.parse(report.startedAt) + report.durationMs));
  const interrupted = reports.some((report) => report.interrupted);
  const summary = summarize(suites);
  const thresholds = mergeThresholds(reports, suites);
  const callsExit = interrupted
    ? EXIT.interrupted
    : summary.failed + summary.errored + summary.interrupted > 0 || reports.some((report) => report.exitCode === EXIT.failed)
      ? EXIT.failed
      : EXIT.passed;
  const result: RunResult = {
    tool: reports[0]!.tool,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: endedAt - startedAt,
    interrupted,
    suites,
    summary,
    exitCode: callsExit === EXIT.passed && thresholds.some((t) => !t.passed) ? EXIT.thresholds : callsExit,
  };
  const warnings = [...new Set(reports.flatMap((report) => report.warnings ?? []))];
  if (warnings.length > 0) result.warnings = warnings;
  if (thresholds.length > 0) result.thresholds = thresholds;
  const load = mergeLoad(reports, suites, startedAt);
  if (load) result.load = load;
  return result;
}
