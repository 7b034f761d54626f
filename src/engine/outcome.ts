/**
 * How a run ends, the same for `convotest run`, `convotest load` and merged shards: each
 * suite's metrics, the summary over every call, and the exit code.
 */
import { metricSamples, summarizeMetrics } from './metrics.ts';
import type { CallResult, RunResult, RunSummary, SuiteResult, ThresholdResult } from './results.ts';
import { percentiles } from './stats.ts';

/** 99 (as k6): every call passed but a threshold was breached. A failed call's 1 and an interrupt's 130 take precedence. */
export const EXIT = { passed: 0, failed: 1, invalid: 2, thresholds: 99, interrupted: 130 } as const;

export function summarize(suites: readonly SuiteResult[]): RunSummary {
  const calls = suites.flatMap((suite) => suite.calls);
  const count = (status: CallResult['status']) => calls.filter((call) => call.status === status).length;
  // With retries and repeat, every attempt's samples count.
  const samples = metricSamples(calls);
  return {
    total: calls.length,
    passed: count('passed'),
    failed: count('failed'),
    errored: count('errored'),
    interrupted: count('interrupted'),
    skipped: count('skipped'),
    flaky: count('flaky'),
    responseLatency: percentiles(samples.responseLatency),
    metrics: summarizeMetrics(samples),
  };
}

export interface Conclusion {
  tool: RunResult['tool'];
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  interrupted: boolean;
  suites: SuiteResult[];
  thresholds: readonly ThresholdResult[];
  warnings: readonly string[];
  /** Something besides the calls failed the run: its time limit, a flaky call under --fail-on-flaky, a failed shard. */
  failed?: (summary: RunSummary) => boolean;
  load?: RunResult['load'];
}

/** Sets each suite's metrics and builds the result with its summary and exit code. */
export function conclude(run: Conclusion): RunResult {
  for (const suite of run.suites) suite.metrics = summarizeMetrics(metricSamples(suite.calls));
  const summary = summarize(run.suites);
  const result: RunResult = {
    tool: run.tool,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: run.durationMs,
    interrupted: run.interrupted,
    suites: run.suites,
    summary,
    exitCode: exitCode(run, summary),
  };
  if (run.warnings.length > 0) result.warnings = [...run.warnings];
  if (run.thresholds.length > 0) result.thresholds = [...run.thresholds];
  if (run.load) result.load = run.load;
  return result;
}

function exitCode(run: Conclusion, summary: RunSummary): number {
  if (run.interrupted) return EXIT.interrupted;
  if (summary.failed + summary.errored + summary.interrupted > 0 || run.failed?.(summary)) return EXIT.failed;
  return run.thresholds.some((threshold) => !threshold.passed) ? EXIT.thresholds : EXIT.passed;
}
