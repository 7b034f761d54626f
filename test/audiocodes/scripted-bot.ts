/**
 * Test doubles for the AudioCodes tests, all real: a WebSocket bot on 127.0.0.1 that records
 * what the gateway sends and lets each test script its answers, and a harness that runs one
 * AudioCodesCallerSession against it and collects what the session reports.
 */
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { AudioCodesCallerSession } from '../../src/protocols/audiocodes/caller.ts';
import type { ProtocolEvent, WireMessage } from '../../src/protocols/events.ts';
import type { CallSetup } from '../../src/protocols/session.ts';

const WAIT_MS = 8000;

export interface BotConnection {
  socket: WebSocket;
  /** Headers of the upgrade request. */
  headers: Record<string, string | string[] | undefined>;
  /** Every frame from the gateway, parsed, in arrival order. */
  received: Record<string, any>[];
  /** The first message of `type` from index `from` on (waits for it). */
  next(type: string, from?: number): Promise<Record<string, any>>;
  /** Index of the first message of `type`, or -1. */
  indexOf(type: string, from?: number): number;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  /** Close the socket on session.end, as bots built on AudioCodes' SDK do (default true). */
  closeOnEnd: boolean;
}

export interface ScriptedBot {
  url: string;
  connection(): Promise<BotConnection>;
  close(): Promise<void>;
}

export interface ScriptedBotOptions {
  /** Answers the upgrade with this HTTP status instead of accepting it. */
  refuseWith?: (headers: Record<string, string | string[] | undefined>) => number | null;
}

export async function startScriptedBot(options: ScriptedBotOptions = {}): Promise<ScriptedBot> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    verifyClient: options.refuseWith
      ? (info, done) => {
          const status = options.refuseWith!(info.req.headers);
          if (status === null) done(true);
          else done(false, status, 'Refused');
        }
      : undefined,
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const ready: BotConnection[] = [];
  const waiting: ((connection: BotConnection) => void)[] = [];
  server.on('connection', (socket, request) => {
    const received: Record<string, any>[] = [];
    const listeners = new Set<() => void>();
    const indexOf = (type: string, from = 0) => received.findIndex((m, i) => i >= from && m.type === type);
    const connection: BotConnection = {
      socket,
      headers: request.headers,
      received,
      indexOf,
      next: (type, from = 0) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            listeners.delete(check);
            reject(new Error(`the gateway sent no ${type} within ${WAIT_MS}ms; got ${received.map((m) => m.type).join(', ')}`));
          }, WAIT_MS);
          const check = () => {
            const index = indexOf(type, from);
            if (index < 0) return;
            clearTimeout(timer);
            listeners.delete(check);
            resolve(received[index]!);
          };
          listeners.add(check);
          check();
        }),
      send: (message) => socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message)),
      closed: new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
      closeOnEnd: true,
    };
    socket.on('message', (data, isBinary) => {
      received.push(isBinary ? { type: '<binary>' } : JSON.parse(String(data)));
      if (received.at(-1)!.type === 'session.end' && connection.closeOnEnd) socket.close(1000, 'session ended');
      for (const listener of [...listeners]) listener();
    });
    const taker = waiting.shift();
    if (taker) taker(connection);
    else ready.push(connection);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/bot?key=secret-in-query`,
    connection: () => {
      const open = ready.shift();
      return open ? Promise.resolve(open) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Answers session.initiate with session.accepted in `mediaFormat` (default: the first offered). */
export async function accept(connection: BotConnection, mediaFormat?: string): Promise<Record<string, any>> {
  const initiate = await connection.next('session.initiate');
  connection.send({ type: 'session.accepted', conversationId: initiate.conversationId, mediaFormat: mediaFormat ?? initiate.supportedMediaFormats[0] });
  return initiate;
}

/** Acknowledges every userStream.start and userStream.stop, as a well-behaved bot does. */
export function ackUserStreams(connection: BotConnection): void {
  connection.socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'userStream.start') connection.send({ type: 'userStream.started' });
    if (message.type === 'userStream.stop') connection.send({ type: 'userStream.stopped' });
  });
}

export interface Frame {
  t: number;
  caller: Int16Array | null;
  bot: Int16Array | null;
}

/** One session against a bot, with everything it reports collected. */
export class Harness {
  readonly events: ProtocolEvent[] = [];
  readonly wire: WireMessage[] = [];
  readonly frames: Frame[] = [];
  readonly session: AudioCodesCallerSession;
  private readonly listeners = new Set<() => void>();

  constructor(target: string, options: Record<string, unknown> = {}, setup: Partial<CallSetup> = {}) {
    const origin = performance.now();
    const clock = { origin, now: () => performance.now() - origin };
    const full: CallSetup = { target, from: '+15550001111', to: '+15550002222', parameters: {}, options, connectTimeout: 5000, ...setup };
    this.session = new AudioCodesCallerSession(full, clock, {
      event: (event) => {
        this.events.push(event);
        this.notify();
      },
      wire: (message) => this.wire.push(message),
      frame: (t, caller, bot) => {
        // The session may reuse its arrays for the next slot (CallSink.frame): keep copies.
        this.frames.push({ t, caller: caller && caller.slice(), bot: bot && bot.slice() });
        this.notify();
      },
    });
  }

  /** The first event satisfying `test` (waits for it). */
  waitFor<T extends ProtocolEvent['type']>(type: T, test: (event: Extract<ProtocolEvent, { type: T }>) => boolean = () => true): Promise<Extract<ProtocolEvent, { type: T }>> {
    return this.until(() => this.events.find((e): e is Extract<ProtocolEvent, { type: T }> => e.type === type && test(e as Extract<ProtocolEvent, { type: T }>)), `a ${type} event`);
  }

  /** Resolves once `probe` returns something other than undefined/false. */
  until<T>(probe: () => T | undefined | false, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; events: ${this.events.map((e) => e.type + ('rule' in e ? `(${e.rule})` : '')).join(', ')}`));
      }, WAIT_MS);
      const check = () => {
        const value = probe();
        if (value === undefined || value === false) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(value);
      };
      this.listeners.add(check);
      check();
    });
  }

  violations(): string[] {
    return this.events.flatMap((e) => (e.type === 'violation' ? [e.rule] : []));
  }

  /** Slots in which the caller heard bot audio. */
  botFrames(): Int16Array[] {
    return this.frames.flatMap((f) => (f.bot ? [f.bot] : []));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** A sine tone as 16-bit PCM. */
export function tone(rate: number, ms: number, hz = 440, amplitude = 8000): Int16Array {
  const samples = new Int16Array(Math.round((rate * ms) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return samples;
}

/** Rising zero crossings per second: a tone's frequency, whatever rate it was carried at. */
export function frequencyOf(samples: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 && samples[i]! >= 0) crossings++;
  return (crossings * rate) / samples.length;
}

export function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}
