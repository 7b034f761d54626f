/**
 * Watches one open connection for the ways a bot can hurt the runner without breaking the
 * protocol: going silent behind a dead network path (half-open), no longer reading what we
 * send (our frames pile up in memory), flooding us with messages, or sending frames too
 * large or malformed to parse. Each ends the call with one precise reason instead of a
 * hang, silent drift or a crash; protocols do not need to know any of this happens.
 */
import type WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import { formatMs } from '../clock/duration.ts';

/** A limit and where it was set, so a message can tell the user what to change. */
export interface Limit {
  ms: number;
  /** `limits.idle`, `--idle-timeout`, … */
  source: string;
}

export interface ConnectionPolicy {
  /** Nothing from the bot — not even a pong — for this long fails the call. 0 turns pings off. */
  idle?: Limit;
  /** Told once, with a one-line reason, when the connection must end; the socket is then terminated. */
  onFault(reason: string): void;
}

/** Frames larger than this are refused by ws before they are buffered (it closes with 1009). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Our own unsent bytes: past this, the kernel's buffers are full too and the bot is not reading. */
export const MAX_QUEUED_BYTES = 1024 * 1024;
/** Bots may stream a long prompt in one burst, but not keep up thousands of messages a second. */
export const FLOOD_BURST = 10_000;
export const FLOOD_RATE_PER_SECOND = 2_000;
/** The slowest the watchdog looks, so a long idle limit still notices a queue pile-up soon. */
const MAX_CHECK_MS = 1_000;
const MIN_CHECK_MS = 50;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** Starts watching an open socket; returns a function that stops it (also done on close). */
export function guardSocket(socket: WebSocket, policy: ConnectionPolicy): () => void {
  const idleMs = policy.idle?.ms ?? 0;
  const idleSource = policy.idle?.source ?? 'the idle limit';
  let lastData = performance.now();
  /** When the oldest ping still unanswered went out; a pong answers it and every ping before it. */
  let unansweredSince: number | null = null;
  let tokens = FLOOD_BURST;
  let refilledAt = lastData;
  let done = false;

  const fault = (reason: string) => {
    if (done) return;
    stop();
    policy.onFault(reason);
    socket.terminate();
  };

  const onMessage = () => {
    const now = performance.now();
    lastData = now;
    tokens = Math.min(FLOOD_BURST, tokens + ((now - refilledAt) * FLOOD_RATE_PER_SECOND) / 1000);
    refilledAt = now;
    if (--tokens < 0) {
      fault(
        `the bot flooded the connection: more than ${FLOOD_BURST} messages at over ${FLOOD_RATE_PER_SECOND} a second; convotest closed it (no telephony platform accepts that)`,
      );
    }
  };
  const onPing = () => {
    lastData = performance.now();
  };
  const onPong = () => {
    unansweredSince = null;
  };
  const onError = (error: Error & { code?: string }) => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      fault(`the bot sent a WebSocket message larger than ${formatBytes(MAX_MESSAGE_BYTES)}, the most convotest accepts; convotest closed the connection`);
    } else if (error.code?.startsWith('WS_ERR_')) {
      fault(`the bot sent a malformed WebSocket frame (${error.message}); the connection was closed`);
    }
  };

  /** What is wrong now, if anything. */
  const verdict = (now: number): string | null => {
    const queued = socket.bufferedAmount;
    if (queued > MAX_QUEUED_BYTES) {
      return `the bot stopped reading: ${formatBytes(queued)} of convotest's messages are queued unsent (limit ${formatBytes(MAX_QUEUED_BYTES)}), so what it sends no longer reaches the bot`;
    }
    if (idleMs <= 0 || unansweredSince === null || now - unansweredSince <= idleMs) return null;
    // Anything from the bot since that ping means it is alive and talking, just not reading.
    return lastData > unansweredSince
      ? `the bot stopped reading: it kept sending but left convotest's pings unanswered for ${formatMs(idleMs)} (${idleSource}), so what convotest sends piles up unread`
      : `the connection went silent: nothing from the bot, not even an answer to a ping, for ${formatMs(idleMs)} (${idleSource}); the bot or the network to it is gone (a half-open connection)`;
  };

  const check = () => {
    if (verdict(performance.now()) !== null) {
      // Timers run before pending I/O: after a stall of our own (GC, a starved CPU) the pong may
      // be waiting to be read. Judge again once it has been, so a slow runner never blames the bot.
      setImmediate(() => {
        const reason = verdict(performance.now());
        if (reason !== null) fault(reason);
      });
      return;
    }
    if (idleMs <= 0 || socket.readyState !== socket.OPEN) return;
    const now = performance.now();
    if (now - pingedAt < pingEvery) return;
    pingedAt = now;
    unansweredSince ??= now;
    socket.ping();
  };

  // The queue is looked at at least every second; pings go out every quarter of the idle
  // limit, as documented: a ping a second per call was thousands a second under load.
  const pingEvery = Math.max(MIN_CHECK_MS, idleMs / 4);
  let pingedAt = -Infinity;
  const checkEvery = Math.min(MAX_CHECK_MS, Math.max(MIN_CHECK_MS, idleMs > 0 ? idleMs / 4 : MAX_CHECK_MS));
  const timer = setInterval(check, checkEvery);
  // A watchdog must never be what keeps a finished run alive.
  timer.unref();

  function stop(): void {
    if (done) return;
    done = true;
    clearInterval(timer);
    socket.off('message', onMessage);
    socket.off('ping', onPing);
    socket.off('pong', onPong);
    socket.off('close', stop);
  }

  socket.on('message', onMessage);
  socket.on('ping', onPing);
  socket.on('pong', onPong);
  // Stays attached after stop(): a late frame error must never become an unhandled 'error'.
  socket.on('error', onError);
  socket.once('close', stop);
  return stop;
}
