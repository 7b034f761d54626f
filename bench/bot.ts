/**
 * The benchmark bot, in its own process so its CPU is not the runner's. A Twilio Media
 * Streams bot that answers REPLY_DELAY_MS after the end of each caller utterance, and stamps
 * every caller frame on arrival on the machine-wide clock. Talks to bench/run.ts over IPC:
 *
 *   → { type: 'ready', url }                 once listening
 *   ← { type: 'report' }   → { type: 'report', ... }   per-call arrival and reply figures
 *   ← { type: 'arm' }      (the next connection's first frames are timed for the startup test)
 *   ← { type: 'first' }    → { type: 'first', connectedAt, firstMediaAt }
 *
 * Messages are read as bytes, with byte searches rather than strings and JSON.parse, on a bare
 * WebSocket server (bot-socket.ts): at 1000 calls the bot takes 50 000 frames a second on a
 * 2-core machine, and its CPU is CPU the runner does not get.
 */
import { startBenchServer, type BenchConnection } from './bot-socket.ts';
import { mulawEncode } from '../src/audio/g711.ts';
import { monoNow } from './clock.ts';
import { Histogram } from './histogram.ts';
import { REPLY_DELAY_MS, REPLY_MS, SILENT_PAYLOAD, SLOT_MS, tone } from './call-shape.ts';

const REPLY_CHUNK_BYTES = 1600; // 200 ms per media message
const MEDIA_PREFIX = Buffer.from('{"event":"media"', 'latin1');
const PAYLOAD_KEY = Buffer.from('"payload":"', 'latin1');
const SILENT_BYTES = Buffer.from(SILENT_PAYLOAD, 'latin1');
const QUOTE = 0x22;
const replyPayloads: string[] = [];
{
  const bytes = mulawEncode(tone(REPLY_MS));
  for (let i = 0; i < bytes.length; i += REPLY_CHUNK_BYTES) replyPayloads.push(Buffer.from(bytes.subarray(i, i + REPLY_CHUNK_BYTES)).toString('base64'));
}

export interface BotCallReport {
  streamSid: string;
  frames: number;
  /** Audio ms received per ms of real time, minus 1: the stream's drift. */
  rateError: number;
  /** For each reply: ms from the arrival of the end of the utterance to the reply going out. */
  replyDelays: number[];
}

export interface BotReport {
  type: 'report';
  calls: BotCallReport[];
  /** Arrival deviation of every caller frame from its call's 20 ms grid, ms. */
  arrival: ReturnType<Histogram['toJSON']>;
  cpuMs: number;
}

const arrival = new Histogram();
const finished: BotCallReport[] = [];
const open = new Set<BenchCall>();
let armed = false;
let first: { connectedAt: number; firstMediaAt: number } | null = null;
const cpuStart = process.cpuUsage();

class BenchCall {
  private streamSid = '';
  private arrivals = new Float64Array(1024);
  private frames = 0;
  private speaking = false;
  private readonly replyDelays: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private done = false;
  private readonly timed: boolean;

  constructor(private readonly socket: BenchConnection) {
    this.timed = armed;
    armed = false;
    if (this.timed) first = { connectedAt: monoNow(), firstMediaAt: NaN };
    open.add(this);
  }

  receive(bytes: Buffer, at: number): void {
    if (bytes.compare(MEDIA_PREFIX, 0, MEDIA_PREFIX.length, 0, MEDIA_PREFIX.length) === 0) return this.media(bytes, at);
    const text = bytes.toString('utf8');
    if (text.includes('"event":"start"')) {
      const message = JSON.parse(text) as { streamSid?: string; start?: { streamSid?: string } };
      this.streamSid = message.start?.streamSid ?? message.streamSid ?? '';
    }
  }

  private media(bytes: Buffer, at: number): void {
    if (this.timed && Number.isNaN(first!.firstMediaAt)) first!.firstMediaAt = at;
    if (this.frames === this.arrivals.length) {
      const grown = new Float64Array(this.arrivals.length * 2);
      grown.set(this.arrivals);
      this.arrivals = grown;
    }
    this.arrivals[this.frames++] = at;
    const payloadAt = bytes.indexOf(PAYLOAD_KEY) + PAYLOAD_KEY.length;
    const end = payloadAt + SILENT_BYTES.length;
    const silent = end < bytes.length && bytes.compare(SILENT_BYTES, 0, SILENT_BYTES.length, payloadAt, end) === 0 && bytes[end] === QUOTE;
    if (!silent) this.speaking = true;
    else if (this.speaking) {
      // The first silent frame after the tone: the caller's speech ended at this frame's slot.
      this.speaking = false;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.reply(at);
      }, REPLY_DELAY_MS);
      this.timers.add(timer);
    }
  }

  private reply(endOfSpeechAt: number): void {
    if (!this.socket.open) return;
    const sid = JSON.stringify(this.streamSid);
    const sentAt = monoNow();
    for (const payload of replyPayloads) this.socket.send(`{"event":"media","streamSid":${sid},"media":{"payload":"${payload}"}}`);
    // The send time rides in the mark's name, for BENCH_READ_DELAY (bench/read-delay.ts).
    this.socket.send(`{"event":"mark","streamSid":${sid},"mark":{"name":"reply-${this.replyDelays.length + 1}@${sentAt.toFixed(3)}"}}`);
    this.replyDelays.push(sentAt - endOfSpeechAt);
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    open.delete(this);
    for (const timer of this.timers) clearTimeout(timer);
    const n = this.frames;
    if (n === 0) return;
    // Deviation from the call's own 20 ms grid, anchored on its least-late frame: a perfect
    // sender delivers frame k exactly k slots after frame 0.
    let best = Infinity;
    for (let k = 0; k < n; k++) best = Math.min(best, this.arrivals[k]! - k * SLOT_MS);
    for (let k = 0; k < n; k++) arrival.add(this.arrivals[k]! - k * SLOT_MS - best);
    const span = this.arrivals[n - 1]! - this.arrivals[0]!;
    finished.push({
      streamSid: this.streamSid,
      frames: n,
      rateError: n > 1 && span > 0 ? ((n - 1) * SLOT_MS) / span - 1 : 0,
      replyDelays: this.replyDelays,
    });
    this.arrivals = new Float64Array(0);
  }
}

const { url } = await startBenchServer({
  now: monoNow,
  connection: (socket) => {
    const call = new BenchCall(socket);
    return { message: (bytes, at) => call.receive(bytes, at), close: () => call.finish() };
  },
});
process.send!({ type: 'ready', url });

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') {
    for (const call of [...open]) call.finish();
    const cpu = process.cpuUsage(cpuStart);
    const report: BotReport = { type: 'report', calls: finished.splice(0), arrival: arrival.toJSON(), cpuMs: (cpu.user + cpu.system) / 1000 };
    process.send!(report);
  } else if (message.type === 'arm') {
    armed = true;
    first = null;
  } else if (message.type === 'first') {
    process.send!({ type: 'first', ...(first ?? { connectedAt: NaN, firstMediaAt: NaN }) });
  }
});
process.on('disconnect', () => process.exit(0));
// Exit normally on SIGTERM, so a --cpu-prof profile gets written.
process.on('SIGTERM', () => process.exit(0));
