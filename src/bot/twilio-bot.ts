/**
 * The reference Twilio bot: a well-behaved Media Streams bot for the example suites and the
 * tests. Behaviour (documented in the README):
 * - greets 200 ms after `start`, then sends mark "greeting";
 * - replies 200 ms after the caller's utterance ends ("Sure. Anything else?"), mark "reply-N";
 * - DTMF: collects keys until `#` or 700 ms without a key; "1" reads the menu (a long reply,
 *   mark "menu"), any other keys get "You pressed a key." (mark "dtmf-<keys>");
 * - `*` says goodbye, waits until the goodbye mark is echoed (played), then closes the socket;
 * - barge-in: when the caller starts talking while marks are outstanding, sends `clear`.
 * It also answers `POST /voice` like a voice webhook, with TwiML that connects to its stream.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { mulawDecode, mulawEncode } from '../audio/g711.ts';
import type { Prompt } from '../audio/types.ts';
import { loadVoice, type Voice } from './voice.ts';
import { CallTimers } from './timers.ts';
import { TurnDetector } from './turn-detector.ts';

const THINK_MS = 200;
const DTMF_IDLE_MS = 700;
const CHUNK_BYTES = 1600; // 200 ms of μ-law per media message

export interface RunningBot {
  url: string;
  /** The bot's voice webhook (http://…/voice), for bots that have one. */
  webhookUrl?: string;
  port: number;
  close(): Promise<void>;
}

export async function startTwilioBot(options: { port?: number; host?: string } = {}): Promise<RunningBot> {
  const voice = await loadVoice(8000);
  const encoded = new Map<Prompt, string[]>();
  const chunksOf = (prompt: Prompt): string[] => {
    let chunks = encoded.get(prompt);
    if (!chunks) {
      const bytes = mulawEncode(prompt.samples);
      chunks = [];
      for (let i = 0; i < bytes.length; i += CHUNK_BYTES) chunks.push(Buffer.from(bytes.subarray(i, i + CHUNK_BYTES)).toString('base64'));
      encoded.set(prompt, chunks);
    }
    return chunks;
  };
  const host = options.host ?? '127.0.0.1';
  let streamUrl = '';
  // The voice webhook: what Twilio fetches on an incoming call, pointing it at the stream.
  const http = createServer((req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/voice') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('the reference bot answers POST /voice (TwiML) and WebSockets on /stream');
      return;
    }
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${streamUrl}"><Parameter name="source" value="webhook"/></Stream></Connect></Response>`);
  });
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // ws hands the http server's errors to the WebSocketServer too: without a listener there it would throw.
    server.once('error', reject);
    http.listen(options.port ?? 0, host, resolve);
  });
  server.on('connection', (socket) => new TwilioBotCall(socket, voice, chunksOf));
  const port = (http.address() as { port: number }).port;
  const base = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  streamUrl = `ws://${base}/stream`;
  return {
    url: streamUrl,
    webhookUrl: `http://${base}/voice`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

class TwilioBotCall {
  private streamSid = '';
  private readonly outstanding = new Set<string>();
  private replies = 0;
  private digits = '';
  private dtmfTimer: NodeJS.Timeout | null = null;
  private readonly timers = new CallTimers();
  private hangingUp = false;
  private readonly ear: TurnDetector;

  constructor(
    private readonly socket: WebSocket,
    private readonly voice: Voice,
    private readonly chunksOf: (prompt: Prompt) => string[],
  ) {
    this.ear = new TurnDetector(
      () => this.callerStarted(),
      () => this.later(THINK_MS, () => this.say(this.voice.reply, `reply-${++this.replies}`)),
    );
    socket.on('message', (data) => this.receive(String(data)));
    socket.on('close', () => this.cleanup());
    socket.on('error', () => this.cleanup());
  }

  /** Anything it cannot use is ignored: `convotest bot` may face any client, and must not fall over. */
  private receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const message = parsed as Record<string, any>;
    switch (message.event) {
      case 'start':
        this.streamSid = message.start?.streamSid ?? message.streamSid;
        this.later(THINK_MS, () => this.say(this.voice.greeting, 'greeting'));
        break;
      case 'media':
        if (!this.hangingUp && typeof message.media?.payload === 'string') this.ear.frame(mulawDecode(Buffer.from(message.media.payload, 'base64')));
        break;
      case 'mark':
        this.outstanding.delete(message.mark?.name);
        if (message.mark?.name === 'goodbye') this.socket.close(1000, 'bot hung up');
        break;
      case 'dtmf':
        this.key(String(message.dtmf?.digit ?? ''));
        break;
      case 'stop':
        this.cleanup();
        break;
    }
  }

  private callerStarted(): void {
    if (this.outstanding.size === 0) return;
    this.send({ event: 'clear', streamSid: this.streamSid });
    this.outstanding.clear();
  }

  private key(digit: string): void {
    this.timers.cancel(this.dtmfTimer);
    if (digit === '*') {
      this.hangingUp = true;
      this.say(this.voice.goodbye, 'goodbye');
      return;
    }
    if (digit !== '#') this.digits += digit;
    const answer = () => {
      const keys = this.digits;
      this.digits = '';
      if (keys === '1') this.say(this.voice['long-reply'], 'menu');
      else this.say(this.voice.dtmf, `dtmf-${keys}`);
    };
    if (digit === '#') this.later(THINK_MS, answer);
    else this.dtmfTimer = this.later(DTMF_IDLE_MS, answer);
  }

  private say(prompt: Prompt, mark: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    for (const payload of this.chunksOf(prompt)) this.send({ event: 'media', streamSid: this.streamSid, media: { payload } });
    this.send({ event: 'mark', streamSid: this.streamSid, mark: { name: mark } });
    this.outstanding.add(mark);
  }

  private send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    return this.timers.later(ms, fn);
  }

  private cleanup(): void {
    this.timers.clear();
  }
}
