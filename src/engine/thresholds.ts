/**
 * k6-style thresholds: gates on a run's metrics (`responseLatency: p(95) < 900ms`). A suite's
 * `thresholds:` are checked against that suite's calls, `--threshold` against the whole run.
 * A breached threshold makes the run exit 99 unless a call failed (exit 1 says more).
 *
 * The API is small so load mode can reuse it: parseThreshold for the text, evaluateThresholds
 * for any samples.
 */
import { compare } from './compare.ts';
import { formatMs } from '../clock/duration.ts';
import { describeAggregation, METRICS, type Aggregation, type Threshold } from '../suite/threshold-expr.ts';
import type { Suite } from '../suite/model.ts';
import { location, suiteFile } from './location.ts';
import { metricSamples } from './metrics.ts';
import type { SuiteResult, ThresholdResult } from './results.ts';
import { percentile, roundMs } from './stats.ts';

export {
  METRICS,
  METRIC_NAMES,
  parseThreshold,
  parseThresholdExpression,
  parseThresholdList,
  ThresholdError,
  type MetricName,
  type Threshold,
} from '../suite/threshold-expr.ts';

/** Where a threshold was set, for its result. */
export interface ThresholdOrigin {
  scope: 'run' | 'suite';
  suite?: string;
  /** `file:line:col`, or `--threshold`. */
  location: string;
}

/** The aggregate of some samples: null when there is nothing to aggregate (count and sum are 0 then). */
export function aggregate(aggregation: Aggregation, values: readonly number[]): number | null {
  if (aggregation.kind === 'count') return values.length;
  if (aggregation.kind === 'sum') return values.reduce((sum, v) => sum + v, 0);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  switch (aggregation.kind) {
    case 'percentile':
      return percentile(sorted, aggregation.p)!;
    case 'med':
      return percentile(sorted, 50)!;
    case 'min':
      return sorted[0]!;
    case 'max':
      return sorted[sorted.length - 1]!;
    case 'avg':
      return roundMs(values.reduce((sum, v) => sum + v, 0) / values.length);
  }
}

/**
 * Checks thresholds against samples (metric name → values). A metric without samples passes
 * its percentile/min/max/avg thresholds, as in k6: there was nothing to be slow; its count is 0.
 */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  samples: Partial<Record<string, readonly number[]>>,
  origin: ThresholdOrigin | ((threshold: Threshold) => ThresholdOrigin) = { scope: 'run', location: '--threshold' },
): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const where = typeof origin === 'function' ? origin(threshold) : origin;
    const values = samples[threshold.metric] ?? [];
    const value = aggregate(threshold.aggregation, values);
    const passed = value === null || compare(value, threshold.op, threshold.limit);
    const unit = threshold.aggregation.kind === 'count' ? 'count' : METRICS[threshold.metric].unit;
    const show = (n: number) => (unit === 'ms' ? formatMs(n) : String(n));
    const agg = describeAggregation(threshold.aggregation);
    const shown = value === null ? 'has no samples' : `is ${show(value)}`;
    const scope = where.scope === 'suite' ? ` in suite "${where.suite}"` : '';
    const message = `${threshold.metric} ${agg} ${shown}${passed ? ', within' : ', breaching'} the limit ${threshold.op} ${show(threshold.limit)} (${values.length} sample${values.length === 1 ? '' : 's'}${scope}; ${where.location})`;
    const result: ThresholdResult = {
      metric: threshold.metric,
      expression: threshold.expression,
      scope: where.scope,
      location: where.location,
      value,
      limit: threshold.limit,
      unit,
      samples: values.length,
      passed,
      message,
    };
    if (where.suite !== undefined) result.suite = where.suite;
    return result;
  });
}

/** Every suite's own thresholds against its calls, then the run's against all calls. */
export function checkRunThresholds(suites: readonly Suite[], results: readonly SuiteResult[], runThresholds: readonly Threshold[] = []): ThresholdResult[] {
  const checked: ThresholdResult[] = [];
  for (const suite of suites) {
    if (suite.thresholds.length === 0) continue;
    const file = suiteFile(suite);
    const result = results.find((r) => r.file === file && r.name === suite.name);
    // A suite none of whose calls were selected has nothing to gate.
    if (!result) continue;
    const samples = metricSamples(result.calls);
    checked.push(
      ...suite.thresholds.flatMap((spec) => evaluateThresholds([spec], samples, { scope: 'suite', suite: suite.name, location: location(spec.pos) })),
    );
  }
  if (runThresholds.length > 0) checked.push(...evaluateThresholds(runThresholds, metricSamples(results.flatMap((r) => r.calls))));
  return checked;
}
