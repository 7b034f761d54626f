/**
 * The one small interface every protocol implements: the telephony side of one call.
 * The engine drives it (connect, play, dtmf, hang up) and learns what happens through the
 * CallSink it hands in. Protocols never import the engine.
 */
import type { Prompt } from '../audio/types.ts';
import type { TlsPolicy } from './connect.ts';
import type { ProtocolEvent, WireMessage } from './events.ts';
import type { ConnectionPolicy } from './guard.ts';

/** The call's one monotonic clock: ms since the call started. */
export interface CallClock {
  /** performance.now() at the call's start; pacer slot times minus this are call times. */
  readonly origin: number;
  now(): number;
}

export interface CallSink {
  event(event: ProtocolEvent): void;
  wire(message: WireMessage): void;
  /**
   * Called once per 20 ms pacer slot while the call is up, with the audio of that slot at
   * the session's `audioRate`: what the caller sent (null when nothing was sent) and what
   * the caller heard of the bot (null when nothing was playing). `t` is the slot's time.
   * The arrays may be reused for the next slot: copy what you keep.
   */
  frame(t: number, caller: Int16Array | null, bot: Int16Array | null): void;
}

export interface PlayResult {
  /** Time the first frame of the prompt went out. */
  startedAt: number;
  /** Time the last frame went out (so the caller's audio ended 20 ms later). */
  endedAt: number;
  /** True when the call ended before the prompt finished. */
  interrupted: boolean;
}

/** What the engine needs to know to open a call; protocols read their own block of options. */
export interface CallSetup {
  target: string;
  from: string;
  to: string;
  /** Twilio customParameters (suite-level merged with call-level). */
  parameters: Record<string, string>;
  /** The suite's protocol options block (twilio: / audiocodes:), already validated. */
  options: Record<string, unknown>;
  /** How long connecting and the handshake may take, in ms. */
  connectTimeout: number;
  /** How the socket is secured and watched; protocols hand it to openSocket as it is. */
  connection?: { tls?: TlsPolicy; guard?: ConnectionPolicy };
}

export interface CallerSession {
  /** Sample rate of the PCM the session streams and reports through CallSink.frame. */
  readonly audioRate: number;
  /** Opens the socket and performs the handshake; rejects with a CallSetupError. */
  connect(): Promise<void>;
  /**
   * Streams a prompt (already at audioRate) in 20 ms frames; resolves after its last frame.
   * `onFirstFrame` is told the time the first frame went out: the caller's speech is anchored there.
   * `onSpeechEnd` is told, once, when the end of the prompt's speech (`prompt.speech.endMs`, else
   * its end) went out: the actual send of the frame it falls in when the session can tell, so a
   * late frame does not count as the bot's latency; else its slot time. It may come up to a
   * frame after the play settles (the speech ends with the prompt); an interrupted play reports
   * it when the call stops.
   */
  play(prompt: Prompt, onFirstFrame?: (t: number) => void, onSpeechEnd?: (t: number) => void): Promise<PlayResult>;
  sendDtmf(digits: string): Promise<void>;
  /** Caller hang-up: the protocol's goodbye, then close. Safe to call twice. */
  hangup(): Promise<void>;
  /** True while bot audio is buffered and being played to the caller. */
  botPlaying(): boolean;
  /** True until the socket is closed by either side. */
  isOpen(): boolean;
  /** Stops everything without a goodbye (used when the run is torn down). */
  dispose(): void;
}

/** A call could not be set up: one line for the user, no stack. */
export class CallSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallSetupError';
  }
}

/** The bot answered the set-up with an HTTP error status: it refused the call (e.g. a bad signature). */
export class CallRefusedError extends CallSetupError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'CallRefusedError';
  }
}
