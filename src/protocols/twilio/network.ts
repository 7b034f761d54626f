/**
 * A congested path between Twilio and the bot, for bots that assume frames arrive evenly:
 * `bunch` holds the caller's frames back and sends them N at a time, `jitter` delays each
 * send by a random amount (never reordering). Everything convotest sends goes through the
 * same queue while shaping is on, as on one TCP connection. Frames released together are
 * written in one go (corked), so they also arrive together. It holds whole WebSocket frames
 * (see ../ws-frame.ts) and writes them on the socket under the WebSocket.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { NetworkShape } from './options.ts';

interface Batch {
  messages: Buffer[];
  /** performance-style ms (Date.now()) when it may go out. */
  releaseAt: number;
}

export class NetworkShaper {
  private group: Buffer[] = [];
  private mediaInGroup = 0;
  private readonly queue: Batch[] = [];
  private lastRelease = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Duplex,
    private readonly shape: NetworkShape,
    private readonly random: () => number = Math.random,
  ) {}

  static needed(shape: NetworkShape): boolean {
    return shape.bunch > 1 || shape.jitter > 0;
  }

  send(frame: Buffer, isMedia: boolean): void {
    this.group.push(frame);
    if (isMedia) this.mediaInGroup++;
    if (this.mediaInGroup >= this.shape.bunch || (!isMedia && this.shape.bunch === 1)) this.closeGroup();
  }

  /** Sends everything held back, now (before `stop`, or when the call ends). */
  flush(): void {
    this.closeGroup();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) this.write(this.queue.shift()!.messages);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.group = [];
  }

  private closeGroup(): void {
    if (this.group.length === 0) return;
    const messages = this.group;
    this.group = [];
    this.mediaInGroup = 0;
    if (this.shape.jitter <= 0) {
      this.write(messages);
      return;
    }
    // Never earlier than the batch before it: a delayed frame holds back the ones after it.
    const releaseAt = Math.max(this.lastRelease, Date.now() + this.random() * this.shape.jitter);
    this.lastRelease = releaseAt;
    const last = this.queue[this.queue.length - 1];
    if (last && last.releaseAt === releaseAt) last.messages.push(...messages);
    else this.queue.push({ messages, releaseAt });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      const due: Buffer[] = [];
      while (this.queue.length > 0 && this.queue[0]!.releaseAt <= now) due.push(...this.queue.shift()!.messages);
      this.write(due);
      this.schedule();
    }, Math.max(0, this.queue[0]!.releaseAt - Date.now()));
  }

  private write(frames: Buffer[]): void {
    if (frames.length === 0 || this.socket.readyState !== this.socket.OPEN) return;
    // Corked, the frames leave in one TCP write instead of one each.
    this.raw.cork();
    for (const frame of frames) this.raw.write(frame);
    process.nextTick(() => this.raw.uncork());
  }
}
