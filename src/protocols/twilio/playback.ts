/**
 * Twilio's playback buffer: bot audio is queued and played at real time, marks sit between
 * audio and are echoed when playback reaches them, `clear` drops the audio and echoes every
 * pending mark at once. Echoing marks on receipt instead would make real bots believe the
 * caller heard everything, and they would never send `clear` on barge-in.
 */

export const BYTES_PER_FRAME = 160; // 20 ms of 8 kHz μ-law

interface QueuedMark {
  kind: 'mark';
  name: string;
  sentAt: number;
}
interface QueuedAudio {
  kind: 'audio';
  bytes: Uint8Array;
  /** How much of `bytes` has been played. */
  offset: number;
}

export interface PlayedFrame {
  /** 160 bytes of μ-law heard in this slot, or null when nothing was playing. */
  audio: Uint8Array | null;
  /** Marks whose preceding audio has finished playing, in order. */
  marks: QueuedMark[];
}

const NO_MARKS: QueuedMark[] = [];

export class PlaybackBuffer {
  private readonly queue: (QueuedMark | QueuedAudio)[] = [];
  private bufferedBytes = 0;
  /**
   * What playFrame returns, reused every slot (fifty times a second per call, allocation
   * adds up): valid until the next playFrame, copy what you keep.
   */
  private readonly frame = new Uint8Array(BYTES_PER_FRAME);
  private readonly played: PlayedFrame = { audio: null, marks: NO_MARKS };

  get bufferedMs(): number {
    return this.bufferedBytes / 8;
  }

  hasAudio(): boolean {
    return this.bufferedBytes > 0;
  }

  pushAudio(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push({ kind: 'audio', bytes, offset: 0 });
    this.bufferedBytes += bytes.length;
  }

  /** Queues a mark; returns true when nothing is ahead of it, so it is reached at once. */
  pushMark(name: string, sentAt: number): boolean {
    if (this.queue.length === 0) return true;
    this.queue.push({ kind: 'mark', name, sentAt });
    return false;
  }

  /**
   * Plays one 20 ms slot. Marks at the head were reached when the audio before them finished
   * in an earlier slot, so they come out before this slot's audio is taken. The result and
   * its audio are valid until the next call.
   */
  playFrame(): PlayedFrame {
    const played = this.played;
    played.marks = this.queue[0]?.kind === 'mark' ? this.takeReachedMarks() : NO_MARKS;
    if (this.bufferedBytes === 0) {
      played.audio = null;
      return played;
    }
    const frame = this.frame;
    let filled = 0;
    while (filled < BYTES_PER_FRAME) {
      const head = this.queue[0];
      if (!head || head.kind === 'mark') break;
      const take = Math.min(BYTES_PER_FRAME - filled, head.bytes.length - head.offset);
      for (let i = 0; i < take; i++) frame[filled + i] = head.bytes[head.offset + i]!;
      head.offset += take;
      filled += take;
      this.bufferedBytes -= take;
      if (head.offset === head.bytes.length) this.queue.shift();
    }
    // A short slot (audio ran out, or a mark follows) is padded with μ-law silence.
    frame.fill(0xff, filled);
    played.audio = frame;
    return played;
  }

  /** Drops all queued audio; returns every pending mark (to echo now) and how much audio was dropped. */
  clear(): { marks: QueuedMark[]; droppedMs: number } {
    const marks = this.queue.filter((item): item is QueuedMark => item.kind === 'mark');
    const droppedMs = this.bufferedMs;
    this.queue.length = 0;
    this.bufferedBytes = 0;
    return { marks, droppedMs };
  }

  private takeReachedMarks(): QueuedMark[] {
    const marks: QueuedMark[] = [];
    while (this.queue[0]?.kind === 'mark') marks.push(this.queue.shift() as QueuedMark);
    return marks;
  }
}
