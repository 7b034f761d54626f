/**
 * The baseline: the obvious way to write a Twilio caller, to show what convotest's design
 * buys. Per call a `setInterval(20)`; per frame the audio is μ-law encoded, base64'd and
 * wrapped with JSON.stringify; every bot message goes through JSON.parse; the recording is
 * kept in memory and written at hang-up; latency is "now" minus the moment the first
 * silent frame after the caller's speech went out. Same calls, same arrivals, same bot.
 *
 * Usage (by bench/run.ts): node --import tsx bench/baseline.ts '<RunnerConfig JSON>'
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { mulawDecode, mulawEncode } from '../src/audio/g711.ts';
import { arrivals } from '../src/engine/load-schedule.ts';
import { REPLY_MS, tone, TONE_MS } from './call-shape.ts';
import { Histogram } from './histogram.ts';
import { startProcessMeter } from './process-meter.ts';
import type { RunnerCall, RunnerConfig, RunnerReport } from './protocol.ts';

const config = JSON.parse(process.argv[2]!) as RunnerConfig;
const send = new Histogram();
let maxQueuedBytes = 0;
const TONE = tone(TONE_MS);
const FRAME = 160;
/** How long the caller waits after the reply starts before speaking again: reply + hangover. */
const QUIET_AFTER_REPLY_MS = REPLY_MS + 300;

class BaselineCall {
  private readonly socket: WebSocket;
  private readonly streamSid = `MZ${Math.random().toString(16).slice(2).padEnd(32, '0')}`;
  private timer: NodeJS.Timeout | null = null;
  private sequence = 0;
  private chunk = 0;
  private firstTickAt = 0;
  private turn = 0;
  private toneFrame = -1;
  private speechEndAt = 0;
  private waitingForReply = false;
  private readonly heard: Buffer[] = [];
  private readonly callerTrack: Int16Array[] = [];
  private readonly botTrack: Int16Array[] = [];
  private readonly startedAt = performance.now();
  readonly firstMedia: (number | null)[] = [];
  readonly done: Promise<RunnerCall>;

  constructor(url: string) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.done = new Promise((resolve) => {
      this.socket.on('open', () => this.begin());
      this.socket.on('message', (data) => this.receive(String(data)));
      this.socket.on('close', () => resolve(this.end()));
      this.socket.on('error', () => undefined);
    });
  }

  private begin(): void {
    this.socket.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    this.socket.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++this.sequence),
        start: { accountSid: 'AC0', streamSid: this.streamSid, callSid: 'CA0', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: {} },
        streamSid: this.streamSid,
      }),
    );
    this.firstTickAt = performance.now() + 20;
    this.timer = setInterval(() => this.tick(), 20);
    this.startTurn();
  }

  private startTurn(): void {
    if (this.turn === config.turns) return this.hangup();
    this.turn++;
    this.toneFrame = 0;
  }

  private tick(): void {
    const ideal = this.firstTickAt + this.chunk * 20;
    let samples = new Int16Array(FRAME);
    if (this.toneFrame >= 0) {
      samples = TONE.slice(this.toneFrame * FRAME, (this.toneFrame + 1) * FRAME);
      if (++this.toneFrame * FRAME >= TONE.length) this.toneFrame = -1;
    } else if (this.toneFrame === -1 && this.speechEndAt === 0 && this.turn > this.firstMedia.length) {
      this.speechEndAt = -1; // this silent frame ends the caller's speech; stamped once sent
    }
    const payload = Buffer.from(mulawEncode(samples)).toString('base64');
    this.socket.send(
      JSON.stringify({
        event: 'media',
        sequenceNumber: String(++this.sequence),
        media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String((this.chunk - 1) * 20), payload },
        streamSid: this.streamSid,
      }),
    );
    const now = performance.now();
    send.add(now - ideal);
    if (this.socket.bufferedAmount > maxQueuedBytes) maxQueuedBytes = this.socket.bufferedAmount;
    if (this.speechEndAt === -1) {
      this.speechEndAt = now;
      this.waitingForReply = true;
    }
    this.callerTrack.push(samples);
    const bot = this.heard.shift();
    this.botTrack.push(bot ? mulawDecode(bot) : new Int16Array(FRAME));
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as { event: string; media?: { payload: string } };
    if (message.event !== 'media' || !message.media) return;
    const bytes = Buffer.from(message.media.payload, 'base64');
    for (let i = 0; i < bytes.length; i += FRAME) this.heard.push(bytes.subarray(i, i + FRAME));
    if (this.waitingForReply) {
      this.waitingForReply = false;
      this.firstMedia.push(performance.now() - this.speechEndAt);
      setTimeout(() => {
        this.speechEndAt = 0;
        this.startTurn();
      }, QUIET_AFTER_REPLY_MS);
    }
  }

  private hangup(): void {
    this.socket.send(JSON.stringify({ event: 'stop', sequenceNumber: String(++this.sequence), stop: { accountSid: 'AC0', callSid: 'CA0' }, streamSid: this.streamSid }));
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.socket.close(1000, 'call ended');
  }

  private async end(): Promise<RunnerCall> {
    if (this.timer) clearInterval(this.timer);
    if (config.record) {
      const samples = this.callerTrack.length * FRAME;
      const stereo = new Int16Array(samples * 2);
      this.callerTrack.forEach((frame, f) => frame.forEach((s, i) => (stereo[2 * (f * FRAME + i)] = s)));
      this.botTrack.forEach((frame, f) => frame.forEach((s, i) => (stereo[2 * (f * FRAME + i) + 1] = s)));
      const dir = join(config.workDir, 'baseline-audio');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${this.streamSid}.raw`), new Uint8Array(stereo.buffer));
    }
    return {
      streamSid: this.streamSid,
      firstMedia: this.firstMedia,
      ear: [],
      durationMs: performance.now() - this.startedAt,
      passed: this.firstMedia.length === config.turns,
    };
  }
}

const meter = startProcessMeter();

const calls: Promise<RunnerCall>[] = [];
for (const arrival of arrivals({ rate: config.rate, rampMs: 0, calls: config.calls })) {
  const wait = arrival.at - (performance.now() - meter.startedAt);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  calls.push(new BaselineCall(config.botUrl).done);
}
const results = await Promise.all(calls);

const report: RunnerReport = { type: 'result', send: send.toJSON(), calls: results, maxQueuedBytes, ...meter.stop() };
process.send!(report, () => process.exit(0));
