/**
 * The typed model a suite file becomes after parsing, validation, interpolation and path
 * resolution. Durations are milliseconds; paths are absolute. Every node keeps where it was
 * written, so the engine can name `file:line:col` in its failures.
 */

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
  calls: CallSpec[];
  pos: SourcePos;
}

export interface SuiteDefaults {
  /** How long an expectation without `within` may wait, in ms. */
  timeout: number;
}

export interface TwilioOptions {
  /** Sent as start.customParameters, merged under each call's own parameters. */
  parameters: Record<string, string>;
  accountSid?: string;
  callSid?: string;
  streamSid?: string;
}

/** Filled in by the AudioCodes issue; the loader passes the suite's `audiocodes:` block through. */
export interface AudioCodesOptions {
  [key: string]: unknown;
}

export interface CallSpec {
  name: string;
  from: string;
  to: string;
  /** Call-level Twilio customParameters (override the suite's). */
  parameters: Record<string, string>;
  tags: string[];
  timeout: number;
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
  | { kind: 'audio'; file: string; bargeIn?: number; pos: SourcePos }
  | { kind: 'dtmf'; digits: string; pos: SourcePos }
  | { kind: 'silence'; duration: number; pos: SourcePos }
  | { kind: 'hangup'; pos: SourcePos };

interface ExpectationBase {
  /** Window in ms measured from the turn's anchor; undefined means the suite's timeout. */
  within?: number;
  pos: SourcePos;
}

export type ExpectationSpec =
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

/**
 * A text condition as written in YAML: a plain string means "contains" (case-insensitive),
 * "/re/flags" a regular expression. Compiled once at load time.
 */
export interface TextMatch {
  source: string;
  regex: RegExp;
}

export type ExpectationKind = ExpectationSpec['kind'];
