/**
 * The typed model a suite file becomes after parsing, validation, interpolation and path
 * resolution. Durations are milliseconds; paths are absolute. Every node keeps where it was
 * written, so the engine can name `file:line:col` in its failures.
 */
import type { Threshold } from './threshold-expr.ts';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export type Protocol = 'twilio' | 'audiocodes';

export interface Suite {
  /** Absolute path of the YAML file. */
  file: string;
  name: string;
  protocol: Protocol;
  /** ws(s)://…, http(s)://… or builtin:reference, after ${ENV} interpolation. */
  target: string;
  defaults: SuiteDefaults;
  tags: string[];
  twilio: TwilioOptions;
  audiocodes: AudioCodesOptions;
  /** `compliance:` rule → severity; rules not named are `error` (or the protocol's default). */
  compliance: Record<string, Severity>;
  /** `limits:` as written (ms); the engine fills in the rest and lets the command line override. */
  limits?: SuiteLimits;
  /** k6-style gates on this suite's metrics (`thresholds:`), checked after the run. */
  thresholds: ThresholdSpec[];
  /** `load:`: the arrival plan `convotest load` uses for this suite unless flags say otherwise. */
  load?: LoadSpec;
  /** How `say:` turns are spoken (`tts:`); absent: the built-in espeak-ng engine with its defaults. */
  tts?: TtsOptions;
  /** `only: true`: where it is written (the run is narrowed to focused suites and calls). */
  only?: SourcePos;
  /** `skip:`: every call of the suite is reported as skipped. */
  skip?: SkipSpec;
  calls: CallSpec[];
  pos: SourcePos;
}

/** The `load:` block, as written (ms, calls per second). */
export interface LoadSpec {
  calls?: number;
  rate?: number;
  rampMs?: number;
  durationMs?: number;
  pos: SourcePos;
}

/** The `tts:` block: which synthesiser speaks `say:` turns, and how. */
export interface TtsOptions {
  /** The `command:` engine's program and arguments, placeholders ({text}, {out}, {voice}) unreplaced. */
  command?: string[];
  voice?: string;
  /** Words per minute (built-in engine). */
  wordsPerMinute?: number;
  pos: SourcePos;
}

/** `skip: true` or `skip: "why"`. */
export interface SkipSpec {
  reason?: string;
  pos: SourcePos;
}

/** Caller-side background noise under the caller's audio. */
export interface NoiseSpec {
  /** A recording (absolute path) looped under the audio, or a generated colour. */
  source: { file: string } | { color: 'white' | 'pink' | 'brown' };
  /** dB below the caller's speech, or an absolute RMS level in dBFS. */
  level: { snrDb: number } | { levelDbfs: number };
  pos: SourcePos;
}

/** How often a call runs: retried when it fails, repeated to measure a pass rate. */
export interface RunPolicy {
  /** Extra attempts for a failed run (0 = none). */
  retries?: number;
  /** Runs of the call (1 = once). */
  repeat?: number;
  /** The share of attempts (0–1) that must pass. */
  minPassRate?: number;
}

/** One parsed `thresholds:` expression, with where it was written. */
export interface ThresholdSpec extends Threshold {
  pos: SourcePos;
}

export interface SuiteDefaults extends RunPolicy {
  /** How long an expectation without `within` may wait, in ms. */
  timeout: number;
  /** Every call's underrun bound unless it sets its own. */
  underruns?: UnderrunLimit;
}

/** Hard limits that keep a misbehaving bot from hanging a run or filling the disk, in ms. */
export interface SuiteLimits {
  /** A call that runs longer is hung up and fails. */
  call?: number;
  /** Connecting and the WebSocket handshake. */
  connect?: number;
  /** Nothing from the bot, not even a pong, for this long fails the call; 0 = no pings. */
  idle?: number;
  /** call.wav and the reply WAVs stop growing after this much of the call. */
  recording?: number;
}

export interface TwilioOptions {
  /** Sent as start.customParameters, merged under each call's own parameters. */
  parameters: Record<string, string>;
  accountSid?: string;
  callSid?: string;
  streamSid?: string;
  /** Extra form fields posted to a voice webhook. */
  webhookFields?: Record<string, string>;
  /** The URL Twilio would use for the target: signed, and its host sent as Host. */
  publicUrl?: string;
  /** Dial the TwiML's stream URL at this host (host:port, or scheme://host:port). */
  streamHost?: string;
  /** Hosts a TwiML may send convotest to besides the webhook's own. */
  allowHosts?: string[];
  /** From the environment; signs requests. Never reported. */
  authToken?: string;
  signature?: 'valid' | 'wrong' | 'none';
  idle?: 'silence' | 'none';
  tracks?: ('inbound' | 'outbound')[];
  /** ms between `connected` and `start`. */
  startDelay?: number;
  network?: { bunch?: number; jitter?: number };
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** The fake REST API (`restApi: true` is { port: 0 }). */
  restApi?: { port: number; host?: string; parameter?: string };
  /** ms after a `clear` during which bot audio counts as in flight. */
  clearGrace?: number;
}

/** How much a compliance rule matters in a suite: `error` fails the call, `warn` is only reported, `off` is not recorded. */
export type Severity = 'error' | 'warn' | 'off';

/** Bounds on a call's underruns (gaps inside a bot reply where its audio ran out). */
export interface UnderrunLimit {
  max?: number;
  /** ms of underrun silence in all. */
  maxTotal?: number;
  pos: SourcePos;
}

/** Filled in by the AudioCodes issue; the loader passes the suite's `audiocodes:` block through. */
export interface AudioCodesOptions {
  [key: string]: unknown;
}

export interface CallSpec extends RunPolicy {
  name: string;
  from: string;
  to: string;
  /** Call-level Twilio customParameters (override the suite's). */
  parameters: Record<string, string>;
  /** The options this call runs with when it has its own `twilio:` block: the suite's, with the call's over them key by key. */
  twilio?: TwilioOptions;
  /** Bounds on this call's underruns (its own, else defaults.underruns). */
  underruns?: UnderrunLimit;
  tags: string[];
  timeout: number;
  only?: SourcePos;
  skip?: SkipSpec;
  turns: TurnSpec[];
  pos: SourcePos;
}

export interface TurnSpec {
  /** 1-based, as people count turns. */
  index: number;
  user?: UserAction;
  expect: ExpectationSpec[];
  pos: SourcePos;
}

export type UserAction =
  | { kind: 'audio'; file: string; bargeIn?: BargeInSpec; noise?: NoiseSpec; pos: SourcePos }
  /** Speech synthesised from `text` (with the suite's `tts:`), then played like `audio`. */
  | { kind: 'say'; text: string; voice?: string; bargeIn?: BargeInSpec; noise?: NoiseSpec; pos: SourcePos }
  | { kind: 'dtmf'; digits: string; pos: SourcePos }
  /** With `noise`, the caller sends that noise instead of digital silence. */
  | { kind: 'silence'; duration: number; noise?: NoiseSpec; pos: SourcePos }
  | { kind: 'hangup'; pos: SourcePos };

/**
 * When a barge-in turn starts talking: `after` ms into the bot's current (or next) reply, or,
 * with `atMark`, `after` ms after the bot's playback reaches that mark.
 */
export interface BargeInSpec {
  after: number;
  atMark?: string;
}

/** Events an expectation's window can start from (`from: clear`, `from: mark:menu`). */
export type AnchorEvent = 'clear' | 'mark' | 'botSpeech' | 'botSpeechEnd' | 'botMedia' | 'dtmf' | 'text' | 'recognition' | 'hangup';

/**
 * Where an expectation's window starts. Without one, the turn's anchor (end of caller speech,
 * start of caller speech for a barge-in, otherwise the start of the turn). `previous` is the
 * event the previous expectation of the turn matched; an event anchor is the first such event
 * at or after the start of the turn.
 */
export type AnchorSpec =
  | { kind: 'turnStart' | 'speechStart' | 'speechEnd' | 'previous'; source: string }
  | { kind: 'event'; event: AnchorEvent; name?: string; source: string };

interface ExpectationBase {
  /** Window in ms measured from the anchor; undefined means the suite's timeout. */
  within?: number;
  /** Its own anchor instead of the turn's. */
  from?: AnchorSpec;
  /** How many matching events the window must hold (count/atLeast/atMost); undefined: one is enough. */
  count?: { min: number; max?: number };
  pos: SourcePos;
}

/** Expectations that match one kind of bot event. */
export type EventExpectationSpec =
  | (ExpectationBase & { kind: 'botSpeech'; minDuration?: number })
  | (ExpectationBase & { kind: 'mark'; name?: string })
  | (ExpectationBase & { kind: 'clear' })
  | (ExpectationBase & { kind: 'dtmf'; digits?: string })
  | (ExpectationBase & { kind: 'hangup'; reason?: TextMatch })
  | (ExpectationBase & { kind: 'closed' })
  /** Bot text: Twilio has none; AudioCodes altText and message activities. */
  | (ExpectationBase & { kind: 'text'; match: TextMatch })
  /** What the bot says it recognised (AudioCodes userStream.speech.recognition). */
  | (ExpectationBase & { kind: 'recognition'; match: TextMatch })
  | (ExpectationBase & { kind: 'transfer'; target?: TextMatch })
  /** Any raw bot message whose fields match: dotted paths → expected values (or /regex/ strings). */
  | (ExpectationBase & { kind: 'message'; match: Record<string, unknown> });

/** The window of a `forbid`: a fixed span from its anchor, or until the next turn starts. */
export type ForbidWindow = { during: number } | { untilNextTurn: true };

export type ExpectationSpec =
  | EventExpectationSpec
  /** Every member must match, in any order; each event satisfies at most one member. */
  | { kind: 'anyOrder'; members: EventExpectationSpec[]; pos: SourcePos }
  /** The event must not happen in the window. */
  | { kind: 'forbid'; event: EventExpectationSpec; window: ForbidWindow; from?: AnchorSpec; pos: SourcePos }
  /** How the bot yields when the caller talks over it (audio turns only). */
  | { kind: 'bargeIn'; stopWithin?: number; clearWithin?: number; maxTalkOver?: number; pos: SourcePos };

/**
 * A text condition as written in YAML: a plain string means "contains" (case-insensitive),
 * "/re/flags" a regular expression. Compiled once at load time.
 */
export interface TextMatch {
  source: string;
  regex: RegExp;
}

export type ExpectationKind = ExpectationSpec['kind'];
