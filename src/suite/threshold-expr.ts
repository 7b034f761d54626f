/**
 * The k6-style threshold language: `p(95) < 900ms`, `max < 2s`, `count == 0`. It lives with
 * the suite because suites are where it is written; the engine evaluates it (engine/thresholds.ts)
 * and the CLI parses `--threshold 'metric: expression'` with the same grammar.
 */
import { closest } from './suggest.ts';

/** What a metric's samples are: durations in ms, or one sample per occurrence. */
export type MetricUnit = 'ms' | 'count';

/** Every metric a threshold can name, with what one sample is. */
export const METRICS = {
  responseLatency: { unit: 'ms', sample: 'end of caller speech → first audible bot audio, per answered audio turn' },
  firstMediaLatency: { unit: 'ms', sample: 'end of caller speech → first bot media message received, per answered audio turn' },
  timeToFirstSpeech: { unit: 'ms', sample: 'call start → first audible bot audio (the greeting), per call' },
  botSpeechDuration: { unit: 'ms', sample: 'length of each audible stretch of bot speech' },
  markEchoDelay: { unit: 'ms', sample: 'mark sent → echoed after playback, per mark (cleared marks excluded)' },
  clearLatency: { unit: 'ms', sample: 'start of caller speech → `clear` (or playback stop), per barge-in' },
  stopLatency: { unit: 'ms', sample: 'start of caller speech → the interrupted bot audio ends, per barge-in' },
  talkOver: { unit: 'ms', sample: 'bot audio heard after the caller started talking, per barge-in' },
  underruns: { unit: 'ms', sample: 'length of each gap inside a bot reply where its audio ran dry' },
  violations: { unit: 'count', sample: 'one per protocol violation' },
  callDuration: { unit: 'ms', sample: 'length of each call that ran' },
} as const satisfies Record<string, { unit: MetricUnit; sample: string }>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export type Aggregation = { kind: 'percentile'; p: number } | { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'sum' };

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  metric: MetricName;
  aggregation: Aggregation;
  op: ThresholdOp;
  /** In ms for durations, a plain number for `count` and count metrics. */
  limit: number;
  /** The expression as written, e.g. `p(95) < 900ms`. */
  expression: string;
}

/** A threshold expression the user must fix; the message says what to write instead. */
export class ThresholdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdError';
  }
}

const EXPRESSION = /^\s*(p\(\s*([0-9.]+)\s*\)|avg|min|max|med|count|sum)\s*(<=|>=|==|!=|<|>)\s*([0-9.]+)\s*(ms|s|m)?\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const HELP = 'write an aggregation, a comparison and a limit, like "p(95) < 900ms", "max < 2s", "avg <= 1s" or "count == 0" (aggregations: p(N), avg, min, max, med, count, sum)';

/** The metric a name refers to; throws with a suggestion for a near miss. */
export function metricNamed(name: string): MetricName {
  if (Object.hasOwn(METRICS, name)) return name as MetricName;
  const guess = closest(name, METRIC_NAMES);
  throw new ThresholdError(
    `unknown metric \`${name}\`${guess ? ` — did you mean \`${guess}\`?` : ''} (metrics: ${METRIC_NAMES.join(', ')})`,
  );
}

/** Parses one expression for a metric, e.g. (`responseLatency`, `p(95) < 900ms`). */
export function parseThresholdExpression(metric: string, expression: string): Threshold {
  const name = metricNamed(metric);
  const match = EXPRESSION.exec(expression);
  if (!match) throw new ThresholdError(`${JSON.stringify(expression)} is not a threshold: ${HELP}`);
  const [, agg, p, op, number, unit] = match as unknown as [string, string, string | undefined, ThresholdOp, string, string | undefined];
  let aggregation: Aggregation;
  if (p !== undefined) {
    const value = Number(p);
    if (!Number.isFinite(value) || value <= 0 || value > 100) {
      throw new ThresholdError(`${JSON.stringify(expression)}: the percentile in p(N) must be above 0 and at most 100, like p(95) or p(99.9)`);
    }
    aggregation = { kind: 'percentile', p: value };
  } else {
    aggregation = { kind: agg as Exclude<Aggregation['kind'], 'percentile'> };
  }
  const limit = Number(number);
  if (!Number.isFinite(limit)) throw new ThresholdError(`${JSON.stringify(expression)}: ${JSON.stringify(number)} is not a number`);
  const countLike = aggregation.kind === 'count' || METRICS[name].unit === 'count';
  if (unit !== undefined && countLike) {
    const what = aggregation.kind === 'count' ? '`count` is a number of samples' : `\`${name}\` counts occurrences`;
    throw new ThresholdError(`${JSON.stringify(expression)}: ${what}, not a duration: drop the unit "${unit}"`);
  }
  return { metric: name, aggregation, op, limit: unit ? limit * UNIT_MS[unit]! : limit, expression: expression.trim() };
}

/** Parses the command-line form `metric: expression`, e.g. `responseLatency: p(95) < 900ms`. */
export function parseThreshold(text: string): Threshold {
  const [metric, expressions] = splitMetric(text);
  if (expressions.length !== 1) throw new ThresholdError(`${JSON.stringify(text)} holds ${expressions.length} expressions: give each its own --threshold`);
  return parseThresholdExpression(metric, expressions[0]!);
}

/** Like parseThreshold, but several expressions for one metric may be separated by commas: `responseLatency: p(95) < 900ms, max < 2s`. */
export function parseThresholdList(text: string): Threshold[] {
  const [metric, expressions] = splitMetric(text);
  return expressions.map((expression) => parseThresholdExpression(metric, expression));
}

function splitMetric(text: string): [string, string[]] {
  const colon = text.indexOf(':');
  if (colon < 1) {
    throw new ThresholdError(`${JSON.stringify(text)} is not a threshold: write "metric: expression", like "responseLatency: p(95) < 900ms"`);
  }
  const expressions = text
    .slice(colon + 1)
    .split(',')
    .map((part) => part.trim());
  if (expressions.some((e) => e === '')) throw new ThresholdError(`${JSON.stringify(text)} has an empty expression: ${HELP}`);
  return [text.slice(0, colon).trim(), expressions];
}

/** `p(95)`, `max`, … as people write it. */
export function describeAggregation(aggregation: Aggregation): string {
  return aggregation.kind === 'percentile' ? `p(${aggregation.p})` : aggregation.kind;
}
