/**
 * A congested path between Twilio and the bot, for bots that assume frames arrive evenly:
 * `bunch` holds the caller's frames back and sends them N at a time, `jitter` delays each
 * send by a random amount (never reordering). Everything convotest sends goes through the
 * same queue while shaping is on, as on one TCP connection. Frames released together are
 * written in one go (corked), so they also arrive together.
 */
import type WebSocket from 'ws';
import type { NetworkShape } from './options.ts';

interface Batch {
  messages: string[];
  /** performance-style ms (Date.now()) when it may go out. */
  releaseAt: number;
}

export class NetworkShaper {
  private group: string[] = [];
  private mediaInGroup = 0;
  private readonly queue: Batch[] = [];
  private lastRelease = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly shape: NetworkShape,
    private readonly random: () => number = Math.random,
  ) {}

  static needed(shape: NetworkShape): boolean {
    return shape.bunch > 1 || shape.jitter > 0;
  }

  send(text: string, isMedia: boolean): void {
    this.group.push(text);
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
      const due: string[] = [];
      while (this.queue.length > 0 && this.queue[0]!.releaseAt <= now) due.push(...this.queue.shift()!.messages);
      this.write(due);
      this.schedule();
    }, Math.max(0, this.queue[0]!.releaseAt - Date.now()));
  }

  private write(messages: string[]): void {
    if (messages.length === 0 || this.socket.readyState !== this.socket.OPEN) return;
    // ws exposes no cork; its net.Socket does. Without it each frame would be its own TCP write.
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    raw?.cork();
    for (const message of messages) this.socket.send(message);
    if (raw) process.nextTick(() => raw.uncork());
  }
}
