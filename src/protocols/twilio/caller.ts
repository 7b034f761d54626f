/**
 * Twilio's side of one Media Streams call: `connected` and `start`, then a `media` frame
 * every 20 ms for the whole call (caller audio while a turn plays, μ-law silence otherwise),
 * `dtmf` key presses, and `stop` on hang-up. The bot's audio goes through a real-time
 * playback buffer, so what the engine hears is what a caller would hear, when they would.
 */
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import { performance } from 'node:perf_hooks';
import { mulawDecode, mulawEncode } from '../../audio/g711.ts';
import type { Prompt } from '../../audio/types.ts';
import { sharedPacer, type Pacer } from '../../clock/pacer.ts';
import { openSocket } from '../connect.ts';
import type { CallClock, CallerSession, CallSetup, CallSink, PlayResult } from '../session.ts';
import { newSid } from './ids.ts';
import { readBinaryFrame, readTextFrame, type Inbound } from './inbound.ts';
import {
  CONNECTED_MESSAGE,
  dtmfMessage,
  markEchoMessage,
  mediaTemplate,
  startMessage,
  stopMessage,
  type StreamIds,
} from './messages.ts';
import { BYTES_PER_FRAME, PlaybackBuffer } from './playback.ts';

const SILENCE_PAYLOAD = Buffer.alloc(BYTES_PER_FRAME, 0xff).toString('base64');
/** Slots between two key presses, and for a `w` pause: 100 ms and 500 ms, like a person dialling. */
const DTMF_GAP_SLOTS = 5;
const DTMF_PAUSE_SLOTS = 25;

/** A prompt cut into frames once: the base64 payloads to send and the PCM to record. */
interface EncodedPrompt {
  payloads: string[];
  pcm: Int16Array[];
}
const encodedPrompts = new WeakMap<Prompt, EncodedPrompt>();

function encodePrompt(prompt: Prompt): EncodedPrompt {
  const cached = encodedPrompts.get(prompt);
  if (cached) return cached;
  const samples = prompt.samples;
  const frameCount = Math.max(1, Math.ceil(samples.length / BYTES_PER_FRAME));
  const payloads: string[] = [];
  const pcm: Int16Array[] = [];
  for (let i = 0; i < frameCount; i++) {
    const frame = new Int16Array(BYTES_PER_FRAME);
    frame.set(samples.subarray(i * BYTES_PER_FRAME, (i + 1) * BYTES_PER_FRAME));
    pcm.push(frame);
    payloads.push(Buffer.from(mulawEncode(frame)).toString('base64'));
  }
  const encoded = { payloads, pcm };
  encodedPrompts.set(prompt, encoded);
  return encoded;
}

interface Playing {
  prompt: EncodedPrompt;
  index: number;
  startedAt: number;
  onFirstFrame?: (t: number) => void;
  resolve: (result: PlayResult) => void;
}

interface PendingKey {
  digit: string;
  resolve?: () => void;
}

export interface TwilioOptions {
  accountSid?: string;
  callSid?: string;
  streamSid?: string;
}

export class TwilioCallerSession implements CallerSession {
  readonly audioRate = 8000;
  readonly ids: StreamIds;
  private socket: WebSocket | null = null;
  private sequenceNumber = 0;
  private chunk = 0;
  private streamStartedAt = 0;
  private readonly media: ReturnType<typeof mediaTemplate>;
  private readonly playback = new PlaybackBuffer();
  private readonly plays: Playing[] = [];
  private readonly keys: PendingKey[] = [];
  private keyWaitSlots = 0;
  private stopped = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly setup: CallSetup,
    private readonly clock: CallClock,
    private readonly sink: CallSink,
    private readonly pacer: Pacer = sharedPacer,
  ) {
    const options = setup.options as TwilioOptions;
    this.ids = {
      accountSid: options.accountSid ?? newSid('AC'),
      callSid: options.callSid ?? newSid('CA'),
      streamSid: options.streamSid ?? newSid('MZ'),
    };
    this.media = mediaTemplate(this.ids.streamSid);
  }

  async connect(): Promise<void> {
    const socket = await openSocket(this.setup.target, { timeoutMs: this.setup.connectTimeout });
    this.socket = socket;
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('error', (error) => this.sink.event({ type: 'info', t: this.clock.now(), message: `socket error: ${error.message}` }));
    this.send(CONNECTED_MESSAGE, 'connected', JSON.parse(CONNECTED_MESSAGE));
    this.streamStartedAt = performance.now();
    const start = startMessage(++this.sequenceNumber, this.ids, this.setup.parameters);
    this.send(start, 'start', JSON.parse(start));
    this.unsubscribe = this.pacer.add((_slot, slotTime) => this.tick(slotTime));
  }

  play(prompt: Prompt, onFirstFrame?: (t: number) => void): Promise<PlayResult> {
    if (!this.isOpen()) return Promise.resolve({ startedAt: this.clock.now(), endedAt: this.clock.now(), interrupted: true });
    return new Promise((resolve) => this.plays.push({ prompt: encodePrompt(prompt), index: 0, startedAt: 0, onFirstFrame, resolve }));
  }

  sendDtmf(digits: string): Promise<void> {
    if (!this.isOpen() || digits.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const chars = [...digits];
      chars.forEach((digit, i) => this.keys.push({ digit, resolve: i === chars.length - 1 ? resolve : undefined }));
    });
  }

  async hangup(): Promise<void> {
    if (this.stopped || !this.socket) return;
    this.stopped = true;
    const stop = stopMessage(++this.sequenceNumber, this.ids);
    this.send(stop, 'stop', JSON.parse(stop));
    this.halt();
    const socket = this.socket;
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000, 'call ended');
    });
  }

  botPlaying(): boolean {
    return this.playback.hasAudio();
  }

  isOpen(): boolean {
    return this.socket !== null && !this.closed && !this.stopped;
  }

  dispose(): void {
    this.halt();
    if (this.socket && !this.closed) this.socket.terminate();
  }

  /** One 20 ms slot: send the caller's frame, play the bot's, report both. */
  private tick(slotTime: number): void {
    const t = slotTime - this.clock.origin;
    const callerPcm = this.sendCallerFrame(slotTime, t);
    this.pressNextKey();
    const played = this.playback.playFrame();
    for (const mark of played.marks) this.echoMark(mark.name, mark.sentAt, false);
    this.sink.frame(t, callerPcm, played.audio ? mulawDecode(played.audio) : null);
  }

  private sendCallerFrame(slotTime: number, t: number): Int16Array | null {
    const playing = this.plays[0];
    let payload = SILENCE_PAYLOAD;
    let pcm: Int16Array | null = null;
    if (playing) {
      if (playing.index === 0) {
        playing.startedAt = t;
        playing.onFirstFrame?.(t);
      }
      payload = playing.prompt.payloads[playing.index]!;
      pcm = playing.prompt.pcm[playing.index]!;
      playing.index++;
      if (playing.index === playing.prompt.payloads.length) {
        this.plays.shift();
        playing.resolve({ startedAt: playing.startedAt, endedAt: t, interrupted: false });
      }
    }
    const timestamp = Math.round(slotTime - this.streamStartedAt);
    this.socket!.send(this.media(++this.sequenceNumber, ++this.chunk, timestamp, payload));
    this.sink.wire({ t, dir: 'out', kind: 'media', data: null });
    return pcm;
  }

  private pressNextKey(): void {
    if (this.keyWaitSlots > 0) {
      this.keyWaitSlots--;
      return;
    }
    const key = this.keys.shift();
    if (!key) return;
    if (key.digit === 'w') {
      this.keyWaitSlots = DTMF_PAUSE_SLOTS;
    } else {
      const message = dtmfMessage(++this.sequenceNumber, this.ids.streamSid, key.digit);
      this.send(message, 'dtmf', JSON.parse(message));
      this.keyWaitSlots = DTMF_GAP_SLOTS;
    }
    key.resolve?.();
  }

  private receive(data: RawData, isBinary: boolean): void {
    const t = this.clock.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const inbound: Inbound = isBinary ? readBinaryFrame(bytes.length) : readTextFrame(bytes.toString('utf8'), this.ids.streamSid);
    this.sink.wire({ t, dir: 'in', kind: inbound.kind, data: inbound.raw });
    if (this.stopped) {
      this.sink.event({ type: 'violation', t, rule: 'after-stop', message: `bot sent ${inbound.kind} after the stream was stopped`, offending: inbound.raw });
      return;
    }
    for (const violation of inbound.violations) {
      this.sink.event({ type: 'violation', t, rule: violation.rule, message: violation.message, offending: inbound.raw });
    }
    const message = inbound.message;
    if (!message) return;
    if (message.event === 'media') {
      if (!this.playback.hasAudio()) this.sink.event({ type: 'botMedia', t, bytes: message.audio.length });
      this.playback.pushAudio(message.audio);
    } else if (message.event === 'mark') {
      if (this.playback.pushMark(message.name, t)) this.echoMark(message.name, t, false);
    } else {
      const { marks, droppedMs } = this.playback.clear();
      this.sink.event({ type: 'clear', t, droppedMs });
      for (const mark of marks) this.echoMark(mark.name, mark.sentAt, true);
    }
  }

  private echoMark(name: string, sentAt: number, cleared: boolean): void {
    if (!this.isOpen()) return;
    const message = markEchoMessage(++this.sequenceNumber, this.ids.streamSid, name);
    this.send(message, 'mark', JSON.parse(message));
    this.sink.event({ type: 'mark', t: this.clock.now(), name, sentAt, cleared });
  }

  private send(text: string, kind: string, data: unknown): void {
    this.socket!.send(text);
    this.sink.wire({ t: this.clock.now(), dir: 'out', kind, data });
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.clock.now();
    const by = this.stopped ? 'caller' : 'bot';
    this.halt();
    if (by === 'bot') this.sink.event({ type: 'hangup', t, reason: `bot closed the stream (code ${code}${reason ? `, ${reason}` : ''})` });
    this.sink.event({ type: 'closed', t, code, reason, by });
  }

  /** Stops the clock for this call and releases whoever waits on audio or keys. */
  private halt(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const now = this.clock.now();
    for (const playing of this.plays.splice(0)) playing.resolve({ startedAt: playing.startedAt || now, endedAt: now, interrupted: true });
    for (const key of this.keys.splice(0)) key.resolve?.();
  }
}
