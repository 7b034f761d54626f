/**
 * The caller's audio towards the bot: user streams and their chunks. The session says what
 * the caller does (open a stream, 20 ms of audio, close it); this turns that into wire
 * messages in the only order the Bot API allows: `userStream.start`, nothing until the bot's
 * `userStream.started`, the chunks, `userStream.stop`, nothing new until `userStream.stopped`.
 * Audio the caller speaks while the bot has not acknowledged yet waits in the outbox and is
 * sent in one go after the ack, as a gateway buffering the line would; so the caller's
 * timing stays real and a slow ack shows up as bot latency.
 */
import { bytesForMs, WAV_HEADER_BYTES, wavHeader, type MediaFormat } from './formats.ts';
import type { Violation } from './inbound.ts';

export interface UserStreamWire {
  start(): void;
  /** `audio` may be read only until chunk() returns: its buffer is reused for the next chunk. */
  chunk(audio: Buffer): void;
  stop(): void;
  violation(violation: Violation): void;
}

type Op = { kind: 'start' } | { kind: 'chunk'; audio: Buffer } | { kind: 'stop' };
type WireState = 'idle' | 'starting' | 'open' | 'stopping';

/** Room for a WAV header in front of a chunk's audio. */
const HEADER_ROOM = WAV_HEADER_BYTES;

export class UserStreams {
  /** The caller's side: a stream has been opened and not yet closed. */
  private open = false;
  /**
   * The chunk being filled, reused for every chunk: a WAV header's room, then the audio
   * (only the first chunk of a wav/* stream goes out with the header in front).
   */
  private readonly pending: Buffer;
  private partBytes = 0;
  private needsHeader = false;
  private readonly header: Uint8Array | null;
  private readonly chunkBytes: number;

  /** The wire's side. */
  private state: WireState = 'idle';
  private since = 0;
  private readonly outbox: Op[] = [];
  /** An ack given up on: the one that arrives late is not a second violation. */
  private lateAck: 'userStream.started' | 'userStream.stopped' | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly format: MediaFormat,
    chunkMs: number,
    private readonly ackTimeoutMs: number,
    private readonly wire: UserStreamWire,
    private readonly now: () => number,
  ) {
    this.chunkBytes = bytesForMs(format, chunkMs);
    this.header = format.wav ? wavHeader(format) : null;
    this.pending = Buffer.alloc(HEADER_ROOM + this.chunkBytes);
  }

  get isOpen(): boolean {
    return this.open;
  }

  openStream(): void {
    if (this.open) return;
    this.open = true;
    // Audio left over from a stream given up on (its start never acknowledged) is not this one's.
    this.partBytes = 0;
    this.needsHeader = this.format.wav;
    this.push({ kind: 'start' });
  }

  /** Adds one slot of encoded caller audio to the open stream (copied: the caller may reuse `bytes`). */
  audio(bytes: Uint8Array): void {
    if (!this.open) return;
    for (let at = 0; at < bytes.length; ) {
      const take = Math.min(bytes.length - at, this.chunkBytes - this.partBytes);
      this.pending.set(bytes.subarray(at, at + take), HEADER_ROOM + this.partBytes);
      this.partBytes += take;
      at += take;
      if (this.partBytes === this.chunkBytes) this.flushChunk();
    }
  }

  closeStream(): void {
    if (!this.open) return;
    this.flushChunk();
    this.open = false;
    this.push({ kind: 'stop' });
  }

  /** The bot's `userStream.started`. */
  started(): Violation | null {
    if (this.state !== 'starting') return this.unexpected('userStream.started', 'no userStream.start was waiting for it');
    this.state = 'open';
    this.drain();
    return null;
  }

  /** The bot's `userStream.stopped`. */
  stopped(): Violation | null {
    if (this.state !== 'stopping') return this.unexpected('userStream.stopped', 'no userStream.stop was waiting for it');
    this.state = 'idle';
    this.drain();
    return null;
  }

  /** Called every slot: an ack that does not come in time is a violation, and the line moves on. */
  checkTimeouts(): void {
    if (this.state !== 'starting' && this.state !== 'stopping') return;
    if (this.now() - this.since < this.ackTimeoutMs) return;
    const seconds = `${this.ackTimeoutMs / 1000}s`;
    if (this.state === 'starting') {
      this.wire.violation({ rule: 'user-stream-not-started', message: `bot did not answer userStream.start with userStream.started within ${seconds}; that turn's audio was not sent` });
      this.lateAck = 'userStream.started';
      // Nothing of this stream can go out now: drop it up to and including its stop.
      const stop = this.outbox.findIndex((op) => op.kind === 'stop');
      this.outbox.splice(0, stop < 0 ? this.outbox.length : stop + 1);
      if (stop < 0) this.open = false;
    } else {
      this.wire.violation({ rule: 'user-stream-not-stopped', message: `bot did not answer userStream.stop with userStream.stopped within ${seconds}` });
      this.lateAck = 'userStream.stopped';
    }
    this.state = 'idle';
    this.drain();
  }

  /** Resolves once every stream has been stopped and acknowledged (or given up on). */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Gives up on whatever is pending (the call is over). */
  abandon(): void {
    this.outbox.length = 0;
    this.open = false;
    this.state = 'idle';
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private isSettled(): boolean {
    return !this.open && this.state === 'idle' && this.outbox.length === 0;
  }

  private flushChunk(): void {
    if (this.partBytes === 0) return;
    let from = HEADER_ROOM;
    if (this.needsHeader && this.header) {
      from -= this.header.length;
      this.pending.set(this.header, from);
    }
    this.needsHeader = false;
    const audio = this.pending.subarray(from, HEADER_ROOM + this.partBytes);
    this.partBytes = 0;
    // The usual case, a stream open and nothing waiting: out now, straight from the reused buffer.
    if (this.state === 'open' && this.outbox.length === 0) this.wire.chunk(audio);
    else this.push({ kind: 'chunk', audio: Buffer.from(audio) });
  }

  private push(op: Op): void {
    this.outbox.push(op);
    this.drain();
  }

  private drain(): void {
    while (this.outbox.length > 0) {
      const op = this.outbox[0]!;
      if (op.kind === 'start') {
        if (this.state !== 'idle') break;
        this.state = 'starting';
        this.since = this.now();
        this.outbox.shift();
        this.wire.start();
      } else {
        if (this.state !== 'open') break;
        this.outbox.shift();
        if (op.kind === 'chunk') {
          this.wire.chunk(op.audio);
        } else {
          this.state = 'stopping';
          this.since = this.now();
          this.wire.stop();
        }
      }
    }
    if (this.isSettled()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private unexpected(type: 'userStream.started' | 'userStream.stopped', why: string): Violation | null {
    if (this.lateAck === type) {
      this.lateAck = null;
      return null;
    }
    return { rule: 'unexpected-ack', message: `bot sent ${type}, but ${why}` };
  }
}
