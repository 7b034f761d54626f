/**
 * The metrics of DESIGN §3, computed once from the timeline after the call: a turn's reply
 * is the first bot speech that starts after the caller began speaking and before the next
 * turn began, wherever the expectations happened to stop looking. Then the same metrics as
 * sample lists (one list per metric name, what thresholds and percentiles read) for a call,
 * a suite and a run.
 */
import { METRIC_NAMES, type MetricName } from '../suite/threshold-expr.ts';
import { interruptedSpeech, measureBargeIn } from './barge-in.ts';
import { isWarning } from './compliance.ts';
import type { CallMetrics, CallResult, MetricSummary, TurnMetrics, TurnResult } from './results.ts';
import { percentiles, roundMs } from './stats.ts';
import type { BotSpeechEvent, CallEvent } from './timeline.ts';

/**
 * A gap inside one bot reply where its audio ran dry: `t` is when it began, `ms` how long it
 * lasted. Underrun detection (engine/underruns.ts) hands these in; without it the lists are empty.
 */
export interface UnderrunSample {
  t: number;
  ms: number;
}

export function turnMetrics(
  turn: TurnResult,
  turns: TurnResult[],
  speeches: BotSpeechEvent[],
  events: CallEvent[],
  callEnd: number,
  /** Undefined when underruns were not detected for this call (then turns carry no underrun fields). */
  underruns?: readonly UnderrunSample[],
): TurnMetrics {
  if (turn.status === 'skipped') return {};
  const next = turns.find((other) => other.index > turn.index && other.status !== 'skipped');
  const windowEnd = next ? next.startedAt : callEnd;
  const metrics: TurnMetrics = {};
  const inWindow = speeches.filter((speech) => speech.t >= turn.startedAt && speech.t < windowEnd);
  const spoken = inWindow.reduce((sum, speech) => sum + ((speech.end ?? callEnd) - speech.t), 0);
  if (inWindow.length > 0) metrics.botSpeechMs = roundMs(spoken);
  const speech = turn.callerSpeech;
  if (speech && turn.anchor === 'speechEnd') {
    const reply = speeches.find((s) => s.t >= speech.start && s.t < windowEnd);
    if (reply) metrics.responseLatency = roundMs(reply.t - speech.end);
    const media = events.find((e) => e.type === 'botMedia' && e.t >= speech.start && e.t < windowEnd);
    if (media) metrics.firstMediaLatency = roundMs(media.t - speech.end);
  }
  if (speech) {
    // Any turn where the caller started talking over bot audio is a barge-in, asked for or not.
    const talkedOver = interruptedSpeech(speeches, speech.start);
    if (talkedOver) {
      const measure = measureBargeIn(talkedOver, speech.start, events, turn.startedAt, windowEnd);
      if (measure.clearLatency !== undefined) metrics.clearLatency = measure.clearLatency;
      if (measure.stopLatency !== undefined) metrics.stopLatency = measure.stopLatency;
      metrics.talkOver = measure.talkOver;
    }
  }
  const marks = events.flatMap((e) => (e.type === 'mark' && !e.cleared && e.sentAt >= turn.startedAt && e.sentAt < windowEnd ? [roundMs(e.t - e.sentAt)] : []));
  if (marks.length > 0) metrics.markEchoDelay = marks;
  if (underruns) {
    const gaps = underruns.filter((u) => u.t >= turn.startedAt && u.t < windowEnd);
    metrics.underruns = gaps.length;
    metrics.underrunMs = roundMs(gaps.reduce((sum, u) => sum + u.ms, 0));
  }
  return metrics;
}

export function callMetrics(turns: TurnResult[], speeches: BotSpeechEvent[], events: CallEvent[], underruns: readonly UnderrunSample[] = []): CallMetrics {
  const markEchoDelay: number[] = [];
  let violations = 0;
  let warnings = 0;
  for (const event of events) {
    if (event.type === 'mark' && !event.cleared) markEchoDelay.push(roundMs(event.t - event.sentAt));
    // A violation the suite relaxed to `warn` is reported apart: it does not fail the call.
    if (event.type === 'violation' && isWarning(event)) warnings++;
    else if (event.type === 'violation') violations++;
  }
  const perTurn = (key: 'responseLatency' | 'firstMediaLatency' | 'clearLatency' | 'stopLatency' | 'talkOver') =>
    turns.flatMap((turn) => (turn.metrics[key] === undefined ? [] : [turn.metrics[key]!]));
  const metrics: CallMetrics = {
    responseLatency: perTurn('responseLatency'),
    firstMediaLatency: perTurn('firstMediaLatency'),
    markEchoDelay,
    botSpeechMs: roundMs(speeches.reduce((sum, speech) => sum + ((speech.end ?? speech.t) - speech.t), 0)),
    violations,
    botSpeechDuration: speeches.filter((s) => s.end !== undefined).map((s) => roundMs(s.end! - s.t)),
    clearLatency: perTurn('clearLatency'),
    stopLatency: perTurn('stopLatency'),
    talkOver: perTurn('talkOver'),
    underruns: underruns.map((u) => roundMs(u.ms)),
  };
  if (speeches[0]) metrics.timeToFirstSpeech = roundMs(speeches[0].t);
  if (warnings > 0) metrics.warnings = warnings;
  return metrics;
}

/** The metrics of a call that never ran. */
export function emptyCallMetrics(): CallMetrics {
  return {
    responseLatency: [],
    firstMediaLatency: [],
    markEchoDelay: [],
    botSpeechMs: 0,
    violations: 0,
    botSpeechDuration: [],
    clearLatency: [],
    stopLatency: [],
    talkOver: [],
    underruns: [],
  };
}

export type MetricSamples = Record<MetricName, number[]>;

export function emptySamples(): MetricSamples {
  return Object.fromEntries(METRIC_NAMES.map((name) => [name, []])) as unknown as MetricSamples;
}

/**
 * Every metric's samples over some calls; calls that never ran add nothing. A call run several
 * times (retries, --repeat) adds every attempt: the distribution is the point of repeating.
 */
export function metricSamples(calls: readonly CallResult[]): MetricSamples {
  const samples = emptySamples();
  for (const call of calls) {
    const runs = call.attempts?.length ? call.attempts : [call];
    for (const run of runs) {
      if (run.status === 'skipped') continue;
      const m = run.metrics;
      samples.responseLatency.push(...m.responseLatency);
      samples.firstMediaLatency.push(...m.firstMediaLatency);
      if (m.timeToFirstSpeech !== undefined) samples.timeToFirstSpeech.push(m.timeToFirstSpeech);
      samples.botSpeechDuration.push(...(m.botSpeechDuration ?? (run === call ? call.botSpeech.map((s) => roundMs(s.end - s.start)) : [])));
      samples.markEchoDelay.push(...m.markEchoDelay);
      samples.clearLatency.push(...(m.clearLatency ?? []));
      samples.stopLatency.push(...(m.stopLatency ?? []));
      samples.talkOver.push(...(m.talkOver ?? []));
      samples.underruns.push(...(m.underruns ?? []));
      for (let i = 0; i < m.violations; i++) samples.violations.push(1);
      samples.callDuration.push(run.durationMs);
    }
  }
  return samples;
}

/** p50/p95/p99/max of every metric that has samples. */
export function summarizeMetrics(samples: MetricSamples): MetricSummary {
  const summary: MetricSummary = {};
  for (const name of METRIC_NAMES) if (samples[name].length > 0) summary[name] = percentiles(samples[name]);
  return summary;
}
