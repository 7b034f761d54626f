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
  /** Bytes of this message still to play; they wait in the buffer's ring, in order. */
  left: number;
}

export interface PlayedFrame {
  /** 160 bytes of μ-law heard in this slot, or null when nothing was playing. */
  audio: Uint8Array | null;
  /** Marks whose preceding audio has finished playing, in order. */
  marks: QueuedMark[];
}

const NO_MARKS: QueuedMark[] = [];
/** The ring's first size, taken when the bot first sends audio: 2 s, more than most bots keep ahead of real time. */
const RING_BYTES = 16 * 1024;

/**
 * The queued audio, copied into one ring per call rather than kept as each message's bytes.
 * A decoded message sits in Node's shared 8 KB buffer pool; held for the second or so a reply
 * takes to play, it carries its whole pool slab into V8's old generation. V8 counts such
 * slabs as external memory, and at hundreds of calls they made it collect the old generation
 * every few seconds, pausing every call's frames.
 */
class ByteRing {
  private store = new Uint8Array(0);
  /** Where the oldest unplayed byte is. */
  private start = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.store.length) this.grow(this.length + bytes.length);
    const store = this.store;
    const at = (this.start + this.length) % store.length;
    const first = Math.min(bytes.length, store.length - at);
    store.set(first === bytes.length ? bytes : bytes.subarray(0, first), at);
    if (first < bytes.length) store.set(bytes.subarray(first), 0);
    this.length += bytes.length;
  }

  /** Moves the oldest `count` bytes (at most `length`) into `into` at `offset`. */
  take(into: Uint8Array, offset: number, count: number): void {
    const store = this.store;
    let from = this.start;
    for (let i = 0; i < count; i++) {
      into[offset + i] = store[from]!;
      if (++from === store.length) from = 0;
    }
    this.start = from;
    this.length -= count;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
    // A bot that once sent minutes of audio ahead does not keep that much memory for the call.
    if (this.store.length > RING_BYTES) this.store = new Uint8Array(RING_BYTES);
  }

  private grow(needed: number): void {
    let size = Math.max(RING_BYTES, this.store.length * 2);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    const length = this.length;
    this.take(grown, 0, length);
    this.store = grown;
    this.start = 0;
    this.length = length;
  }
}

export class PlaybackBuffer {
  private readonly queue: (QueuedMark | QueuedAudio)[] = [];
  private readonly audio = new ByteRing();
  /**
   * What playFrame returns, reused every slot (fifty times a second per call, allocation
   * adds up): valid until the next playFrame, copy what you keep.
   */
  private readonly frame = new Uint8Array(BYTES_PER_FRAME);
  private readonly played: PlayedFrame = { audio: null, marks: NO_MARKS };

  get bufferedMs(): number {
    return this.audio.length / 8;
  }

  hasAudio(): boolean {
    return this.audio.length > 0;
  }

  /** Queues a copy of `bytes`: the caller may reuse them. */
  pushAudio(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push({ kind: 'audio', left: bytes.length });
    this.audio.push(bytes);
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
    if (this.audio.length === 0) {
      played.audio = null;
      return played;
    }
    const frame = this.frame;
    let filled = 0;
    while (filled < BYTES_PER_FRAME) {
      const head = this.queue[0];
      if (!head || head.kind === 'mark') break;
      const take = Math.min(BYTES_PER_FRAME - filled, head.left);
      this.audio.take(frame, filled, take);
      head.left -= take;
      filled += take;
      if (head.left === 0) this.queue.shift();
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
    this.audio.clear();
    return { marks, droppedMs };
  }

  private takeReachedMarks(): QueuedMark[] {
    const marks: QueuedMark[] = [];
    while (this.queue[0]?.kind === 'mark') marks.push(this.queue.shift() as QueuedMark);
    return marks;
  }
}
