/**
 * Merges the report.json of several shards (`--shard i/n` on n machines) into one run, as if
 * one machine had run everything: calls back in suite (or arrival) order, the summary and
 * metrics recomputed from all calls, thresholds checked again on the merged samples, and for
 * a load, the percentiles over time recomputed on one timeline.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { DEFAULT_WINDOW_MS, loadWindows } from './load-windows.ts';
import { metricSamples } from './metrics.ts';
import { conclude, EXIT } from './outcome.ts';
import type { CallResult, LoadSummary, RunResult, SuiteResult, ThresholdResult } from './results.ts';
import { evaluateThresholds, parseThresholdExpression } from './thresholds.ts';

export class MergeError extends Error {}

const REPORT_SCHEMA = new URL('../../schemas/report.schema.json', import.meta.url);
let validateReport: ValidateFunction | undefined;

/** What is wrong with a would-be report.json (the first thing, at its JSON path), or null when it is whole. */
export function reportProblem(data: unknown): string | null {
  validateReport ??= new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(REPORT_SCHEMA, 'utf8')));
  if (validateReport(data)) return null;
  const error = validateReport.errors?.[0];
  return error ? `${error.instancePath || 'the top level'} ${error.message ?? 'is not valid'}` : 'it is not valid';
}

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
  for (const suite of suites) suite.calls.sort(byOriginalOrder);
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
  reports.forEach((report, i) => {
    const problem = reportProblem(report);
    // A hand-edited or truncated report would otherwise fail deep inside the arithmetic.
    if (problem) throw new MergeError(`report ${i + 1} of ${reports.length} is not a whole convotest report.json (${problem}): merge the report.json files the shards wrote, unedited`);
  });
  const suites = mergeSuites(reports);
  const startedAt = Math.min(...reports.map((report) => Date.parse(report.startedAt)));
  const endedAt = Math.max(...reports.map((report) => Date.parse(report.startedAt) + report.durationMs));
  return conclude({
    tool: reports[0]!.tool,
    startedAt,
    durationMs: endedAt - startedAt,
    interrupted: reports.some((report) => report.interrupted),
    suites,
    thresholds: mergeThresholds(reports, suites),
    warnings: [...new Set(reports.flatMap((report) => report.warnings ?? []))],
    // A shard that failed for more than its calls (its time limit, --fail-on-flaky) fails the whole.
    failed: () => reports.some((report) => report.exitCode === EXIT.failed),
    load: mergeLoad(reports, suites, startedAt),
  });
}
