/**
 * Every compliance rule, each caught from a scripted bot that breaks it on a real socket:
 * the violation names the rule and the offending message, the call stays up, and what
 * Twilio would drop is not played.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPrompt } from '../../src/audio/wav-read.ts';
import { mulawEncode } from '../../src/audio/g711.ts';
import { pcm16Evidence } from '../../src/protocols/twilio/payload.ts';
import { TWILIO_RULES } from '../../src/protocols/twilio/rules.ts';
import type { ProtocolEvent } from '../../src/protocols/events.ts';
import { voiceFile, type Line } from '../../src/bot/voice.ts';
import { startScriptedBot, type ScriptedConnection } from '../helpers/scripted-bot.ts';
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { newSession, until } from './helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

async function connected(t: { after(fn: () => unknown): void }) {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const open = newSession(t, bot.url);
  await open.session.connect();
  const connection = await bot.nextConnection();
  const { message } = await connection.waitFor((m) => m.event === 'start');
  return { ...open, connection, streamSid: message.streamSid as string };
}

function violations(events: ProtocolEvent[]) {
  return events.flatMap((e) => (e.type === 'violation' ? [e] : []));
}

/** Sends `message`, then a mark as a fence, and returns the violations the message caused. */
async function sendAndRead(c: Awaited<ReturnType<typeof connected>>, message: unknown) {
  const before = violations(c.events).length;
  const fence = `fence-${Math.random()}`;
  if (Buffer.isBuffer(message)) c.connection.socket.send(message, { binary: true });
  else c.connection.send(message);
  c.connection.send({ event: 'mark', streamSid: c.streamSid, mark: { name: fence } });
  assert.ok(await until(() => c.events.some((e) => e.type === 'mark' && e.name === fence)), 'the call goes on after a violation');
  return violations(c.events).slice(before);
}

const speechPayload = (bytes = 1600) => Buffer.from(Array.from({ length: bytes }, (_, i) => (Math.floor(i / 10) % 2 ? 0x10 : 0x90))).toString('base64');

test('each malformed message is caught, named by its rule, kept as the offending message, and dropped', async (t) => {
  const c = await connected(t);
  const sid = c.streamSid;
  const cases: [string, unknown, string, RegExp][] = [
    ['not JSON', 'hello bot', 'invalid-json', /not JSON: "hello bot"/],
    ['JSON but not an object', '[1,2]', 'invalid-json', /JSON that is not an object/],
    ['binary frame', Buffer.from([1, 2, 3]), 'binary-frame', /binary frame \(3 bytes\).*31950/],
    ['unknown event', { event: 'play', streamSid: sid }, 'unknown-event', /unknown event "play"/],
    ['no event', { streamSid: sid, media: { payload: '' } }, 'unknown-event', /has no `event` string/],
    ['streamSid missing', { event: 'clear' }, 'stream-sid-missing', /bot clear has no `streamSid`/],
    ['streamSid null', { event: 'media', streamSid: null, media: { payload: speechPayload() } }, 'stream-sid-missing', /a null `streamSid`/],
    ['streamSid of another stream', { event: 'clear', streamSid: 'MZ0000' }, 'stream-sid-wrong', /names streamSid "MZ0000", not this stream's MZ/],
    ['stream_sid', { event: 'clear', stream_sid: sid }, 'stream-sid-snake-case', /uses `stream_sid`/],
    ['mark without name', { event: 'mark', streamSid: sid, mark: {} }, 'mark-name', /mark has no `mark.name`/],
    ['mark with an empty name', { event: 'mark', streamSid: sid, mark: { name: '' } }, 'mark-name', /mark\.name/],
    ['mark without mark', { event: 'mark', streamSid: sid }, 'mark-name', /mark\.name/],
    ['extra field', { event: 'clear', streamSid: sid, reason: 'barge-in' }, 'unknown-field', /field Twilio does not define: reason/],
    ['extra media field', { event: 'media', streamSid: sid, media: { payload: speechPayload(), track: 'outbound' } }, 'unknown-field', /media\.track/],
    ['media without media', { event: 'media', streamSid: sid }, 'message-shape', /bot media has no `media`/],
    ['payload not a string', { event: 'media', streamSid: sid, media: { payload: 42 } }, 'message-shape', /media\.payload must be string/],
    ['payload not base64', { event: 'media', streamSid: sid, media: { payload: 'not*base64!' } }, 'payload-base64', /not valid base64/],
  ];
  for (const [label, message, rule, pattern] of cases) {
    const found = await sendAndRead(c, message);
    assert.deepEqual(found.map((v) => v.rule), [rule], label);
    assert.match(found[0]!.message, pattern, label);
    assert.equal(found[0]!.severity, undefined, `${label}: an error by default`);
    if (!Buffer.isBuffer(message)) assert.ok(found[0]!.offending !== undefined, `${label}: the offending message is kept`);
  }
  assert.ok(c.heard.every((frame) => frame === null), 'none of the malformed audio was played');
  assert.ok(!c.events.some((e) => e.type === 'clear'), 'the malformed clears did nothing');
});

test('a WAV header sent as audio is caught, and played as Twilio would (it is only bytes to Twilio)', async (t) => {
  const c = await connected(t);
  const wav = Buffer.concat([Buffer.from('RIFF\x24\x08\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(1600, 0x10)]);
  const found = await sendAndRead(c, { event: 'media', streamSid: c.streamSid, media: { payload: wav.toString('base64') } });
  assert.deepEqual(found.map((v) => v.rule), ['payload-riff']);
  assert.ok(await until(() => c.heard.some((frame) => frame !== null)), 'the bytes are played');
});

test('PCM16 sent as μ-law is caught from the payload statistics; real μ-law speech is not', async (t) => {
  // The bot's own voice, in both encodings: μ-law must pass, PCM16 must not.
  const lines: Line[] = ['greeting', 'reply', 'long-reply', 'dtmf', 'goodbye'];
  for (const line of lines) {
    const prompt = await loadPrompt(voiceFile(line), 8000);
    const mulaw = mulawEncode(prompt.samples);
    const pcm16 = new Uint8Array(prompt.samples.buffer, prompt.samples.byteOffset, prompt.samples.byteLength);
    for (let i = 0; i + 1600 <= mulaw.length; i += 1600) assert.equal(pcm16Evidence(mulaw.subarray(i, i + 1600)), null, `${line} μ-law at ${i}`);
    let flagged = 0;
    let windows = 0;
    for (let i = 0; i + 3200 <= pcm16.length; i += 3200, windows++) if (pcm16Evidence(pcm16.subarray(i, i + 3200))) flagged++;
    assert.ok(flagged / windows > 0.9, `${line}: ${flagged}/${windows} PCM16 windows flagged`);
  }
  for (const file of ['audio/hello.wav', 'audio/order-pizza.wav', 'audio/interrupt.wav']) {
    const prompt = await loadPrompt(ROOT + file, 8000);
    const mulaw = mulawEncode(prompt.samples);
    for (let i = 0; i + 1600 <= mulaw.length; i += 1600) assert.equal(pcm16Evidence(mulaw.subarray(i, i + 1600)), null, `${file} μ-law at ${i}`);
  }
  assert.ok(pcm16Evidence(new Uint8Array(800)), 'PCM16 digital silence (zero bytes) is flagged');
  assert.equal(pcm16Evidence(new Uint8Array(800).fill(0xff)), null, 'μ-law silence is not');

  const c = await connected(t);
  const prompt = await loadPrompt(voiceFile('greeting'), 8000);
  const pcm = Buffer.from(prompt.samples.buffer, prompt.samples.byteOffset, 6400);
  const found = await sendAndRead(c, { event: 'media', streamSid: c.streamSid, media: { payload: pcm.toString('base64') } });
  assert.deepEqual(found.map((v) => v.rule), ['payload-pcm16']);
  assert.match(found[0]!.message, /looks like 16-bit PCM, not 8-bit μ-law/);
});

/**
 * A bot that never stops streaming and never answers the closing handshake: a bare-bones
 * WebSocket server on a raw socket (ws itself always answers a close at once).
 */
async function relentlessBot(t: { after(fn: () => unknown): void }, streamSid: string) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head.endsWith('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.endsWith('\r\n\r\n')) return;
      const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      const timer = setInterval(() => {
        const text = Buffer.from(JSON.stringify({ event: 'media', streamSid, media: { payload: speechPayload(160) } }));
        socket.write(Buffer.concat([Buffer.from([0x81, 126, text.length >> 8, text.length & 0xff]), text]));
      }, 50);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}/s`;
}

test('messages after stop are violations, beyond those that crossed it on the wire', async (t) => {
  const url = await relentlessBot(t, 'MZ0123');
  const { session, events, wire } = newSession(t, url, { streamSid: 'MZ0123' });
  await session.connect();
  await until(() => wire.filter((m) => m.dir === 'in').length >= 3);
  await session.hangup();
  const found = violations(events);
  assert.ok(found.length >= 1, 'the media that kept coming after stop is caught');
  assert.ok(found.every((v) => v.rule === 'after-stop'));
  assert.match(found[0]!.message, /^bot sent media (\d+)ms after the stream was stopped$/);
  // Counted when more than 250 ms late, printed rounded: 250.3 ms reads "250ms".
  assert.ok(Number(/(\d+)ms/.exec(found[0]!.message)![1]) >= 250, 'what crossed the stop on the wire is not counted');
  assert.ok(found.length <= 5, 'a rule is recorded at most five times');
});

/** The caller talks (a long prompt), the bot clears, then sends `late` after `wait` ms. */
async function clearThenSend(t: { after(fn: () => unknown): void }, options: { wait: number; late: boolean }) {
  const c = await connected(t);
  const prompt = await loadPrompt(ROOT + 'audio/order-pizza.wav', 8000);
  const playing = c.session.play(prompt);
  c.connection.send({ event: 'media', streamSid: c.streamSid, media: { payload: speechPayload(16000) } });
  c.connection.send({ event: 'mark', streamSid: c.streamSid, mark: { name: 'reply' } });
  await c.connection.waitFor((m) => m.event === 'media', c.connection.received.length + 5);
  c.connection.send({ event: 'clear', streamSid: c.streamSid });
  // In flight: sent right behind the clear.
  c.connection.send({ event: 'media', streamSid: c.streamSid, media: { payload: speechPayload(160) } });
  if (options.late) {
    await c.connection.waitFor((m) => m.event === 'media', c.connection.received.length + Math.ceil(options.wait / 20));
    c.connection.send({ event: 'media', streamSid: c.streamSid, media: { payload: speechPayload(1600) } });
  }
  const fence = await sendAndRead(c, { event: 'clear', streamSid: c.streamSid });
  await playing;
  return { c, found: [...violations(c.events)], fence };
}

test('audio after clear, beyond what was in flight, while the caller still talks, is a violation', async (t) => {
  const { found } = await clearThenSend(t, { wait: 300, late: true });
  assert.deepEqual(found.map((v) => v.rule), ['after-clear']);
  assert.match(found[0]!.message, /bot sent audio \d+ms after its clear, while the caller was still talking \(more than the 50ms allowed for audio in flight\)/);
});

test('audio in flight right behind a clear is not a violation', async (t) => {
  const { found } = await clearThenSend(t, { wait: 0, late: false });
  assert.deepEqual(found, []);
});

test('every rule is documented with a description', () => {
  for (const [rule, description] of Object.entries(TWILIO_RULES)) {
    assert.match(rule, /^[a-z0-9-]+$/);
    assert.ok(description.length > 10, rule);
  }
});
