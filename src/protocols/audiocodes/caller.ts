/**
 * The VoiceAI Connect gateway's side of one call, in streaming mode: `session.initiate`, wait
 * for `session.accepted`, the `start` event; then caller audio in user streams, DTMF events,
 * and the bot's play streams played out at real time, every 20 ms slot on the shared pacer.
 * The bot's activities (hangup, transfer, config, …) are carried out the way the gateway
 * does: a hangup or transfer waits until the prompts before it have been heard.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import type { Prompt } from '../../audio/types.ts';
import { sharedPacer, type Pacer } from '../../clock/pacer.ts';
import { openSocket } from '../connect.ts';
import { frameBytes } from '../json-frame.ts';
import { Keypad } from '../keypad.ts';
import type { PromptPlay } from '../prompt-play.ts';
import { redactUrl } from '../redact.ts';
import { rawSocketOf, textFrame } from '../ws-frame.ts';
import { CallSetupError, type CallClock, type CallerSession, type CallSetup, type CallSink, type PlayResult } from '../session.ts';
import { CALL_RATE, mediaFormat, silenceBytes, type MediaFormat } from './formats.ts';
import { readActivity, type CallEnd } from './activities.ts';
import { elideAudio, prepareInboundValidator, readBinaryFrame, readTextFrame, type BotActivity, type BotMessage, type Violation } from './inbound.ts';
import {
  activitiesMessage,
  ChunkMessages,
  dtmfEvent,
  sessionEnd,
  sessionInitiate,
  startEvent,
  userStreamStart,
  userStreamStop,
  type Activity,
  type SessionEndCode,
} from './messages.ts';
import { readSettings, type AudioCodesSettings } from './options.ts';
import { PlayStreams } from './playback.ts';
import { encodePrompt, type EncodedPrompt } from './prompts.ts';
import { UserStreams } from './user-stream.ts';

/**
 * After session.end, how long messages the bot sent before it could have read it are still
 * "in flight" rather than a violation; without it every caller hang-up in the middle of a
 * streamed prompt would be a race.
 */
const IN_FLIGHT_MS = 100;
/** How long the bot has to close the socket after session.end before the gateway closes it. */
const BOT_CLOSE_WAIT_MS = 1000;
const CLOSE_WAIT_MS = 2000;
/** A bot hang-up waits for its prompts to be heard, but not for a bot that never stops sending. */
const MAX_HANGUP_DRAIN_MS = 30_000;

/**
 * `speechEndMs` is the prompt's end when no speech was found in it; `onSpeechEnd` is told the
 * slot time (the user stream buffers chunks, so their sends are not timed).
 */
type Playing = PromptPlay<EncodedPrompt>;

/** A hangup, transfer or error from the bot, carried out once its prompts have played. */
interface BotEnd extends CallEnd {
  /** When the bot asked. */
  at: number;
}

interface Handshake {
  resolve: () => void;
  reject: (error: CallSetupError) => void;
}

export class AudioCodesCallerSession implements CallerSession {
  readonly audioRate = CALL_RATE;
  private settings!: AudioCodesSettings;
  private socket: WebSocket | null = null;
  /** The socket under the WebSocket: what convotest sends is written there (see ws-frame.ts). */
  private raw: Duplex | null = null;
  private format!: MediaFormat;
  private streams!: UserStreams;
  private silence!: Uint8Array;
  private chunks!: ChunkMessages;
  private readonly playback = new PlayStreams();
  private readonly plays: Playing[] = [];
  private readonly keypad = new Keypad();
  private trailingSlots = 0;
  private bargeIn = false;
  private handshake: Handshake | null = null;
  private accepted = false;
  /** A hangup or transfer from the bot, carried out once its prompts have played. */
  private botEnd: BotEnd | null = null;
  private ending: Promise<void> | null = null;
  private endedBy: 'bot' | 'caller' | null = null;
  private sessionEndAt: number | null = null;
  private closed = false;
  private closeWaiters: (() => void)[] = [];
  private endWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly setup: CallSetup,
    private readonly clock: CallClock,
    private readonly sink: CallSink,
    private readonly pacer: Pacer = sharedPacer,
  ) {
    prepareInboundValidator();
  }

  async connect(): Promise<void> {
    this.settings = readSettings(this.setup);
    const { token } = this.settings;
    this.bargeIn = this.settings.bargeIn;
    const shown = redactUrl(this.setup.target);
    const socket = await openSocket(this.setup.target, {
      headers: token ? { Authorization: `Bearer ${token}` } : undefined,
      timeoutMs: this.setup.connectTimeout,
      displayUrl: shown,
      ...this.setup.connection,
    });
    this.socket = socket;
    this.raw = rawSocketOf(socket) ?? null;
    if (!this.raw) throw new Error('convotest: the WebSocket opened without a socket under it');
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString()));
    socket.on('error', (error) => this.sink.event({ type: 'info', t: this.clock.now(), message: `socket error: ${error.message}` }));
    socket.resume();

    await new Promise<void>((resolve, reject) => {
      const timeout = this.settings.acceptTimeoutMs;
      const timer = setTimeout(() => reject(new CallSetupError(`${shown} did not answer session.initiate with session.accepted within ${timeout / 1000}s`)), timeout);
      this.handshake = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.sendJson(
        sessionInitiate({
          conversationId: this.settings.conversationId,
          botName: this.settings.botName,
          caller: this.settings.caller,
          expectAudioMessages: this.settings.expectAudioMessages,
          supportedMediaFormats: this.settings.supportedMediaFormats,
        }),
      );
    }).catch((error: CallSetupError) => {
      this.dispose();
      throw error;
    }).finally(() => {
      this.handshake = null;
    });
  }

  /**
   * Runs in the same tick as the session.accepted message: ws may deliver the bot's next
   * messages (its greeting) in that same tick, and they must find the session started.
   */
  private start(accepted: Extract<BotMessage, { type: 'session.accepted' }>): void {
    const offered = this.settings.supportedMediaFormats;
    const chosen = accepted.mediaFormat ?? offered[0]!;
    const format = mediaFormat(chosen);
    if (!format) throw new CallSetupError(`bot accepted the session with mediaFormat "${chosen}", which convotest cannot stream (offered: ${offered.join(', ')})`);
    if (accepted.mediaFormat === undefined) {
      this.sink.event({ type: 'info', t: this.clock.now(), message: `session.accepted names no mediaFormat; streaming ${chosen}, the first offered` });
    } else if (!offered.includes(chosen)) {
      this.violation({ rule: 'media-format', message: `bot accepted the session with mediaFormat "${chosen}", which was not offered (offered: ${offered.join(', ')})` });
    }
    this.accepted = true;
    this.format = format;
    this.silence = silenceBytes(format, 20);
    this.chunks = new ChunkMessages(this.settings.conversationId);
    this.streams = new UserStreams(format, this.settings.chunkMs, this.settings.streamAckTimeoutMs, this.streamWire(), this.clock.now);
    this.unsubscribe = this.pacer.add((_slot, slotTime) => this.tick(slotTime));
    this.sendActivities([startEvent(this.settings.startParameters)]);
    if (this.settings.streamPolicy === 'continuous') this.streams.openStream();
  }

  play(prompt: Prompt, onFirstFrame?: (t: number) => void, onSpeechEnd?: (t: number) => void): Promise<PlayResult> {
    if (!this.live()) return Promise.resolve({ startedAt: this.clock.now(), endedAt: this.clock.now(), interrupted: true });
    const speechEndMs = prompt.speech ? prompt.speech.endMs : prompt.durationMs;
    return new Promise((resolve) =>
      this.plays.push({ prompt: encodePrompt(prompt, this.format), index: 0, startedAt: 0, speechEndMs, onFirstFrame, onSpeechEnd, resolve }),
    );
  }

  sendDtmf(digits: string): Promise<void> {
    if (!this.live() || digits.length === 0) return Promise.resolve();
    return this.keypad.press(digits);
  }

  async hangup(): Promise<void> {
    if (!this.socket || this.closed) return;
    if (this.ending) return this.ending;
    // The bot already hung up and its goodbye is still playing: its session.end is the one to send.
    if (this.botEnd) return new Promise((resolve) => this.endWaiters.push(resolve));
    return this.endSession('client-disconnected', 'caller hung up', 'caller');
  }

  botPlaying(): boolean {
    return this.playback.busy();
  }

  /**
   * A call the bot is ending stays open until its socket closes, so the engine's hang-up
   * waits for the bot's session.end instead of sending the caller's.
   */
  isOpen(): boolean {
    return this.socket !== null && !this.closed && this.endedBy !== 'caller';
  }

  /** Still taking caller audio and keys. */
  private live(): boolean {
    return this.socket !== null && !this.closed && this.ending === null;
  }

  dispose(): void {
    this.halt();
    this.streams?.abandon();
    if (this.socket && !this.closed) this.socket.terminate();
  }

  /** One 20 ms slot: the caller's frame, a key press, the bot's frame; then report both. */
  private tick(slotTime: number): void {
    const t = slotTime - this.clock.origin;
    this.streams.checkTimeouts();
    // Without barge-in the gateway does not listen while the bot's prompt plays.
    const muted = !this.bargeIn && this.playback.busy();
    const callerPcm = this.callerFrame(t, muted);
    this.keypad.tick(this.sendDigit);
    const botPcm = this.playback.playFrame();
    this.sink.frame(t, callerPcm, botPcm);
    const end = this.botEnd;
    if (end && !this.ending && (!this.playback.busy() || t - end.at > MAX_HANGUP_DRAIN_MS)) {
      this.sink.event({ ...end.event, t: this.clock.now() });
      void this.endSession(end.code, end.reason, 'bot');
    }
  }

  private readonly sendDigit = (digit: string): void => this.sendActivities([dtmfEvent(this.settings.dtmfSpelling, digit)]);

  private callerFrame(t: number, muted: boolean): Int16Array | null {
    const continuous = this.settings.streamPolicy === 'continuous';
    const playing = this.plays[0];
    if (!playing) {
      if (continuous) {
        if (!muted) this.streams.audio(this.silence);
      } else if (this.streams.isOpen) {
        if (this.trailingSlots > 0) {
          this.trailingSlots--;
          if (!muted) this.streams.audio(this.silence);
        }
        if (this.trailingSlots === 0) this.streams.closeStream();
      }
      return null;
    }
    if (playing.index === 0) {
      playing.startedAt = t;
      playing.onFirstFrame?.(t);
      // One stream per turn: a stream still open from the last turn's trailing silence ends here.
      if (!continuous) {
        this.trailingSlots = 0;
        this.streams.closeStream();
      }
    }
    const pcm = playing.prompt.pcm[playing.index]!;
    const bytes = playing.prompt.bytes[playing.index]!;
    playing.index++;
    if (!muted) {
      if (!continuous) this.streams.openStream();
      this.streams.audio(bytes);
    }
    if (playing.index === playing.prompt.pcm.length) {
      this.plays.shift();
      playing.onSpeechEnd?.(playing.startedAt + playing.speechEndMs);
      playing.resolve({ startedAt: playing.startedAt, endedAt: t, interrupted: false });
      if (!continuous) {
        this.trailingSlots = Math.round(this.settings.trailingSilenceMs / 20);
        if (this.trailingSlots === 0 && this.plays.length === 0) this.streams.closeStream();
      }
    }
    return pcm;
  }

  private receive(data: RawData, isBinary: boolean): void {
    const t = this.clock.now();
    const bytes = frameBytes(data);
    const inbound = isBinary ? readBinaryFrame(bytes.length) : readTextFrame(bytes.toString('utf8'));
    // Chunks are wired as `media` so the timeline folds them into runs, as it does Twilio's.
    this.sink.wire({ t, dir: 'in', kind: inbound.kind === 'playStream.chunk' ? 'media' : inbound.kind, data: inbound.raw });
    if (this.sessionEndAt !== null) {
      if (t - this.sessionEndAt > IN_FLIGHT_MS) {
        this.violation({ rule: 'after-session-end', message: `bot sent ${inbound.kind} ${Math.round(t - this.sessionEndAt)}ms after session.end` }, inbound.raw);
      }
      return;
    }
    for (const violation of inbound.violations) this.violation(violation, inbound.raw);
    const message = inbound.message;
    if (!message) return;
    if (!this.accepted) {
      this.beforeAccept(message, inbound.raw);
      return;
    }
    this.handle(message, t, inbound.raw);
  }

  private beforeAccept(message: BotMessage, raw: unknown): void {
    if (message.type === 'session.accepted') {
      const handshake = this.handshake;
      if (!handshake) return;
      try {
        this.start(message);
        handshake.resolve();
      } catch (error) {
        handshake.reject(error as CallSetupError);
      }
    } else if (message.type === 'session.error') {
      this.handshake?.reject(new CallSetupError(`bot refused the session (session.error): ${message.reason ?? 'no reason given'}`));
    } else if (message.type.startsWith('playStream.')) {
      this.violation({ rule: 'audio-before-accept', message: `bot sent ${message.type} before session.accepted; the gateway plays nothing until the session is accepted` }, raw);
    } else {
      this.sink.event({ type: 'info', t: this.clock.now(), message: `bot sent ${message.type} before session.accepted; ignored` });
    }
  }

  private handle(message: BotMessage, t: number, raw: unknown): void {
    switch (message.type) {
      case 'session.accepted':
        this.sink.event({ type: 'info', t, message: 'bot sent session.accepted again; ignored' });
        break;
      case 'session.error': {
        const reason = `session.error: ${message.reason ?? 'no reason given'}`;
        this.endByBot({ code: 'error', reason, at: t, event: { type: 'hangup', t, reason } });
        break;
      }
      case 'userStream.started':
        this.report(this.streams.started(), raw);
        break;
      case 'userStream.stopped':
        this.report(this.streams.stopped(), raw);
        break;
      case 'userStream.speech.started':
        this.bargeInStop(t);
        break;
      case 'userStream.speech.hypothesis':
        this.sink.event({ type: 'recognition', t, text: message.text, final: false });
        this.bargeInStop(t);
        break;
      case 'userStream.speech.recognition':
        this.sink.event({ type: 'recognition', t, text: message.text, final: true });
        break;
      case 'playStream.start': {
        const name = message.mediaFormat ?? this.format.name;
        const format = mediaFormat(name);
        if (!this.settings.supportedMediaFormats.includes(name)) {
          this.violation({ rule: 'media-format', message: `bot started play stream "${message.streamId}" in ${name}, which was not offered (offered: ${this.settings.supportedMediaFormats.join(', ')})${format ? '' : '; its audio cannot be played'}` }, raw);
        }
        this.report(this.playback.start(message.streamId, format), raw);
        if (message.altText) this.sink.event({ type: 'text', t, text: message.altText, source: 'altText' });
        break;
      }
      case 'playStream.chunk': {
        const wasPlaying = this.playback.hasAudio();
        const { queued, violation } = this.playback.chunk(message.streamId, message.audio);
        this.report(violation, raw);
        if (queued && !wasPlaying && message.audio.length > 0) this.sink.event({ type: 'botMedia', t, bytes: message.audio.length });
        break;
      }
      case 'playStream.stop':
        this.report(this.playback.stop(message.streamId), raw);
        break;
      case 'activities':
        for (const activity of message.activities) this.activity(activity, t);
        break;
      default:
        break;
    }
  }

  private activity(activity: BotActivity, t: number): void {
    const outcome = readActivity(activity, t);
    if (outcome.event) this.sink.event(outcome.event);
    if (outcome.end) this.endByBot({ ...outcome.end, at: t });
    if (outcome.stopPlayback) this.stopPlayback(t);
    if (outcome.note) this.sink.event({ type: 'info', t, message: outcome.note });
    if (outcome.bargeIn !== undefined && outcome.bargeIn !== this.bargeIn) {
      this.bargeIn = outcome.bargeIn;
      this.sink.event({ type: 'info', t, message: `bot turned barge-in ${outcome.bargeIn ? 'on' : 'off'}` });
    }
  }

  /** The first hangup, transfer or error wins; the gateway acts on it once playback has drained. */
  private endByBot(end: BotEnd): void {
    if (this.botEnd) {
      this.sink.event({ type: 'info', t: end.at, message: `bot asked to end the call again (${end.code}); already ending (${this.botEnd.code})` });
      return;
    }
    this.botEnd = end;
  }

  /** With barge-in on, the bot hearing the caller stops the prompt the caller is hearing. */
  private bargeInStop(t: number): void {
    if (this.bargeIn) this.stopPlayback(t);
  }

  private stopPlayback(t: number): void {
    if (!this.playback.busy()) return;
    this.sink.event({ type: 'clear', t, droppedMs: Math.round(this.playback.interrupt()) });
  }

  /** session.end, then give the bot a moment to close before closing for it. */
  private endSession(code: SessionEndCode, reason: string, by: 'bot' | 'caller'): Promise<void> {
    this.ending ??= (async () => {
      this.endedBy = by;
      if (by === 'caller' && this.streams) {
        // A stream still open is stopped first, so its ack does not land after session.end.
        this.streams.closeStream();
        await Promise.race([this.streams.settled(), this.closedOrAfter(this.settings.streamAckTimeoutMs)]);
      }
      this.halt();
      this.streams?.abandon();
      if (this.closed) return;
      this.sendJson(sessionEnd(this.settings.conversationId, code, reason));
      this.sessionEndAt = this.clock.now();
      await this.closedOrAfter(BOT_CLOSE_WAIT_MS);
      if (this.closed) return;
      this.socket!.close(1000, 'call ended');
      await this.closedOrAfter(CLOSE_WAIT_MS);
      if (!this.closed) this.socket!.terminate();
    })();
    void this.ending.then(() => {
      for (const resolve of this.endWaiters.splice(0)) resolve();
    });
    return this.ending;
  }

  private closedOrAfter(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private streamWire() {
    return {
      start: () => this.sendJson(userStreamStart(this.settings.conversationId)),
      chunk: (audio: Buffer) => {
        if (!this.out(this.chunks.frame(audio))) return;
        this.sink.wire({ t: this.clock.now(), dir: 'out', kind: 'media', data: null });
      },
      stop: () => this.sendJson(userStreamStop(this.settings.conversationId)),
      violation: (violation: Violation) => this.violation(violation),
    };
  }

  private sendActivities(activities: Activity[]): void {
    this.sendJson(activitiesMessage(this.settings.conversationId, activities, this.settings.language));
  }

  private sendJson(message: Record<string, unknown>): void {
    if (!this.out(textFrame(JSON.stringify(message)))) return;
    this.sink.wire({ t: this.clock.now(), dir: 'out', kind: String(message.type), data: message });
  }

  /** Everything the caller sends leaves here, as whole frames on the socket (see ws-frame.ts); false once the call is closed. */
  private out(frame: Buffer): boolean {
    const socket = this.socket;
    if (!socket || this.closed) return false;
    if (socket.readyState === socket.OPEN) this.raw!.write(frame);
    return true;
  }

  private report(violation: Violation | null, raw: unknown): void {
    if (violation) this.violation(violation, raw);
  }

  private violation(violation: Violation, raw?: unknown): void {
    this.sink.event({ type: 'violation', t: this.clock.now(), rule: violation.rule, message: violation.message, offending: raw === undefined ? undefined : elideAudio(raw) });
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.clock.now();
    const authRejected = code === 1008;
    const why = authRejected ? `authentication rejected${reason ? ` (${reason})` : ''}` : reason;
    if (this.handshake) {
      this.handshake.reject(
        new CallSetupError(
          `${redactUrl(this.setup.target)} closed the connection before accepting the session (code ${code}${why ? `: ${why}` : ''})`,
        ),
      );
    }
    this.halt();
    this.streams?.abandon();
    const by = this.endedBy ?? 'bot';
    if (by === 'bot' && !this.botEnd && this.accepted) {
      this.sink.event({ type: 'info', t, message: 'bot closed the connection without a hangup activity' });
    }
    this.sink.event({ type: 'closed', t, code, reason: why, by });
    for (const resolve of this.closeWaiters.splice(0)) resolve();
    for (const resolve of this.endWaiters.splice(0)) resolve();
  }

  /** Stops the clock for this call and releases whoever waits on audio or keys. */
  private halt(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const now = this.clock.now();
    for (const playing of this.plays.splice(0)) {
      if (playing.startedAt || playing.index > 0) playing.onSpeechEnd?.(playing.startedAt + playing.speechEndMs);
      playing.resolve({ startedAt: playing.startedAt || now, endedAt: now, interrupted: true });
    }
    this.keypad.release();
  }
}
