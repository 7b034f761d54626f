/**
 * Twilio's side of one Media Streams call: the voice webhook and its TwiML when the target is
 * http(s)://, then `connected` and `start`, a `media` frame every 20 ms for the whole call
 * (caller audio while a turn plays, μ-law silence otherwise), `dtmf` key presses, and `stop`
 * on hang-up. The bot's audio goes through a real-time playback buffer, so what the engine
 * hears is what a caller would hear, when they would. Everything the bot sends is checked
 * the way Twilio checks it (inbound.ts) and against what Twilio cannot see but a caller would
 * hear (payload.ts, audio after `clear`).
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import { performance } from 'node:perf_hooks';
import { splitFrames } from '../../audio/frames.ts';
import { mulawDecodeInto, mulawEncode } from '../../audio/g711.ts';
import type { Prompt } from '../../audio/types.ts';
import { sharedPacer, type Pacer } from '../../clock/pacer.ts';
import { Keypad } from '../keypad.ts';
import type { PromptPlay } from '../prompt-play.ts';
import { openSocket } from '../connect.ts';
import { rawSocketOf, textFrame, writeFrame } from '../ws-frame.ts';
import { MediaFrameEncoder } from './media-frame.ts';
import { redactUrl } from '../redact.ts';
import { CallRefusedError, CallSetupError, type CallClock, type CallerSession, type CallSetup, type CallSink, type PlayResult } from '../session.ts';
import { newSid } from './ids.ts';
import { frameBytes } from '../json-frame.ts';
import { prepareInboundValidator, readBinaryFrame, readTextFrame, type Inbound } from './inbound.ts';
import {
  CONNECTED_MESSAGE,
  dtmfMessage,
  markEchoMessage,
  startMessage,
  stopMessage,
  type StreamIds,
} from './messages.ts';
import { NetworkShaper } from './network.ts';
import { readTwilioOptions, type TwilioOptions } from './options.ts';
import { PayloadInspector, startsWithRiff } from './payload.ts';
import { BYTES_PER_FRAME, PlaybackBuffer } from './playback.ts';
import { openRestApi, type RestLease } from './rest-api.ts';
import { DEFAULT_SEVERITY, type TwilioRule } from './rules.ts';
import { signatureHeader } from './signature.ts';
import { StatusCallbacks } from './status-callback.ts';
import { checkOptionUrls, resolveCallbackUrl, resolveStreamUrl, type StreamTarget } from './stream-url.ts';
import { redactTwiml, type StreamMode } from './twiml.ts';
import { callWebhook } from './webhook.ts';

export type { TwilioOptions } from './options.ts';

/** base64 of 20 ms of μ-law silence, as the bytes that go into the frame. */
const SILENCE_PAYLOAD = Buffer.from(Buffer.alloc(BYTES_PER_FRAME, 0xff).toString('base64'), 'latin1');
/** The first few of each rule are recorded in full; a bot that repeats one on every frame would flood the report. */
const VIOLATIONS_PER_RULE = 5;
/**
 * Bot messages this soon after `stop` crossed it on the wire (the bot sent them before it
 * could know): not violations. A bot that ignores `stop` keeps sending well past this.
 */
const STOP_IN_FLIGHT_MS = 250;
/** How long a hang-up waits for the stream-stopped status callback to be answered. */
const CALLBACK_WAIT_MS = 2_000;

/** A prompt cut into frames once: the base64 payloads to send (as bytes) and the PCM to record. */
interface EncodedPrompt {
  payloads: Buffer[];
  pcm: Int16Array[];
}
const encodedPrompts = new WeakMap<Prompt, EncodedPrompt>();

function encodePrompt(prompt: Prompt): EncodedPrompt {
  const cached = encodedPrompts.get(prompt);
  if (cached) return cached;
  // An empty prompt still takes one (silent) frame.
  const pcm = prompt.samples.length > 0 ? splitFrames(prompt.samples, BYTES_PER_FRAME) : [new Int16Array(BYTES_PER_FRAME)];
  const payloads = pcm.map((frame) => Buffer.from(Buffer.from(mulawEncode(frame)).toString('base64'), 'latin1'));
  const encoded = { payloads, pcm };
  encodedPrompts.set(prompt, encoded);
  return encoded;
}

interface Playing extends PromptPlay<EncodedPrompt> {
  /** Where the caller's speech ends for the latency anchor: the prompt's end when no speech was found in it. */
  anchorEndMs: number;
}

/** A play's speech end, reported once the frame it falls in (or before) has actually been sent. */
interface SpeechEndWatch {
  /** The stream slot (count of caller frames) whose send marks the end of speech. */
  slot: number;
  /** ms from that frame's start to the end of speech. */
  offset: number;
  /** The slot-based time, used when that frame is never sent. */
  fallback: number;
  report: (t: number) => void;
}

/** Where the stream goes and how it is set up, from the target itself or from the webhook's TwiML. */
interface StreamPlan {
  target: StreamTarget;
  mode: StreamMode;
  parameters: Record<string, string>;
  tracks: string[];
  statusCallback?: { url: string; method: 'GET' | 'POST'; name?: string };
}

export class TwilioCallerSession implements CallerSession {
  readonly audioRate = 8000;
  readonly ids: StreamIds;
  private readonly options: TwilioOptions;
  private socket: WebSocket | null = null;
  private sequenceNumber = 0;
  private chunk = 0;
  private streamStartedAt = 0;
  private readonly mediaFrames: MediaFrameEncoder;
  /** The socket under the WebSocket: what convotest sends is written there (see ws-frame.ts). */
  private raw: Duplex | null = null;
  private readonly playback = new PlaybackBuffer();
  private readonly plays: Playing[] = [];
  private readonly keypad = new Keypad();
  private stopped = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;
  private mode: StreamMode = 'connect';
  /** Caller media goes out only on streams with the inbound track. */
  private sendsInbound = true;
  private shaper: NetworkShaper | null = null;
  private callbacks: StatusCallbacks | null = null;
  private rest: RestLease | null = null;
  /** The bot ended the call through the REST API; convotest closed the stream for it. */
  private endedByBot = false;
  private readonly inspector = new PayloadInspector();
  private readonly violationCounts = new Map<string, number>();
  /** After a `clear`: bot audio arriving after `from` and before `until` was not in flight. */
  private clearWindow: { from: number; until: number } | null = null;
  private stoppedPosted = false;
  private stoppedAt = 0;
  /** Caller frames (slots) produced so far. */
  private callerSlots = 0;
  /** Whether the current slot's caller frame went out on the socket. */
  private sentThisSlot = false;
  private readonly speechEnds: SpeechEndWatch[] = [];
  /** The bot audio of the current slot as PCM, reused every slot (CallSink.frame says: copy to keep). */
  private readonly heard = new Int16Array(BYTES_PER_FRAME);

  constructor(
    private readonly setup: CallSetup,
    private readonly clock: CallClock,
    private readonly sink: CallSink,
    private readonly pacer: Pacer = sharedPacer,
  ) {
    this.options = readTwilioOptions(setup.options);
    this.ids = {
      accountSid: this.options.accountSid ?? newSid('AC'),
      callSid: this.options.callSid ?? newSid('CA'),
      streamSid: this.options.streamSid ?? newSid('MZ'),
    };
    this.mediaFrames = new MediaFrameEncoder(this.ids.streamSid);
    prepareInboundValidator();
  }

  async connect(): Promise<void> {
    let plan: StreamPlan;
    try {
      plan = await this.planStream();
    } catch (error) {
      if (this.refusedAsExpected(error, 'webhook')) return;
      throw error;
    }
    this.mode = plan.mode;
    this.sendsInbound = plan.tracks.includes('inbound');
    if (plan.statusCallback) {
      const { url, method, name } = plan.statusCallback;
      this.callbacks = new StatusCallbacks(url, method, this.ids, name, this.options, this.clock, this.sink, this.setup.connection?.tls);
    }
    if (this.options.restApi) await this.serveRestApi(plan.parameters);

    let socket: WebSocket;
    try {
      socket = await openSocket(plan.target.dial, {
        timeoutMs: this.setup.connectTimeout,
        headers: this.upgradeHeaders(plan.target),
        displayUrl: redactUrl(plan.target.dial),
        ...this.setup.connection,
      });
    } catch (error) {
      if (this.refusedAsExpected(error, 'WebSocket upgrade')) return;
      if (error instanceof CallSetupError) {
        this.callbacks?.post('stream-error', error.message);
        await this.callbacks?.settled();
      }
      throw error;
    }
    this.socket = socket;
    this.raw = rawSocketOf(socket) ?? null;
    if (!this.raw) throw new Error('convotest: the WebSocket opened without a socket under it');
    if (NetworkShaper.needed(this.options.network)) this.shaper = new NetworkShaper(socket, this.raw, this.options.network);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('error', (error) => this.sink.event({ type: 'info', t: this.clock.now(), message: `socket error: ${error.message}` }));
    socket.resume();
    this.send(CONNECTED_MESSAGE, 'connected', JSON.parse(CONNECTED_MESSAGE));
    if (this.options.startDelay > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.options.startDelay));
      if (this.closed) return;
    }
    this.streamStartedAt = performance.now();
    const start = startMessage(++this.sequenceNumber, this.ids, plan.parameters, plan.tracks);
    this.send(start, 'start', JSON.parse(start));
    this.callbacks?.post('stream-started');
    this.unsubscribe = this.pacer.add((_slot, slotTime) => this.tick(slotTime));
  }

  play(prompt: Prompt, onFirstFrame?: (t: number) => void, onSpeechEnd?: (t: number) => void): Promise<PlayResult> {
    if (!this.isOpen()) return Promise.resolve({ startedAt: this.clock.now(), endedAt: this.clock.now(), interrupted: true });
    const speechEndMs = prompt.speech ? prompt.speech.endMs : 0;
    const anchorEndMs = prompt.speech ? prompt.speech.endMs : prompt.durationMs;
    return new Promise((resolve) =>
      this.plays.push({ prompt: encodePrompt(prompt), index: 0, startedAt: 0, speechEndMs, anchorEndMs, onFirstFrame, onSpeechEnd, resolve }),
    );
  }

  sendDtmf(digits: string): Promise<void> {
    if (!this.isOpen() || digits.length === 0) return Promise.resolve();
    if (this.mode === 'start') {
      // Twilio sends dtmf only on bidirectional streams.
      this.sink.event({ type: 'info', t: this.clock.now(), message: `DTMF "${digits}" not sent: a <Start><Stream> carries no dtmf events` });
      return Promise.resolve();
    }
    return this.keypad.press(digits);
  }

  async hangup(): Promise<void> {
    if (this.stopped || !this.socket) return;
    this.stopped = true;
    this.stoppedAt = this.clock.now();
    this.shaper?.flush();
    const stop = stopMessage(++this.sequenceNumber, this.ids);
    this.send(stop, 'stop', JSON.parse(stop));
    this.shaper?.flush();
    this.halt();
    const socket = this.socket;
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.close(1000, this.endedByBot ? 'call completed' : 'call ended');
      });
    }
    await this.callbacksSettled();
  }

  botPlaying(): boolean {
    return this.playback.hasAudio();
  }

  isOpen(): boolean {
    return this.socket !== null && !this.closed && !this.stopped;
  }

  dispose(): void {
    this.halt();
    this.shaper?.dispose();
    if (this.socket && !this.closed) this.socket.terminate();
    void this.rest?.release();
    this.rest = null;
  }

  /** The target itself (ws://) or, for http(s)://, what the voice webhook's TwiML says. */
  private async planStream(): Promise<StreamPlan> {
    checkOptionUrls(this.options);
    const target = this.setup.target;
    const tracks = this.options.tracks;
    const callback = this.options.statusCallback ? { url: this.options.statusCallback, method: this.options.statusCallbackMethod } : undefined;
    if (!/^https?:/i.test(target)) {
      const signUrl = this.options.publicUrl ?? target;
      const hostHeader = this.options.publicUrl ? new URL(this.options.publicUrl).host : undefined;
      this.checkQuery(new URL(target).search !== '', target);
      return {
        target: { dial: target, signUrl, hostHeader, hasQuery: false },
        mode: 'connect',
        parameters: { ...this.setup.parameters },
        tracks: tracks ?? ['inbound'],
        statusCallback: callback,
      };
    }
    const t = this.clock.now();
    const { form, reply, plan } = await callWebhook({
      url: target,
      ids: this.ids,
      from: this.setup.from,
      to: this.setup.to,
      options: this.options,
      timeoutMs: this.setup.connectTimeout,
      tls: this.setup.connection?.tls,
    });
    this.sink.wire({ t, dir: 'out', kind: 'webhook', data: { method: 'POST', url: redactUrl(target), form } });
    const body = reply.body.length > 2000 ? `${reply.body.slice(0, 2000)}…` : reply.body;
    this.sink.wire({ t: this.clock.now(), dir: 'in', kind: 'twiml', data: { status: reply.status, body: redactTwiml(body) } });
    for (const verb of plan.before) this.sink.event({ type: 'info', t: this.clock.now(), message: `TwiML before the stream: ${verb.summary} (not played)` });
    const stream = plan.stream;
    const policy = { webhookUrl: target, allowHosts: this.options.allowHosts, streamHost: this.options.streamHost };
    const streamTarget = resolveStreamUrl(stream.url, policy);
    this.checkQuery(streamTarget.hasQuery, stream.url);
    const kind = stream.mode === 'connect' ? '<Connect><Stream>' : `<Start><Stream${stream.track ? ` track="${stream.track}"` : ''}>`;
    this.sink.event({ type: 'info', t: this.clock.now(), message: `TwiML ${kind} to ${redactUrl(stream.url)}${streamTarget.dial !== stream.url ? `, dialled as ${redactUrl(streamTarget.dial)}` : ''}` });
    for (const verb of plan.after) this.sink.event({ type: 'info', t: this.clock.now(), message: `TwiML after <Start><Stream>: ${verb.summary} (not played)` });
    const fromTwiml = stream.statusCallback
      ? { url: resolveCallbackUrl(stream.statusCallback, policy), method: stream.statusCallbackMethod ?? 'POST', name: stream.name }
      : undefined;
    return {
      target: streamTarget,
      mode: stream.mode,
      parameters: { ...this.setup.parameters, ...stream.parameters },
      tracks: tracks ?? tracksOf(stream.track),
      statusCallback: callback ? { ...callback, name: stream.name } : fromTwiml,
    };
  }

  private checkQuery(hasQuery: boolean, url: string): void {
    if (!hasQuery) return;
    this.violation(
      this.clock.now(),
      'stream-url-query',
      `the stream URL ${redactUrl(url)} has a query string; Twilio does not allow one (pass values as <Parameter>s) and real calls fail the handshake`,
      redactUrl(url),
    );
  }

  private upgradeHeaders(target: StreamTarget): Record<string, string> {
    const headers = signatureHeader(this.options.signature, this.options.authToken, target.signUrl);
    if (target.hostHeader) headers['Host'] = target.hostHeader;
    return headers;
  }

  /**
   * With `signature: wrong` the bot is expected to refuse: its HTTP error ends the call as a
   * bot hang-up instead of a set-up error. The event is sent after connect() returns, so the
   * first turn, which starts right then, can expect it.
   */
  private refusedAsExpected(error: unknown, what: string): boolean {
    if (this.options.signature !== 'wrong' || !(error instanceof CallRefusedError)) return false;
    const reason = `the bot refused the wrongly signed ${what} with HTTP ${error.status}`;
    setImmediate(() => this.sink.event({ type: 'hangup', t: this.clock.now(), reason }));
    return true;
  }

  private async serveRestApi(parameters: Record<string, string>): Promise<void> {
    const rest = this.options.restApi!;
    const call = {
      accountSid: this.ids.accountSid,
      callSid: this.ids.callSid,
      from: this.setup.from,
      to: this.setup.to,
      authToken: this.options.authToken,
      onEnd: (how: string) => this.botEndedCall(how),
      onRequest: (summary: string) => this.sink.event({ type: 'info', t: this.clock.now(), message: summary }),
    };
    try {
      this.rest = await openRestApi(rest, call);
    } catch (error) {
      throw new CallSetupError((error as Error).message);
    }
    parameters[rest.parameter] = this.rest.baseUrl;
  }

  /** What Twilio does when the bot completes the call through the REST API: the stream stops. */
  private botEndedCall(how: string): void {
    if (!this.isOpen()) return;
    this.endedByBot = true;
    this.sink.event({ type: 'hangup', t: this.clock.now(), reason: `the bot ended the call through the REST API (${how})` });
    void this.hangup();
  }

  /** One 20 ms slot: send the caller's frame, play the bot's, report both. */
  private tick(slotTime: number): void {
    const t = slotTime - this.clock.origin;
    const callerPcm = this.sendCallerFrame(slotTime, t);
    this.keypad.tick(this.sendDigit);
    const played = this.playback.playFrame();
    for (const mark of played.marks) this.echoMark(mark.name, mark.sentAt, false);
    this.sink.frame(t, callerPcm, played.audio ? mulawDecodeInto(played.audio, this.heard) : null);
  }

  private readonly sendDigit = (digit: string): void => {
    const message = dtmfMessage(++this.sequenceNumber, this.ids.streamSid, digit);
    this.send(message, 'dtmf', JSON.parse(message));
  };

  private sendCallerFrame(slotTime: number, t: number): Int16Array | null {
    const pcm = this.produceCallerFrame(slotTime, t);
    this.callerSlots++;
    if (this.speechEnds.length > 0) this.reportSpeechEnds(t);
    return pcm;
  }

  /**
   * The bot hears the caller stop when the frame that ends the speech reaches it; a frame sent
   * late moves that moment, so latency is anchored on its actual send (its slot when nothing
   * was sent).
   */
  private watchSpeechEnd(playing: Playing, t: number): void {
    const frameMs = 20;
    const endMs = playing.anchorEndMs;
    const slot = Math.floor(endMs / frameMs);
    this.speechEnds.push({ slot: this.callerSlots + slot, offset: endMs - slot * frameMs, fallback: t + endMs, report: playing.onSpeechEnd! });
  }

  /** After the frame of `callerSlots - 1` went out (or did not): reports the speech ends it carried. */
  private reportSpeechEnds(t: number): void {
    const slot = this.callerSlots - 1;
    while (this.speechEnds.length > 0 && this.speechEnds[0]!.slot <= slot) {
      const watch = this.speechEnds.shift()!;
      watch.report((this.sentThisSlot ? this.clock.now() : t) + watch.offset);
    }
  }

  private produceCallerFrame(slotTime: number, t: number): Int16Array | null {
    this.sentThisSlot = false;
    const playing = this.plays[0];
    let payload: Buffer = SILENCE_PAYLOAD;
    let pcm: Int16Array | null = null;
    if (playing) {
      if (playing.index === 0) {
        playing.startedAt = t;
        playing.onFirstFrame?.(t);
        if (playing.onSpeechEnd) this.watchSpeechEnd(playing, t);
      }
      payload = playing.prompt.payloads[playing.index]!;
      pcm = playing.prompt.pcm[playing.index]!;
      playing.index++;
      if (playing.index === playing.prompt.payloads.length) {
        this.plays.shift();
        playing.resolve({ startedAt: playing.startedAt, endedAt: t, interrupted: false });
      }
    } else if (this.options.idle === 'none') {
      return null;
    }
    if (!this.sendsInbound) return pcm;
    const timestamp = Math.round(slotTime - this.streamStartedAt);
    const frame = this.mediaFrames.frame(++this.sequenceNumber, ++this.chunk, timestamp, payload);
    if (this.out(frame, true)) this.mediaFrames.recycle(frame);
    // Through a shaper the frame leaves later, on the shaper's schedule: keep the slot time.
    this.sentThisSlot = this.shaper === null;
    this.sink.wire({ t, dir: 'out', kind: 'media', data: null });
    return pcm;
  }

  private receive(data: RawData, isBinary: boolean): void {
    const t = this.clock.now();
    const bytes = frameBytes(data);
    const inbound: Inbound = isBinary ? readBinaryFrame(bytes.length) : readTextFrame(bytes.toString('utf8'), this.ids.streamSid);
    this.sink.wire({ t, dir: 'in', kind: inbound.kind, data: inbound.raw });
    if (this.stopped) {
      if (t - this.stoppedAt > STOP_IN_FLIGHT_MS) {
        this.violation(t, 'after-stop', `bot sent ${inbound.kind} ${Math.round(t - this.stoppedAt)}ms after the stream was stopped`, inbound.raw);
      }
      return;
    }
    for (const violation of inbound.violations) this.violation(t, violation.rule, violation.message, inbound.raw);
    const message = inbound.message;
    if (!message) return;
    if (this.mode === 'start') {
      this.violation(t, 'unidirectional', `bot sent ${message.event} on a <Start><Stream>, which is one-way: Twilio plays nothing back (use <Connect><Stream>)`, inbound.raw);
      return;
    }
    if (message.event === 'media') {
      this.inspectAudio(t, message.audio, inbound.raw);
      if (!this.playback.hasAudio()) this.sink.event({ type: 'botMedia', t, bytes: message.audio.length });
      this.playback.pushAudio(message.audio);
    } else if (message.event === 'mark') {
      if (this.playback.pushMark(message.name, t)) this.echoMark(message.name, t, false);
    } else {
      const { marks, droppedMs } = this.playback.clear();
      this.sink.event({ type: 'clear', t, droppedMs });
      this.openClearWindow(t);
      for (const mark of marks) this.echoMark(mark.name, mark.sentAt, true);
    }
  }

  /**
   * After a `clear`, audio that was already on its way may still arrive for `clearGrace` ms.
   * Audio after that while the caller is still talking (the barge-in goes on) is the old reply
   * continuing; a new reply comes after the caller stops. A clear while the caller is silent
   * opens no window: a bot may clear and say something new at once.
   */
  private openClearWindow(t: number): void {
    const playing = this.plays[0];
    const speechEnd = playing && playing.index > 0 ? playing.startedAt + playing.speechEndMs : -Infinity;
    this.clearWindow = speechEnd > t ? { from: t + this.options.clearGrace, until: speechEnd } : null;
  }

  private inspectAudio(t: number, audio: Uint8Array, raw: unknown): void {
    const window = this.clearWindow;
    if (window && t > window.from && t <= window.until) {
      this.violation(t, 'after-clear', `bot sent audio ${Math.round(t - window.from + this.options.clearGrace)}ms after its clear, while the caller was still talking (more than the ${this.options.clearGrace}ms allowed for audio in flight)`, raw);
      this.clearWindow = null;
    }
    if (startsWithRiff(audio)) {
      this.violation(t, 'payload-riff', 'bot media payload starts with "RIFF": a WAV header was sent as audio (the caller hears it as a click); send raw μ-law bytes', raw);
    }
    const pcm16 = this.inspector.push(audio);
    if (pcm16) {
      this.violation(
        t,
        'payload-pcm16',
        `bot audio looks like 16-bit PCM, not 8-bit μ-law (every other byte carries ${pcm16.entropyGap.toFixed(1)} bits less, ${Math.round(pcm16.zeros * 100)}% are 0x00): the caller hears loud noise; encode to μ-law`,
        raw,
      );
    }
  }

  private violation(t: number, rule: TwilioRule, message: string, offending: unknown): void {
    const count = (this.violationCounts.get(rule) ?? 0) + 1;
    this.violationCounts.set(rule, count);
    if (count > VIOLATIONS_PER_RULE + 1) return;
    if (count === VIOLATIONS_PER_RULE + 1) {
      this.sink.event({ type: 'info', t, message: `further [${rule}] violations in this call are not recorded` });
      return;
    }
    const severity = DEFAULT_SEVERITY[rule];
    this.sink.event(severity === 'warn' ? { type: 'violation', t, rule, message, offending, severity } : { type: 'violation', t, rule, message, offending });
  }

  private echoMark(name: string, sentAt: number, cleared: boolean): void {
    if (!this.isOpen()) return;
    const message = markEchoMessage(++this.sequenceNumber, this.ids.streamSid, name);
    this.send(message, 'mark', JSON.parse(message));
    this.sink.event({ type: 'mark', t: this.clock.now(), name, sentAt, cleared });
  }

  private send(text: string, kind: string, data: unknown): void {
    this.out(textFrame(text), false);
    this.sink.wire({ t: this.clock.now(), dir: 'out', kind, data });
  }

  /**
   * Everything the caller sends leaves here, as whole frames on the socket (see ws-frame.ts).
   * Returns whether `frame` is free again: written in full at once (the usual case), or not
   * sent at all. A shaper or a congested socket still holds it.
   */
  private out(frame: Buffer, isMedia: boolean): boolean {
    if (this.shaper) {
      this.shaper.send(frame, isMedia);
      return false;
    }
    if (this.socket!.readyState !== this.socket!.OPEN) return true;
    return writeFrame(this.raw!, frame);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.clock.now();
    const by = this.stopped && !this.endedByBot ? 'caller' : 'bot';
    const botClosed = !this.stopped;
    this.halt();
    if (botClosed) {
      this.sink.event({ type: 'hangup', t, reason: `bot closed the stream (code ${code}${reason ? `, ${reason}` : ''})` });
      this.postStopped();
    }
    this.sink.event({ type: 'closed', t, code, reason, by });
  }

  /** stream-stopped goes out once per call, whoever ended it. */
  private postStopped(): void {
    if (!this.callbacks || this.stoppedPosted) return;
    this.stoppedPosted = true;
    this.callbacks.post('stream-stopped');
  }

  /** A hang-up waits, briefly, for the bot's web app to answer the callbacks. */
  private async callbacksSettled(): Promise<void> {
    if (!this.callbacks) return;
    this.postStopped();
    await Promise.race([this.callbacks.settled(), new Promise((resolve) => setTimeout(resolve, CALLBACK_WAIT_MS).unref())]);
  }

  /** Stops the clock for this call and releases whoever waits on audio or keys. */
  private halt(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const now = this.clock.now();
    for (const playing of this.plays.splice(0)) playing.resolve({ startedAt: playing.startedAt || now, endedAt: now, interrupted: true });
    for (const watch of this.speechEnds.splice(0)) watch.report(watch.fallback);
    this.keypad.release();
  }
}

function tracksOf(track: string | undefined): string[] {
  if (track === 'outbound_track') return ['outbound'];
  if (track === 'both_tracks') return ['inbound', 'outbound'];
  return ['inbound'];
}
