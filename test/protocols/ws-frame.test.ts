/**
 * Frames written straight onto the socket (the media hot path) must be exactly what a
 * WebSocket server accepts, carry the same text as the string template, keep their order
 * with messages sent through ws, and use a fresh mask per frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import type { Duplex } from 'node:stream';
import { frameHeaderBytes, maskFrame, rawSocketOf, textFrame, writeFrame } from '../../src/protocols/ws-frame.ts';
import { openSocket } from '../../src/protocols/connect.ts';
import { MediaFrameEncoder } from '../../src/protocols/twilio/media-frame.ts';

/** The media message as Twilio's capture shapes it, built the plain way: the oracle for the byte encoder. */
function mediaTemplate(streamSid: string) {
  return (sequenceNumber: number, chunk: number, timestamp: number, payload: string) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: String(sequenceNumber),
      media: { track: 'inbound', chunk: String(chunk), timestamp: String(timestamp), payload },
      streamSid,
    });
}

async function server(t: { after(fn: () => unknown): void }): Promise<{ url: string; received: Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20 });
  await once(wss, 'listening');
  t.after(() => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(resolve));
  });
  const { port } = wss.address() as { port: number };
  const received = once(wss, 'connection').then(([socket]) => socket as WebSocket);
  return { url: `ws://127.0.0.1:${port}/`, received };
}

/** A client opened by convotest's openSocket, the server's side of it, and the socket under the client. */
async function connected(t: { after(fn: () => unknown): void }) {
  const { url, received } = await server(t);
  const client = await openSocket(url, { timeoutMs: 5000 });
  t.after(() => client.terminate());
  client.resume();
  const bot = await received;
  const raw = rawSocketOf(client);
  assert.ok(raw, 'the socket under the WebSocket is known after the upgrade');
  return { client, bot, raw };
}

function collect(socket: WebSocket, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    const texts: string[] = [];
    socket.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'a text frame');
      texts.push((data as Buffer).toString('utf8'));
      if (texts.length === count) resolve(texts);
    });
  });
}

/** Undoes the mask of a frame from MediaFrameWriter.frame, giving back the payload text. */
function unmasked(frame: Buffer): string {
  const copy = Buffer.from(frame);
  maskFrame(copy); // XOR twice is the identity
  const length = copy[1]! & 0x7f;
  return copy.subarray((length < 126 ? 2 : length === 126 ? 4 : 10) + 4).toString('utf8');
}

test('media frames written on the raw socket arrive as the template text, in order with ws.send', async (t) => {
  const { client, bot, raw } = await connected(t);

  const streamSid = 'MZ0123456789abcdef0123456789abcdef';
  const encoder = new MediaFrameEncoder(streamSid);
  const template = mediaTemplate(streamSid);
  const payloads = ['', '/w==', Buffer.alloc(160, 0x7f).toString('base64')];
  const cases: [number, number, number, string][] = [
    [1, 1, 0, payloads[2]!],
    [9, 10, 99, payloads[1]!],
    [123456, 654321, -20, payloads[0]!],
    [2 ** 31, 7, 1_000_000_007, payloads[2]!],
  ];
  const arriving = collect(bot, cases.length + 1);
  const [first, ...rest] = cases;
  raw.write(encoder.frame(first![0], first![1], first![2], Buffer.from(first![3], 'latin1')));
  client.send('{"event":"mark","between":true}');
  for (const [seq, chunk, ts, payload] of rest) raw.write(encoder.frame(seq, chunk, ts, Buffer.from(payload, 'latin1')));

  const texts = await arriving;
  const expected = cases.map(([seq, chunk, ts, payload]) => template(seq, chunk, ts, payload));
  assert.deepEqual(texts, [expected[0], '{"event":"mark","between":true}', ...expected.slice(1)]);
  for (const text of texts) JSON.parse(text);
});

test('every frame has its own mask, and unmasks to the template text', () => {
  const encoder = new MediaFrameEncoder('MZx');
  const payload = Buffer.from(Buffer.alloc(160, 1).toString('base64'), 'latin1');
  const frames = Array.from({ length: 50 }, (_, i) => encoder.frame(i + 1, i + 1, i * 20, payload));
  const masks = new Set(frames.map((frame) => frame.subarray(frameHeaderBytes(frame.length) - 4, frameHeaderBytes(frame.length)).toString('hex')));
  assert.ok(masks.size >= 49, `masks repeat: ${masks.size} distinct in 50 frames`);
  assert.equal(frames[0]![0], 0x81, 'FIN + text');
  assert.equal(frames[0]![1]! & 0x80, 0x80, 'masked, as a client must');
  assert.equal(unmasked(frames[3]!), mediaTemplate('MZx')(4, 4, 60, payload.toString('latin1')));
});

test('text frames of every length encoding, and of multi-byte text, are accepted by a WebSocket server', async (t) => {
  const { bot, raw } = await connected(t);
  const lengths = [0, 1, 125, 126, 65535, 65536, 70001];
  const texts = lengths.map((n, i) => 'abcdefghij'.repeat(Math.ceil(n / 10) + 1).slice(i, i + n));
  // Not ASCII: the frame length is in bytes, not characters (customParameters may hold any text).
  texts.push('{"name":"Zoë","note":"€ 5, 日本"}');
  const arriving = collect(bot, texts.length);
  for (const text of texts) raw.write(textFrame(text));
  assert.deepEqual((await arriving).slice(0, lengths.length).map((text) => text.length), lengths);
  assert.deepEqual(await arriving, texts);
});

test('a frame is written over only once the socket took all of it: a bot that stops reading gets every frame intact', async (t) => {
  const { bot, raw } = await connected(t);
  const botSocket = (bot as unknown as { _socket: Duplex })._socket;
  botSocket.pause();
  const streamSid = 'MZ0123456789abcdef0123456789abcdef';
  const encoder = new MediaFrameEncoder(streamSid);
  // Big frames fill the kernel's buffers in a few MB, so frames soon wait in the socket's queue.
  const payloads = Array.from({ length: 7 }, (_, i) => Buffer.from(Buffer.alloc(45_000, i).toString('base64'), 'latin1'));
  let sent = 0;
  let recycled = 0;
  let queuedAfter = 0;
  while (queuedAfter < 40 && sent < 5000) {
    sent++;
    const frame = encoder.frame(sent, sent, sent * 20, payloads[sent % payloads.length]!);
    if (writeFrame(raw, frame)) {
      encoder.recycle(frame);
      recycled++;
    } else queuedAfter++;
  }
  assert.ok(queuedAfter >= 40, `the socket never queued a frame in ${sent} frames`);
  assert.ok(recycled > 0, 'frames the socket took at once were recycled');
  // Had a queued frame been written over, its sequence number or payload would show twice.
  const arriving = collect(bot, sent);
  botSocket.resume();
  const texts = await arriving;
  const template = mediaTemplate(streamSid);
  for (let i = 0; i < sent; i++) {
    const n = i + 1;
    assert.equal(texts[i], template(n, n, n * 20, payloads[n % payloads.length]!.toString('latin1')), `frame ${n}`);
  }
});
