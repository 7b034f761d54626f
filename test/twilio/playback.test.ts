/**
 * Twilio's playback semantics: marks are echoed when playback reaches them (at once when
 * nothing is buffered), `clear` drops the audio and echoes pending marks at once. Playback
 * time is counted in the caller's 20 ms media frames, not in wall-clock time, so the checks
 * hold on a loaded machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PlaybackBuffer } from '../../src/protocols/twilio/playback.ts';
import { TwilioCallerSession } from '../../src/protocols/twilio/caller.ts';
import type { ProtocolEvent } from '../../src/protocols/events.ts';
import { startScriptedBot, type ScriptedConnection } from '../helpers/scripted-bot.ts';

test('the buffer plays 160 bytes a slot and releases a mark only after the audio before it', () => {
  const buffer = new PlaybackBuffer();
  assert.equal(buffer.pushMark('empty', 0), true, 'a mark with nothing ahead is reached at once');
  buffer.pushAudio(new Uint8Array(400).fill(1));
  assert.equal(buffer.pushMark('after-audio', 0), false);
  buffer.pushAudio(new Uint8Array(160).fill(2));
  assert.equal(buffer.bufferedMs, 70);
  // A played frame is valid until the next playFrame: keep copies.
  const frames = Array.from({ length: 5 }, () => {
    const played = buffer.playFrame();
    return { marks: played.marks.map((m) => m.name), audio: played.audio ? [...played.audio] : null };
  });
  assert.deepEqual(frames.map((f) => f.marks), [[], [], [], ['after-audio'], []]);
  assert.deepEqual(frames.map((f) => f.audio?.[0] ?? null), [1, 1, 1, 2, null]);
  // 400 bytes = 2.5 frames: the third frame is half audio, half μ-law silence.
  assert.equal(frames[2]!.audio![79], 1);
  assert.equal(frames[2]!.audio![80], 0xff);
  assert.equal(frames[3]!.audio!.length, 160);
  assert.equal(frames[3]!.audio![159], 2);
  assert.equal(buffer.hasAudio(), false);
});

test('clear drops every queued byte and hands back all pending marks in order', () => {
  const buffer = new PlaybackBuffer();
  buffer.pushAudio(new Uint8Array(8000));
  buffer.pushMark('one', 10);
  buffer.pushAudio(new Uint8Array(8000));
  buffer.pushMark('two', 20);
  buffer.playFrame();
  const { marks, droppedMs } = buffer.clear();
  assert.deepEqual(marks.map((m) => [m.name, m.sentAt]), [['one', 10], ['two', 20]]);
  assert.equal(droppedMs, 1980);
  assert.equal(buffer.playFrame().audio, null);
});

test('queued audio is a copy, plays back byte for byte in order across the ring edge and through growth', () => {
  const buffer = new PlaybackBuffer();
  const played: number[] = [];
  const playSlots = (slots: number) => {
    for (let i = 0; i < slots; i++) {
      const audio = buffer.playFrame().audio;
      if (audio) for (const byte of audio) played.push(byte);
    }
  };
  // Each message holds a run of distinct bytes, so any byte out of place shows.
  let next = 0;
  const sent: number[] = [];
  const send = (bytes: number) => {
    const message = Uint8Array.from({ length: bytes }, () => next++ % 251);
    for (const byte of message) sent.push(byte);
    buffer.pushAudio(message);
    message.fill(0); // the bot's message buffer is reused at once: the queue must not see it
  };
  // 1600-byte messages played 160 a slot: the write position wraps the 16 KB ring many times.
  for (let round = 0; round < 30; round++) {
    send(1600);
    playSlots(10);
  }
  // 40 s in one go, while part of the ring is unplayed and wrapped: the ring grows, keeping order.
  send(800);
  playSlots(2);
  send(320_000);
  assert.equal(buffer.bufferedMs, (800 - 320 + 320_000) / 8);
  playSlots(Math.ceil(buffer.bufferedMs / 20));
  assert.equal(buffer.hasAudio(), false);
  assert.equal(played.length, sent.length);
  assert.deepEqual(played, sent);
  // After a clear the buffer starts over and plays only what comes next.
  send(16_000);
  buffer.clear();
  send(160);
  playSlots(1);
  assert.deepEqual(played.slice(-160), sent.slice(-160));
  assert.equal(buffer.hasAudio(), false);
});

async function call(t: { after(fn: () => unknown): void }) {
  const bot = await startScriptedBot();
  const events: ProtocolEvent[] = [];
  const heard: (Int16Array | null)[] = [];
  const origin = performance.now();
  const session = new TwilioCallerSession(
    { target: bot.url, from: '+1', to: '+2', parameters: {}, options: {}, connectTimeout: 5000 },
    { origin, now: () => performance.now() - origin },
    { event: (e) => events.push(e), wire() {}, frame: (_t, _caller, bot) => heard.push(bot) },
  );
  t.after(async () => {
    session.dispose();
    await bot.close();
  });
  await session.connect();
  const connection = await bot.nextConnection();
  await connection.waitFor((m) => m.event === 'start');
  const streamSid = connection.received[1]!.streamSid as string;
  return { session, connection, events, heard, streamSid };
}

/** Caller media frames the bot received between two indexes of its inbox: 20 ms each. */
function framesBetween(connection: ScriptedConnection, from: number, to: number): number {
  return connection.received.slice(from, to).filter((m) => m.event === 'media').length;
}

const audio = (ms: number, byte = 0x10) => Buffer.alloc(ms * 8, byte).toString('base64');

test('a mark is echoed when playback reaches it, about 1 s after 1 s of audio, not on receipt', async (t) => {
  const { connection, events, streamSid } = await call(t);
  const sentAt = connection.received.length;
  connection.send({ event: 'media', streamSid, media: { payload: audio(1000) } });
  connection.send({ event: 'mark', streamSid, mark: { name: 'one-second' } });
  const echo = await connection.waitFor((m) => m.event === 'mark', sentAt);
  const frames = framesBetween(connection, sentAt, echo.index);
  assert.ok(frames >= 48 && frames <= 54, `echo after ${frames} caller frames (≈ 50 for 1 s of audio)`);
  assert.deepEqual(echo.message.mark, { name: 'one-second' });
  assert.equal(echo.message.streamSid, streamSid);
  const mark = events.find((e) => e.type === 'mark');
  assert.ok(mark && mark.type === 'mark' && !mark.cleared);
});

test('a mark with nothing buffered is echoed at once', async (t) => {
  const { connection, streamSid } = await call(t);
  const sentAt = connection.received.length;
  connection.send({ event: 'mark', streamSid, mark: { name: 'idle' } });
  const echo = await connection.waitFor((m) => m.event === 'mark', sentAt);
  assert.ok(framesBetween(connection, sentAt, echo.index) <= 1);
});

test('clear empties the buffer, echoes pending marks at once and in order, and the caller hears nothing more', async (t) => {
  const { connection, events, heard, streamSid } = await call(t);
  connection.send({ event: 'media', streamSid, media: { payload: audio(3000) } });
  connection.send({ event: 'mark', streamSid, mark: { name: 'first' } });
  connection.send({ event: 'media', streamSid, media: { payload: audio(2000) } });
  connection.send({ event: 'mark', streamSid, mark: { name: 'second' } });
  // Let some of it play, then clear.
  const playing = connection.received.length;
  await connection.waitFor((m) => m.event === 'media' && Number(m.media.chunk) > 0, playing + 10);
  const clearedAt = connection.received.length;
  connection.send({ event: 'clear', streamSid });
  const second = await connection.waitFor((m) => m.event === 'mark' && m.mark.name === 'second', clearedAt);
  const echoes = connection.received.slice(clearedAt).filter((m) => m.event === 'mark').map((m) => m.mark.name);
  assert.deepEqual(echoes, ['first', 'second']);
  assert.ok(framesBetween(connection, clearedAt, second.index) <= 1, 'echoed at once, not after 5 s of playback');
  const clear = events.find((e) => e.type === 'clear');
  assert.ok(clear && clear.type === 'clear' && clear.droppedMs > 4000 && clear.droppedMs < 5000, `dropped ${clear && 'droppedMs' in clear ? clear.droppedMs : '?'} ms`);
  assert.deepEqual(events.filter((e) => e.type === 'mark').map((e) => e.type === 'mark' && e.cleared), [true, true]);
  // After the clear the caller hears silence: later slots carry no bot audio.
  const slotsAfter = heard.length;
  await connection.waitFor(() => true, connection.received.length + 5);
  assert.ok(heard.slice(slotsAfter).every((frame) => frame === null));
});
