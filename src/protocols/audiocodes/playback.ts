/**
 * The gateway's side of the bot's play streams: which stream is open, and a real-time buffer
 * of what the caller is about to hear. Each stream is decoded in its own format as it arrives
 * and queued as 16 kHz PCM, so a slot always plays 20 ms whatever the stream's rate or the
 * bot's chunk size. One stream may be open at a time; its rules are checked here and broken
 * ones come back as violations for the session to report.
 */
import { samplesPerFrame } from '../../audio/frames.ts';
import { CALL_RATE, StreamDecoder, type MediaFormat } from './formats.ts';
import type { Violation } from './inbound.ts';

const FRAME = samplesPerFrame(CALL_RATE);

interface OpenStream {
  id: string;
  /** Null when the stream's format cannot be decoded. */
  decoder: StreamDecoder | null;
  /** Cut off by barge-in: what still arrives for it is dropped, not played. */
  interrupted: boolean;
}

export class PlayStreams {
  private open: OpenStream | null = null;
  private readonly ended = new Set<string>();
  private readonly queue: Int16Array[] = [];
  /** Samples of queue[0] already played. */
  private offset = 0;
  private buffered = 0;
  private readonly frame = new Int16Array(FRAME);

  /** True while bot audio waits to be heard. */
  hasAudio(): boolean {
    return this.buffered > 0;
  }

  /**
   * True while the caller is hearing (or about to hear) a prompt: audio is buffered, or a
   * stream is open whose audio will be played. A stream cut off by barge-in does not count.
   */
  busy(): boolean {
    return this.buffered > 0 || (this.open !== null && !this.open.interrupted && this.open.decoder !== null);
  }

  get bufferedMs(): number {
    return (this.buffered * 1000) / CALL_RATE;
  }

  /** `format` is undefined when the stream's format cannot be decoded (its audio is then dropped). */
  start(id: string, format: MediaFormat | undefined): Violation | null {
    let violation: Violation | null = null;
    if (this.open) {
      violation = {
        rule: 'second-play-stream',
        message: `bot started play stream "${id}" while stream "${this.open.id}" was still open; send playStream.stop first`,
      };
      // Treat the old stream as stopped, so its buffered audio still plays before the new one.
      this.finish(this.open);
    } else if (this.ended.has(id)) {
      violation = { rule: 'reused-stream-id', message: `bot started play stream "${id}" again after stopping it` };
      this.ended.delete(id);
    }
    this.open = { id, decoder: format ? new StreamDecoder(format) : null, interrupted: false };
    return violation;
  }

  /** Queues a chunk; says whether it will be played (not when cut off or undecodable) and any violation. */
  chunk(id: string, audio: Uint8Array): { queued: boolean; violation: Violation | null } {
    const open = this.open;
    if (!open || open.id !== id) return { queued: false, violation: this.unknown(id, 'sent audio for') };
    if (open.interrupted || !open.decoder) return { queued: false, violation: null };
    this.enqueue(open.decoder.push(audio));
    return { queued: true, violation: null };
  }

  stop(id: string): Violation | null {
    const open = this.open;
    if (!open || open.id !== id) return this.unknown(id, 'stopped');
    this.finish(open);
    return null;
  }

  /**
   * Plays one 20 ms slot: 320 samples of 16 kHz PCM, or null when nothing is buffered. The
   * array is this player's own and is overwritten by the next slot (CallSink.frame: copy to keep).
   */
  playFrame(): Int16Array | null {
    if (this.buffered === 0) return null;
    const frame = this.frame;
    let filled = 0;
    while (filled < FRAME && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(FRAME - filled, head.length - this.offset);
      frame.set(head.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
      this.buffered -= take;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    // The stream's last slot: what it does not fill is silence.
    if (filled < FRAME) frame.fill(0, filled);
    return frame;
  }

  /**
   * Barge-in or abortPrompts: drops what is buffered, and whatever still arrives for the open
   * stream. Returns how much audio, in ms, the caller will now not hear.
   */
  interrupt(): number {
    const droppedMs = this.bufferedMs;
    this.queue.length = 0;
    this.offset = 0;
    this.buffered = 0;
    if (this.open) this.open.interrupted = true;
    return droppedMs;
  }

  private finish(stream: OpenStream): void {
    if (!stream.interrupted && stream.decoder) this.enqueue(stream.decoder.end());
    this.ended.add(stream.id);
    if (this.open === stream) this.open = null;
  }

  private enqueue(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.queue.push(samples);
    this.buffered += samples.length;
  }

  private unknown(id: string, action: string): Violation {
    if (this.ended.has(id)) {
      return { rule: 'closed-stream', message: `bot ${action} play stream "${id}" after stopping it` };
    }
    const open = this.open ? ` (the open stream is "${this.open.id}")` : ' (no stream is open)';
    return { rule: 'unknown-stream', message: `bot ${action} play stream "${id}", which it never started${open}` };
  }
}
