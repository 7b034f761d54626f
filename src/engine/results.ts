/**
 * What a run produces. Reporters read these and nothing else; report.json is this shape,
 * validated by schemas/report.schema.json. Times are ms since the call started.
 */
import type { ExpectationKind, Protocol } from '../suite/model.ts';

/** `flaky`: passed, but only on a retry (or some repeats failed while the pass rate held). */
export type CallStatus = 'passed' | 'flaky' | 'failed' | 'errored' | 'interrupted' | 'skipped';

export interface TimelineEntry {
  t: number;
  /** `in` = bot → convotest, `out` = convotest → bot, `local` = something convotest observed (speech, violations). */
  dir: 'in' | 'out' | 'local';
  /** Event name: a protocol message (`media`, `mark`, `start`, …) or a normalized event (`botSpeech`, `violation`, …). */
  kind: string;
  /** One line for people: `mark "greeting" echoed`, `caller audio order.wav`, … */
  summary: string;
  /** For collapsed runs of media frames: when the run ended and how many messages it held. */
  until?: number;
  count?: number;
  /** The raw message, when there is one (media payloads are elided). */
  data?: unknown;
}

export interface ExpectationResult {
  kind: ExpectationKind;
  /** The expectation as written, e.g. `botSpeech within 1200ms of end of caller speech`. */
  description: string;
  /** `file:line:col` of the expectation in the suite. */
  location: string;
  status: 'passed' | 'failed' | 'skipped';
  /** When the matching event happened. */
  matchedAt?: number;
  /** ms from the anchor to the match (forbid: to the forbidden event; bargeIn: to the bot's stop). */
  latency?: number;
  /** The expectation's own anchor (`from:`), when it has one, and when that was. */
  anchor?: string;
  anchorAt?: number;
  /** count/atLeast/atMost: how many matching events the window held. */
  count?: number;
  /** What was expected vs what arrived; set on failures. */
  expected?: string;
  actual?: string;
  message?: string;
}

export interface TurnMetrics {
  /** End of caller speech → first audible bot audio, ms. */
  responseLatency?: number;
  /** End of caller speech → first bot media message received, ms. */
  firstMediaLatency?: number;
  /** Total audible bot speech in the turn, ms. */
  botSpeechMs?: number;
  /** Sent → echoed, ms, for each mark sent in the turn (cleared marks excluded). */
  markEchoDelay?: number[];
  /** Barge-in (the caller started talking over bot audio): caller speech start → `clear` / playback stop. */
  clearLatency?: number;
  /** Barge-in: caller speech start → the end of the bot audio the caller talked over. */
  stopLatency?: number;
  /** Barge-in: bot audio the caller heard after starting to talk, ms. */
  talkOver?: number;
  /** Gaps inside bot replies where the audio ran dry: how many, and their total length in ms. */
  underruns?: number;
  underrunMs?: number;
}

export interface TurnResult {
  index: number;
  /** `audio order-pizza.wav`, `dtmf 1#`, `silence 2s`, `hangup`, or `wait` for an expect-only turn. */
  action: string;
  location: string;
  startedAt: number;
  /** The instant `within` windows count from, and what it is. */
  anchorAt: number;
  anchor: 'turnStart' | 'speechEnd' | 'speechStart';
  callerSpeech?: { start: number; end: number };
  status: 'passed' | 'failed' | 'skipped';
  expectations: ExpectationResult[];
  metrics: TurnMetrics;
}

export interface BotSpeechSegment {
  start: number;
  end: number;
  /** Path of this reply's WAV, relative to the report folder. */
  audio?: string;
}

export interface CallMetrics {
  /** Call start → first audible bot audio, ms. */
  timeToFirstSpeech?: number;
  responseLatency: number[];
  firstMediaLatency: number[];
  /** Sent → echoed, ms, for each mark. */
  markEchoDelay: number[];
  botSpeechMs: number;
  /** Protocol violations that count (severity error). */
  violations: number;
  /** Violations the suite relaxed to `warn` (`compliance:`): reported, but the call can pass. */
  warnings?: number;
  /** Length of each audible stretch of bot speech, ms. */
  botSpeechDuration?: number[];
  /** Per barge-in: caller speech start → clear, → end of the bot audio, and the talk-over, ms. */
  clearLatency?: number[];
  stopLatency?: number[];
  talkOver?: number[];
  /** Length of each underrun (gap inside a bot reply), ms. */
  underruns?: number[];
}

/** Percentiles of every metric that had samples, by metric name (see METRICS in suite/threshold-expr.ts). */
export type MetricSummary = Record<string, Percentiles>;

/** One threshold checked after the run. */
export interface ThresholdResult {
  metric: string;
  /** As written, e.g. `p(95) < 900ms`. */
  expression: string;
  /** `run` for --threshold, else the suite it was written in (checked against that suite's calls). */
  scope: 'run' | 'suite';
  suite?: string;
  /** `file:line:col`, or `--threshold`. */
  location: string;
  /** The aggregate the expression compares; null when there were no samples to aggregate. */
  value: number | null;
  limit: number;
  unit: 'ms' | 'count';
  samples: number;
  passed: boolean;
  /** One line: metric, value and limit. */
  message: string;
}

export interface CallResult {
  suite: string;
  name: string;
  location: string;
  status: CallStatus;
  /** Why it failed or errored, in one line. */
  reason?: string;
  startedAt: string;
  durationMs: number;
  turns: TurnResult[];
  botSpeech: BotSpeechSegment[];
  metrics: CallMetrics;
  timeline: TimelineEntry[];
  /** Paths relative to the report folder. */
  audio: { call?: string; replies: string[] };
  /** The call's tags and its suite's. */
  tags?: string[];
  /**
   * Every run of the call, in start order: one, or more with retries and repeat. The rest of
   * this result (turns, timeline, audio) is the attempt that decided the status: the last
   * passing one for passed/flaky, the last failing one otherwise.
   */
  attempts?: AttemptResult[];
  /** Pass rate and latency over all attempts, when there was more than one. */
  attemptStats?: AttemptStats;
}

/** One run of a call. */
export interface AttemptResult {
  /** 1-based, in the order attempts started. */
  attempt: number;
  /** Which of the `repeat` runs this was (1-based). */
  repetition: number;
  /** 0 for the repetition's first try, 1 for its first retry, … */
  retry: number;
  status: Exclude<CallStatus, 'flaky'>;
  reason?: string;
  startedAt: string;
  durationMs: number;
  metrics: CallMetrics;
  /** This attempt's call.wav, relative to the report folder. */
  audio?: string;
}

export interface AttemptStats {
  attempts: number;
  passed: number;
  /** passed / attempts, 0–1. */
  passRate: number;
  /** The gate the pass rate was held to, when one was set. */
  minPassRate?: number;
  /** Response latency over every attempt's replies. */
  responseLatency: Percentiles;
}

export interface SuiteResult {
  file: string;
  name: string;
  protocol: Protocol;
  /** With any credentials removed. */
  target: string;
  calls: CallResult[];
  /** Percentiles of this suite's metrics. */
  metrics?: MetricSummary;
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  interrupted: number;
  skipped: number;
  /** Passed only on a retry, or with some repeats failing (counted apart from `passed`). */
  flaky: number;
  responseLatency: Percentiles;
  /** Percentiles of every metric over the whole run. */
  metrics?: MetricSummary;
}

export interface RunResult {
  tool: { name: 'convotest'; version: string };
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  suites: SuiteResult[];
  summary: RunSummary;
  exitCode: number;
  /** Every threshold (suite `thresholds:` and --threshold), passed or not; a breached one makes exitCode 99 unless a call failed. */
  thresholds?: ThresholdResult[];
  /** Things a reader of the report must know about how it was made (certificates not verified, the run's time limit hit). */
  warnings?: string[];
  /** Set by `convotest load`: what the load was and its percentiles over time. */
  load?: LoadSummary;
}

/** One window of a load test (times in ms since the load started). */
export interface LoadWindow {
  start: number;
  end: number;
  /** Calls started, ended, and ended without passing, in this window. */
  started: number;
  ended: number;
  failed: number;
  /** Calls still up at the end of the window. */
  inFlight: number;
  /** Latencies of the replies whose turn anchor falls in this window. */
  responseLatency: Percentiles;
  firstMediaLatency: Percentiles;
}

export interface LoadSummary {
  /** Calls started per second after the ramp. */
  rate: number;
  rampMs: number;
  /** The bounds asked for: a number of calls, a duration, or both. */
  calls?: number;
  durationMs?: number;
  /** `i/n` when this report is one shard of a spread load; absent once merged. */
  shard?: string;
  /** Calls this report started. */
  started: number;
  /** Most calls up at once. */
  peakInFlight: number;
  windowMs: number;
  windows: LoadWindow[];
}

/** A load test's live progress: what `convotest load` prints while calls run. */
export interface LoadProgress {
  elapsedMs: number;
  /** Calls this process starts in all. */
  scheduled: number;
  started: number;
  inFlight: number;
  passed: number;
  /** Failed or errored. */
  failed: number;
  /** Ended by Ctrl-C or SIGTERM before they finished: neither passed nor failed. */
  interrupted: number;
  /** Response latency of the calls that ended since the previous report. */
  recentLatency: Percentiles;
  done: boolean;
}
