/**
 * The reference AudioCodes bot: a well-behaved Bot API (streaming mode) bot for the example
 * suites and the tests. Behaviour (documented in README.md, "The AudioCodes reference bot"):
 * - accepts the session in the first offered format it supports (all of raw/lpcm16,
 *   raw/lpcm16_8, raw/lpcm16_24, raw/mulaw, wav/mulaw); refuses with session.error if none;
 * - on the `start` event: if its parameters hold `bargeIn: true` (or "true"), sends a config
 *   activity turning barge-in on; then greets 200 ms later;
 * - every prompt is a play stream with altText; the menu is streamed in 500 ms chunks kept
 *   a second ahead of playback (a new prompt stops it first), every other prompt is one chunk
 *   (as AudioCodes' SDK does);
 * - acknowledges userStream.start/stop; its ear (TurnDetector: 60 ms audible starts speech,
 *   400 ms quiet ends it) sends userStream.speech.started/stopped;
 * - replies once per utterance, at whichever comes first: its ear hearing the end of speech,
 *   or userStream.stop after speech: a recognition "I would like a pizza", then 200 ms later
 *   "Sure. Anything else?";
 * - DTMF: collects keys until `#` or 700 ms without a key; "1" reads the menu, any other
 *   keys get "You pressed a key."; `*` says goodbye and sends a hangup activity (reason
 *   "caller pressed *"); `0` sends a transfer activity to sip:agent@pizza.example;
 * - barge-in (when on): caller speech during its prompt stops the prompt (playStream.stop
 *   of a menu still streaming);
 * - with a token configured, refuses upgrades without `Authorization: Bearer <token>` (401).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { samplesPerFrame } from '../audio/frames.ts';
import { bytesForMs, encodeSamples, mediaFormat, StreamDecoder, type MediaFormat } from '../protocols/audiocodes/formats.ts';
import type { RunningBot } from './twilio-bot.ts';
import { loadVoice, type Line, type Voice } from './voice.ts';
import { CallTimers } from './timers.ts';
import { TurnDetector } from './turn-detector.ts';

const THINK_MS = 200;
const DTMF_IDLE_MS = 700;
const STREAM_CHUNK_MS = 500;
const STREAM_LEAD_CHUNKS = 2;
const EAR_FRAME = samplesPerFrame(16000);

export const RECOGNIZED_TEXT = 'I would like a pizza';
export const TRANSFER_TARGET = 'sip:agent@pizza.example';
export const HANGUP_REASON = 'caller pressed *';
export const BOT_FORMATS = ['raw/lpcm16', 'raw/lpcm16_8', 'raw/lpcm16_24', 'raw/mulaw', 'wav/mulaw'];

/** What each recorded line says: sent as the play stream's altText. */
export const LINE_TEXT: Record<Line, string> = {
  greeting: 'Welcome to the pizza line. What would you like to order?',
  reply: 'Sure. Anything else?',
  'long-reply': 'We have margherita, pepperoni, four cheese, vegetarian, and a spicy special with jalapenos and extra onions tonight.',
  dtmf: 'You pressed a key.',
  goodbye: 'Thank you for calling. Goodbye.',
};

/** Lines encoded once per format, shared by every call of the bot. */
class Voices {
  private readonly byRate = new Map<number, Promise<Voice>>();
  private readonly encoded = new Map<string, { bytes: Uint8Array; durationMs: number }>();

  /** Loads the voice at the rate of `format` before the session is accepted, so prompts are ready. */
  async prepare(format: MediaFormat): Promise<void> {
    let voice = this.byRate.get(format.rate);
    if (!voice) this.byRate.set(format.rate, (voice = loadVoice(format.rate)));
    const lines = await voice;
    for (const line of Object.keys(LINE_TEXT) as Line[]) {
      const key = `${format.name}:${line}`;
      if (!this.encoded.has(key)) this.encoded.set(key, { bytes: encodeSamples(lines[line].samples, format), durationMs: lines[line].durationMs });
    }
  }

  get(format: MediaFormat, line: Line): { bytes: Uint8Array; durationMs: number } {
    return this.encoded.get(`${format.name}:${line}`)!;
  }
}

export async function startAudioCodesBot(options: { port?: number; host?: string; token?: string } = {}): Promise<RunningBot> {
  const voices = new Voices();
  const host = options.host ?? '127.0.0.1';
  const expected = options.token ? `Bearer ${options.token}` : null;
  const server = new WebSocketServer({
    port: options.port ?? 0,
    host,
    perMessageDeflate: false,
    verifyClient: expected ? (info, done) => (info.req.headers.authorization === expected ? done(true) : done(false, 401, 'Unauthorized')) : undefined,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (socket) => new AudioCodesBotCall(socket, voices));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://${host}:${port}/audiocodes`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

class AudioCodesBotCall {
  private conversationId = '';
  private format: MediaFormat | null = null;
  private bargeIn = false;
  private streams = 0;
  /** A prompt still being streamed, so barge-in can stop it. */
  private streaming: { id: string; timers: NodeJS.Timeout[] } | null = null;
  /** When the caller will have heard everything sent so far (estimated from prompt lengths). */
  private playingUntil = 0;
  private ear: TurnDetector | null = null;
  private decoder: StreamDecoder | null = null;
  /** The ear's next 20 ms frame, filled across chunks (the caller's chunks need not be 20 ms). */
  private readonly earFrame = new Int16Array(EAR_FRAME);
  private earFill = 0;
  private spoke = false;
  private answered = true;
  private digits = '';
  private dtmfTimer: NodeJS.Timeout | null = null;
  private readonly timers = new CallTimers();
  private ended = false;
  /** Messages are handled in order even while the voice for a new format loads. */
  private inbox: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly voices: Voices,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.inbox = this.inbox.then(() => this.receive(String(data))).catch(() => this.socket.terminate());
    });
    socket.on('close', () => this.cleanup());
    socket.on('error', () => this.cleanup());
  }

  private async receive(text: string): Promise<void> {
    let message: Record<string, any>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    // Valid JSON that is not a message (null, a number, a list): ignored like text that is not JSON.
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    if (this.ended) return;
    switch (message.type) {
      case 'session.initiate':
        await this.initiate(message);
        break;
      case 'activities':
        for (const activity of Array.isArray(message.activities) ? message.activities : []) this.activity(activity);
        break;
      case 'userStream.start':
        this.ear = new TurnDetector(
          () => this.speechStarted(),
          () => this.speechStopped(),
        );
        this.decoder = this.format ? new StreamDecoder(this.format) : null;
        this.earFill = 0;
        this.spoke = false;
        this.send({ type: 'userStream.started' });
        break;
      case 'userStream.chunk':
        if (typeof message.audioChunk === 'string') this.hear(Buffer.from(message.audioChunk, 'base64'));
        break;
      case 'userStream.stop':
        if (this.spoke) this.answer();
        this.ear = null;
        this.decoder = null;
        this.send({ type: 'userStream.stopped' });
        break;
      case 'connection.validate':
        this.send({ type: 'connection.validated', success: true });
        break;
      case 'session.end':
        this.ended = true;
        this.cleanup();
        this.socket.close(1000, 'session ended');
        break;
    }
  }

  private async initiate(message: Record<string, any>): Promise<void> {
    this.conversationId = String(message.conversationId ?? '');
    const offered: unknown[] = Array.isArray(message.supportedMediaFormats) ? message.supportedMediaFormats : ['raw/lpcm16'];
    const chosen = offered.find((name) => BOT_FORMATS.includes(String(name)));
    const format = mediaFormat(chosen);
    if (!format) {
      this.send({ type: 'session.error', reason: `none of the offered media formats is supported (offered: ${offered.join(', ')}; supported: ${BOT_FORMATS.join(', ')})` });
      return;
    }
    await this.voices.prepare(format);
    this.format = format;
    this.send({ type: 'session.accepted', mediaFormat: format.name });
  }

  private activity(activity: Record<string, any>): void {
    if (activity?.type !== 'event' || typeof activity.name !== 'string') return;
    const name = activity.name.toLowerCase();
    if (name === 'start') {
      const bargeIn = activity.parameters?.bargeIn;
      if (bargeIn === true || bargeIn === 'true') {
        this.bargeIn = true;
        this.sendActivity({ type: 'event', name: 'config', sessionParams: { bargeIn: true } });
      }
      this.later(THINK_MS, () => this.say('greeting'));
    } else if (name === 'dtmf') {
      for (const digit of String(activity.value ?? '')) this.key(digit);
    }
  }

  private hear(bytes: Uint8Array): void {
    if (!this.decoder || !this.ear) return;
    const samples = this.decoder.push(bytes);
    for (let at = 0; at < samples.length; ) {
      const take = Math.min(EAR_FRAME - this.earFill, samples.length - at);
      this.earFrame.set(samples.subarray(at, at + take), this.earFill);
      this.earFill += take;
      at += take;
      if (this.earFill === EAR_FRAME) {
        this.earFill = 0;
        this.ear.frame(this.earFrame);
      }
    }
  }

  private speechStarted(): void {
    this.spoke = true;
    this.answered = false;
    this.send({ type: 'userStream.speech.started' });
    if (this.bargeIn && this.playing()) this.stopPrompt();
  }

  private speechStopped(): void {
    this.send({ type: 'userStream.speech.stopped' });
    this.answer();
  }

  /** Once per utterance: what it "heard", then the reply. */
  private answer(): void {
    if (this.answered) return;
    this.answered = true;
    this.send({ type: 'userStream.speech.recognition', alternatives: [{ text: RECOGNIZED_TEXT, confidence: 0.93 }] });
    this.later(THINK_MS, () => this.say('reply'));
  }

  private key(digit: string): void {
    this.timers.cancel(this.dtmfTimer);
    this.dtmfTimer = null;
    if (digit === '*') {
      this.digits = '';
      this.say('goodbye');
      // The gateway hangs up once the goodbye has been heard.
      this.sendActivity({ type: 'event', name: 'hangup', activityParams: { hangupReason: HANGUP_REASON } });
      return;
    }
    if (digit === '0') {
      this.digits = '';
      this.later(THINK_MS, () => this.sendActivity({ type: 'event', name: 'transfer', activityParams: { transferTarget: TRANSFER_TARGET } }));
      return;
    }
    if (digit !== '#') this.digits += digit;
    const answer = () => {
      const keys = this.digits;
      this.digits = '';
      if (keys === '') return;
      this.say(keys === '1' ? 'long-reply' : 'dtmf');
    };
    if (digit === '#') this.later(THINK_MS, answer);
    else this.dtmfTimer = this.later(DTMF_IDLE_MS, answer);
  }

  private say(line: Line): void {
    const format = this.format;
    if (!format || this.ended) return;
    const { bytes, durationMs } = this.voices.get(format, line);
    this.endStream();
    const streamId = String(++this.streams);
    this.send({ type: 'playStream.start', streamId, mediaFormat: format.name, altText: LINE_TEXT[line] });
    const now = performance.now();
    this.playingUntil = Math.max(now, this.playingUntil) + durationMs;
    if (line !== 'long-reply') {
      this.sendChunk(streamId, bytes);
      this.send({ type: 'playStream.stop', streamId });
      return;
    }
    // Streamed like live TTS, so barge-in has something to stop.
    const size = bytesForMs(format, STREAM_CHUNK_MS);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    const stream = { id: streamId, timers: [] as NodeJS.Timeout[] };
    this.streaming = stream;
    chunks.forEach((chunk, i) => {
      const last = i === chunks.length - 1;
      const send = () => {
        this.sendChunk(streamId, chunk);
        if (last) {
          this.send({ type: 'playStream.stop', streamId });
          if (this.streaming === stream) this.streaming = null;
        }
      };
      if (i < STREAM_LEAD_CHUNKS) send();
      else stream.timers.push(this.later((i - STREAM_LEAD_CHUNKS + 1) * STREAM_CHUNK_MS, send));
    });
  }

  private playing(): boolean {
    return performance.now() < this.playingUntil;
  }

  /** Barge-in: the caller hears nothing more of what was sent. */
  private stopPrompt(): void {
    this.playingUntil = performance.now();
    this.endStream();
  }

  /** Stops sending a prompt still streaming (one play stream may be open at a time). */
  private endStream(): void {
    const stream = this.streaming;
    if (!stream) return;
    this.streaming = null;
    for (const timer of stream.timers) this.timers.cancel(timer);
    this.send({ type: 'playStream.stop', streamId: stream.id });
  }

  private sendChunk(streamId: string, bytes: Uint8Array): void {
    this.send({ type: 'playStream.chunk', streamId, audioChunk: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') });
  }

  private sendActivity(activity: Record<string, unknown>): void {
    this.send({ type: 'activities', activities: [{ id: `bot-${Date.now()}`, timestamp: new Date().toISOString(), ...activity }] });
  }

  private send(message: Record<string, unknown>): void {
    if (this.ended || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify({ ...message, conversationId: this.conversationId }));
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    return this.timers.later(ms, fn);
  }

  private cleanup(): void {
    this.timers.clear();
    this.streaming = null;
  }
}
