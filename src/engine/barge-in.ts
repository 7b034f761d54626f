/**
 * Barge-in, measured at the caller's ear: when the caller starts talking over bot audio, how
 * soon the bot sends `clear` (AudioCodes: playback stops), how soon the audio the caller was
 * hearing ends, and how much of it the caller still heard after starting to talk (talk-over).
 */
import { roundMs } from './stats.ts';
import type { BotSpeechEvent, CallEvent } from './timeline.ts';

export interface BargeInMeasure {
  /** The bot speech the caller talked over. */
  speech: BotSpeechEvent;
  /** Start of caller speech. */
  callerStart: number;
  /** Start of caller speech → first `clear` after it, ms; undefined when none came. */
  clearLatency?: number;
  clearAt?: number;
  /** Start of caller speech → end of the bot speech, ms; undefined while it still plays. */
  stopLatency?: number;
  /** Bot audio (audible slots only) heard from the start of caller speech until it stopped, ms. */
  talkOver: number;
}

/** The bot speech audible when the caller started talking: the one a barge-in interrupts. */
export function interruptedSpeech(speeches: readonly BotSpeechEvent[], callerStart: number): BotSpeechEvent | undefined {
  return speeches.find((speech) => speech.t <= callerStart && (speech.end ?? Infinity) > callerStart);
}

/**
 * Measures a barge-in. `since` is the earliest a `clear` may count from (the turn's start:
 * a bot reacting to the caller's first frames may beat the speech detector by a slot);
 * `until` bounds the search (the next turn's start).
 */
export function measureBargeIn(speech: BotSpeechEvent, callerStart: number, events: readonly CallEvent[], since = callerStart, until = Infinity): BargeInMeasure {
  const measure: BargeInMeasure = { speech, callerStart, talkOver: roundMs(audibleBetween(speech, callerStart, Infinity)) };
  const clear = events.find((event) => event.type === 'clear' && event.t >= since && event.t < until);
  if (clear) {
    measure.clearAt = clear.t;
    measure.clearLatency = roundMs(clear.t - callerStart);
  }
  if (speech.end !== undefined) measure.stopLatency = roundMs(Math.max(0, speech.end - callerStart));
  return measure;
}

/** Audible bot audio of a speech inside [from, to), ms. */
export function audibleBetween(speech: BotSpeechEvent, from: number, to: number): number {
  let total = 0;
  for (const [start, end] of speech.runs) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
  return total;
}
