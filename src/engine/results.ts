/**
 * What a run produces. Reporters read these and nothing else; report.json is this shape,
 * validated by schemas/report.schema.json. Times are ms since the call started.
 */
import type { ExpectationKind, Protocol } from '../suite/model.ts';

export type CallStatus = 'passed' | 'failed' | 'errored' | 'interrupted' | 'skipped';

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
  /** ms from the anchor to the match. */
  latency?: number;
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
  violations: number;
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
}

export interface SuiteResult {
  file: string;
  name: string;
  protocol: Protocol;
  /** With any credentials removed. */
  target: string;
  calls: CallResult[];
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
  responseLatency: Percentiles;
}

export interface RunResult {
  tool: { name: 'convotest'; version: string };
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  suites: SuiteResult[];
  summary: RunSummary;
  exitCode: number;
}
