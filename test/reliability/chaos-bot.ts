/**
 * A Twilio-side bot that misbehaves on purpose, one way per URL path (`ws://…/<mode>`), on a
 * real server on 127.0.0.1. `/healthy` is a minimal well-behaved bot, so the calls that must
 * survive next to a misbehaving one can share the server.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export const CHAOS_MODES = [
  'healthy',
  'close-at-once',
  'drop-mid-call',
  'never-answers',
  'garbage',
  'binary',
  'huge-frame',
  'flood',
  'stop-reading',
  'half-open',
  'audio-forever',
  'slow-handshake',
  'hostile',
] as const;
export type ChaosMode = (typeof CHAOS_MODES)[number];

export const HUGE_FRAME_BYTES = 10 * 1024 * 1024;
/** Garbage sent before the greeting, in this order (the first is what the failure names). */
export const GARBAGE = ['this is not json', '{"event": "media", ', '\u0000\u0001\u0002'];
/** Text a bot controls that must never become markup, close a CDATA section, or drive a terminal. */
export const HOSTILE_TEXT = '<script>alert(1)</script>]]><img src=x onerror=alert(2)>\u0007\u0000\u001b[31m"\'&';

/** `ms` of a loud square wave in μ-law, base64: audible to the engine's speech detector. */
export function speech(ms: number): string {
  const bytes = Buffer.alloc(ms * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(i / 10) % 2 ? 0x10 : 0x90;
  return bytes.toString('base64');
}

export interface ChaosBot {
  /** `ws://127.0.0.1:<port>`; append `/<mode>`. */
  base: string;
  url(mode: ChaosMode): string;
  close(): Promise<void>;
}

interface Twilio {
  socket: WebSocket;
  streamSid: string;
  send(message: Record<string, unknown>): void;
}

function greet(bot: Twilio): void {
  bot.send({ event: 'media', streamSid: bot.streamSid, media: { payload: speech(300) } });
  bot.send({ event: 'mark', streamSid: bot.streamSid, mark: { name: 'greeting' } });
}

/** What each mode does once the caller's `start` arrived; returns a cleanup for its timers. */
const AFTER_START: Partial<Record<ChaosMode, (bot: Twilio) => (() => void) | void>> = {
  healthy: greet,
  'drop-mid-call': (bot) => {
    greet(bot);
    // Mid-call, in answer to the caller's key press: the TCP connection just dies (1006 on our side).
    bot.socket.on('message', (data) => {
      if (String(data).includes('"dtmf"')) bot.socket.terminate();
    });
  },
  'never-answers': () => {},
  garbage: (bot) => {
    for (const text of GARBAGE) bot.socket.send(text);
    greet(bot);
  },
  binary: (bot) => {
    bot.socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), { binary: true });
    greet(bot);
  },
  'huge-frame': (bot) => {
    bot.socket.send(JSON.stringify({ event: 'media', streamSid: bot.streamSid, media: { payload: 'A'.repeat(HUGE_FRAME_BYTES) } }));
  },
  flood: (bot) => {
    // 10 000 messages a second until the caller gives up on us; paced by the clock, not by the
    // ticks, so a busy machine that delays the timer still floods at that rate.
    const message = JSON.stringify({ event: 'media', streamSid: bot.streamSid, media: { payload: speech(1) } });
    const started = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.floor((performance.now() - started) * 10);
      for (; sent < due && bot.socket.readyState === bot.socket.OPEN; sent++) bot.socket.send(message);
    }, 10);
    return () => clearInterval(timer);
  },
  'stop-reading': (bot) => {
    greet(bot);
    // Still talking, no longer listening: pings pile up unanswered behind everything the caller sends.
    (bot.socket as unknown as { _socket: Duplex })._socket.pause();
    let n = 0;
    const timer = setInterval(() => bot.send({ event: 'mark', streamSid: bot.streamSid, mark: { name: `still-here-${++n}` } }), 100);
    return () => clearInterval(timer);
  },
  'half-open': (bot) => {
    greet(bot);
    // Neither reads nor writes, nor closes: what a peer behind a dead NAT or a pulled cable looks like.
    setTimeout(() => (bot.socket as unknown as { _socket: Duplex })._socket.pause(), 50);
  },
  hostile: (bot) => {
    greet(bot);
    bot.send({ event: 'mark', streamSid: bot.streamSid, mark: { name: HOSTILE_TEXT } });
    bot.send({ event: HOSTILE_TEXT, streamSid: bot.streamSid, note: HOSTILE_TEXT });
    bot.socket.send(`not json ${HOSTILE_TEXT}`);
  },
  'audio-forever': (bot) => {
    const payload = speech(20);
    const timer = setInterval(() => bot.send({ event: 'media', streamSid: bot.streamSid, media: { payload } }), 20);
    return () => clearInterval(timer);
  },
};

/** `tls` serves wss:// with that certificate and key (PEM). */
export async function startChaosBot(options: { handshakeDelayMs?: number; tls?: { cert: string; key: string } } = {}): Promise<ChaosBot> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const answer = (_req: IncomingMessage, res: import('node:http').ServerResponse) => res.writeHead(426).end('WebSocket only');
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, answer) : createServer(answer);
  // A client that gives up on TLS mid-handshake must not take the server down.
  server.on('tlsClientError', () => {});
  const sockets = new Set<Duplex>();
  const cleanups = new Set<() => void>();
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const mode = (request.url ?? '/').slice(1) as ChaosMode;
    const accept = () => wss.handleUpgrade(request, socket, head, (ws) => onSocket(ws, mode));
    if (mode === 'slow-handshake') setTimeout(accept, options.handshakeDelayMs ?? 5_000).unref();
    else accept();
  });

  const onSocket = (socket: WebSocket, mode: ChaosMode) => {
    // The caller may cut us off at any moment; a write error then is expected, not a crash.
    socket.on('error', () => {});
    if (mode === 'close-at-once') {
      socket.close(1000, 'not today');
      return;
    }
    let cleanup: (() => void) | void;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: { event?: string; streamSid?: string };
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (message.event === 'start' && message.streamSid) {
        const bot: Twilio = { socket, streamSid: message.streamSid, send: (m) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(m)) };
        cleanup = AFTER_START[mode]?.(bot);
        if (cleanup) cleanups.add(cleanup);
      }
      if (message.event === 'stop' && mode === 'healthy') socket.close(1000, 'bye');
    });
    socket.on('close', () => {
      if (cleanup) {
        cleanup();
        cleanups.delete(cleanup);
      }
    });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    url: (mode) => `${base}/${mode}`,
    close: async () => {
      for (const cleanup of cleanups) cleanup();
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
