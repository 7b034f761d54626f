/**
 * Normalized events: what a protocol session reports to the engine, whatever the wire.
 * Times are ms since the call started, on the call's one monotonic clock.
 */

export type Direction = 'in' | 'out';

/** One raw protocol message, either way. `data` is the parsed JSON (or a description of a non-JSON frame). */
export interface WireMessage {
  t: number;
  dir: Direction;
  /** The message's type as the protocol names it (Twilio `event`, AudioCodes `type`). */
  kind: string;
  data: unknown;
}

export type ProtocolEvent =
  /** The bot's first media message after silence, as received (not as heard). */
  | { type: 'botMedia'; t: number; bytes: number }
  /** A mark the bot placed; `t` is when playback reached it (or it was cleared) and the echo went out. */
  | { type: 'mark'; t: number; name: string; sentAt: number; cleared: boolean }
  | { type: 'clear'; t: number; droppedMs: number }
  /** Digits the bot sent towards the caller (AudioCodes sendDtmf). */
  | { type: 'dtmf'; t: number; digits: string }
  | { type: 'text'; t: number; text: string; source: string }
  | { type: 'recognition'; t: number; text: string; final: boolean }
  | { type: 'hangup'; t: number; reason?: string }
  | { type: 'transfer'; t: number; target?: string }
  | { type: 'closed'; t: number; code: number; reason: string; by: 'bot' | 'caller' }
  /**
   * A protocol rule the bot broke. `severity` is the protocol's default (absent: error); the
   * engine applies the suite's `compliance:` block over it, and `warn` does not fail the call.
   */
  | { type: 'violation'; t: number; rule: string; message: string; offending?: unknown; severity?: 'error' | 'warn' }
  | { type: 'info'; t: number; message: string };

export type ProtocolEventType = ProtocolEvent['type'];
