/**
 * Underruns: slots inside one bot reply where the playback buffer ran dry and the bot's
 * audio came back later in the same reply — the stutter of a bot that sends audio slower
 * than real time or in bursts. A reply is a bot speech as the caller hears it (see
 * bot-speech.ts): a dry stretch long enough to end the speech is a pause between replies,
 * not an underrun. A `clear` empties the buffer on purpose, so a gap after one does not count.
 */
import { formatMs } from '../clock/duration.ts';
import type { UnderrunLimit } from '../suite/model.ts';
import { location } from './location.ts';
import type { UnderrunSample } from './metrics.ts';
import type { BotSpeechEvent } from './timeline.ts';

export class UnderrunDetector {
  readonly samples: UnderrunSample[] = [];
  /** The reply the last slot with bot audio belonged to. */
  private audioSpeech: BotSpeechEvent | null = null;
  private gapStart: number | null = null;

  /**
   * One 20 ms slot: `bot` is what was played (null: nothing was buffered), `speech` the reply
   * going on after this slot, as the speech tracker sees it.
   */
  frame(t: number, bot: Int16Array | null, speech: BotSpeechEvent | null): void {
    if (bot === null) {
      if (this.gapStart === null && this.audioSpeech !== null && speech === this.audioSpeech) this.gapStart = t;
      return;
    }
    if (this.gapStart !== null && speech !== null && speech === this.audioSpeech) this.samples.push({ t: this.gapStart, ms: t - this.gapStart });
    this.gapStart = null;
    this.audioSpeech = speech;
  }

  /** The buffer was emptied on purpose (`clear`): the silence that follows is not a stutter. */
  reset(): void {
    this.gapStart = null;
    this.audioSpeech = null;
  }
}

/** A call's underruns against its `underruns:` bound; the failure reason, or null. */
export function checkUnderruns(limit: UnderrunLimit | undefined, samples: readonly UnderrunSample[]): string | null {
  if (!limit) return null;
  const total = samples.reduce((sum, u) => sum + u.ms, 0);
  const over: string[] = [];
  if (limit.max !== undefined && samples.length > limit.max) over.push(`at most ${limit.max} allowed`);
  if (limit.maxTotal !== undefined && total > limit.maxTotal) over.push(`at most ${formatMs(limit.maxTotal)} in all allowed`);
  if (over.length === 0) return null;
  const times = `${samples.length} time${samples.length === 1 ? '' : 's'}`;
  return `the bot's audio ran dry ${times} inside its replies (${formatMs(total)} of silence in all, first at ${formatMs(samples[0]!.t)}); ${over.join(' and ')} (underruns at ${location(limit.pos)})`;
}
