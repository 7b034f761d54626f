/**
 * The connection guard on real sockets: our own sends piling up behind a bot that stopped
 * reading (bufferedAmount), and frames ws itself refuses, each end the connection with one
 * reason and never an unhandled error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { openSocket } from '../../src/protocols/connect.ts';
import { MAX_QUEUED_BYTES } from '../../src/protocols/guard.ts';

async function server(onConnection: (socket: WebSocket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (socket) => {
    socket.on('error', () => {});
    onConnection(socket);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => (socket.readyState === socket.CLOSED ? resolve() : socket.once('close', () => resolve())));
}

test('a bot that stops reading: our queued bytes pass the limit and the guard names it', async () => {
  const bot = await server((socket) => (socket as unknown as { _socket: Duplex })._socket.pause());
  try {
    const faults: string[] = [];
    let fault!: () => void;
    const faulted = new Promise<void>((resolve) => (fault = resolve));
    // Pings off: only the queue can tell here.
    const socket = await openSocket(bot.url, {
      timeoutMs: 5_000,
      guard: {
        idle: { ms: 0, source: 'test' },
        onFault: (reason) => {
          faults.push(reason);
          fault();
        },
      },
    });
    socket.resume();
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 8 && socket.readyState === socket.OPEN; i++, sent += chunk.length) socket.send(chunk);
    }, 5);
    await faulted;
    clearInterval(pump);
    await closed(socket);
    assert.equal(faults.length, 1, 'told once');
    assert.match(faults[0]!, /^the bot stopped reading: \d+(\.\d)? MiB of convotest's messages are queued unsent \(limit 1 MiB\), so what it sends no longer reaches the bot$/);
    assert.ok(sent > MAX_QUEUED_BYTES, 'the kernel buffers filled first, then our queue');
  } finally {
    await bot.close();
  }
});

test('a text frame that is not UTF-8 is a malformed frame: reported, the socket closed, no unhandled error', async () => {
  const bot = await server((socket) => socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }));
  try {
    const faults: string[] = [];
    const socket = await openSocket(bot.url, { timeoutMs: 5_000, guard: { onFault: (reason) => faults.push(reason) } });
    socket.resume(); // openSocket hands the socket over paused, for its listeners to be attached first
    await closed(socket);
    assert.deepEqual(faults, ['the bot sent a malformed WebSocket frame (Invalid WebSocket frame: invalid UTF-8 sequence); the connection was closed']);
  } finally {
    await bot.close();
  }
});

test('an oversized frame without a guard still only closes the socket: ws refuses it before buffering, telling the bot 1009', async () => {
  let botSaw!: (code: number) => void;
  const botClose = new Promise<number>((resolve) => (botSaw = resolve));
  const bot = await server((socket) => {
    socket.on('close', (code) => botSaw(code));
    socket.send('y'.repeat(5 * 1024 * 1024));
  });
  try {
    const socket = await openSocket(bot.url, { timeoutMs: 5_000 });
    socket.resume();
    await closed(socket);
    assert.equal(await botClose, 1009);
  } finally {
    await bot.close();
  }
});

test('pings go out every quarter of the idle limit, not every check: idle 8s pings every 2s', async () => {
  let pings = 0;
  const bot = await server((socket) => socket.on('ping', () => pings++));
  try {
    const faults: string[] = [];
    const socket = await openSocket(bot.url, { timeoutMs: 5_000, guard: { idle: { ms: 8_000, source: 'test' }, onFault: (reason) => faults.push(reason) } });
    socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    socket.close();
    await closed(socket);
    // The queue check runs every second; a ping with each would be four by now. Late timers only mean fewer.
    assert.ok(pings >= 1 && pings <= 3, `${pings} pings in 4.5 s`);
    assert.deepEqual(faults, [], 'the bot answered every ping');
  } finally {
    await bot.close();
  }
});
