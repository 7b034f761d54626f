/**
 * Finds the bot's audible stretches in what the caller hears, slot by slot. A stretch ends
 * after a hangover of inaudible slots, so the pauses between a reply's words do not split it.
 */
import { isAudible } from '../audio/vad.ts';
import type { BotSpeechEvent } from './timeline.ts';

/** Inaudible time that ends a speech: a speech's end is known this long after its last audible slot. */
export const HANGOVER_MS = 300;
/** One slot of audio as the caller hears it. */
export const SLOT_MS = 20;

export interface BotSpeechListener {
  started(speech: BotSpeechEvent): void;
  /** Called each slot a speech goes on, so waiters on its length can look again. */
  grew(speech: BotSpeechEvent, audibleUntil: number): void;
  ended(speech: BotSpeechEvent): void;
}

export class BotSpeechTracker {
  private current: BotSpeechEvent | null = null;
  private lastAudibleEnd = 0;
  private replies = 0;

  constructor(private readonly listener: BotSpeechListener) {}

  get speaking(): boolean {
    return this.current !== null;
  }

  get speech(): BotSpeechEvent | null {
    return this.current;
  }

  frame(t: number, bot: Int16Array | null): void {
    const audible = bot !== null && isAudible(bot);
    if (audible) {
      // Slot times are floats a slot apart: the previous slot was audible when its end is (about) this one's start.
      const wasAudible = Math.abs(this.lastAudibleEnd - t) < SLOT_MS / 2;
      this.lastAudibleEnd = t + SLOT_MS;
      if (!this.current) {
        this.current = { type: 'botSpeech', t, reply: ++this.replies, runs: [[t, t + SLOT_MS]] };
        this.listener.started(this.current);
      } else {
        const runs = this.current.runs;
        if (wasAudible) runs[runs.length - 1]![1] = this.lastAudibleEnd;
        else runs.push([t, this.lastAudibleEnd]);
        this.listener.grew(this.current, this.lastAudibleEnd);
      }
    } else if (this.current && t - this.lastAudibleEnd >= HANGOVER_MS) {
      this.finish();
    }
  }

  /** Ends a speech still going when the call ends. */
  finish(): void {
    if (!this.current) return;
    this.current.end = this.lastAudibleEnd;
    const ended = this.current;
    this.current = null;
    this.listener.ended(ended);
  }
}
