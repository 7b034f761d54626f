/**
 * The caller's audio towards the bot: user streams and their chunks. The session says what
 * the caller does (open a stream, 20 ms of audio, close it); this turns that into wire
 * messages in the only order the Bot API allows: `userStream.start`, nothing until the bot's
 * `userStream.started`, the chunks, `userStream.stop`, nothing new until `userStream.stopped`.
 * Audio the caller speaks while the bot has not acknowledged yet waits in the outbox and is
 * sent in one go after the ack, as a gateway buffering the line would; so the caller's
 * timing stays real and a slow ack shows up as bot latency.
 */
import { bytesForMs, wavHeader, type MediaFormat } from './formats.ts';
import type { Violation } from './inbound.ts';

export interface UserStreamWire {
  start(): void;
  chunk(audio: Uint8Array): void;
  stop(): void;
  violation(violation: Violation): void;
}

type Op = { kind: 'start' } | { kind: 'chunk'; audio: Uint8Array } | { kind: 'stop' };
type WireState = 'idle' | 'starting' | 'open' | 'stopping';

export class UserStreams {
  /** The caller's side: a stream has been opened and not yet closed. */
  private open = false;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private needsHeader = false;
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
  }

  get isOpen(): boolean {
    return this.open;
  }

  openStream(): void {
    if (this.open) return;
    this.open = true;
    this.needsHeader = this.format.wav;
    this.push({ kind: 'start' });
  }

  /** Adds one slot of encoded caller audio to the open stream. */
  audio(bytes: Uint8Array): void {
    if (!this.open) return;
    this.parts.push(bytes);
    this.partBytes += bytes.length;
    if (this.partBytes >= this.chunkBytes) this.flushChunk();
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
    const header = this.needsHeader ? wavHeader(this.format) : null;
    this.needsHeader = false;
    const audio = new Uint8Array((header?.length ?? 0) + this.partBytes);
    let at = 0;
    if (header) {
      audio.set(header);
      at = header.length;
    }
    for (const part of this.parts) {
      audio.set(part, at);
      at += part.length;
    }
    this.parts = [];
    this.partBytes = 0;
    this.push({ kind: 'chunk', audio });
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
