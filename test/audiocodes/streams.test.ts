/**
 * Audio both ways against a scripted bot: user streams (order, acks, chunk sizes, formats,
 * policies, barge-in) and play streams in several formats and chunk sizes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Prompt } from '../../src/audio/types.ts';
import { encodeSamples, mediaFormat, MEDIA_FORMAT_NAMES, wavHeader } from '../../src/protocols/audiocodes/formats.ts';
import { encodePrompt } from '../../src/protocols/audiocodes/prompts.ts';
import { openCall, sendPlayStream } from './helpers.ts';
import { ackUserStreams, concat, frequencyOf, startScriptedBot, tone, type BotConnection, type ScriptedBot } from './scripted-bot.ts';

/** 300 ms of a 16 kHz tone then 100 ms of silence: 20 slots, no two alike (440 Hz does not repeat every 20 ms). */
function prompt(): Prompt {
  const samples = new Int16Array(6400);
  samples.set(tone(16000, 300, 440));
  return { file: 'tone.wav', sampleRate: 16000, samples, durationMs: 400, speech: { startMs: 0, endMs: 300 } };
}

/** The audio of every userStream.chunk from index `from` on, decoded from base64. */
function chunks(connection: BotConnection, from = 0): Buffer[] {
  return connection.received.slice(from).flatMap((m) => (m.type === 'userStream.chunk' ? [Buffer.from(m.audioChunk, 'base64')] : []));
}

describe('AudioCodes caller audio (user streams)', () => {
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  it('per turn: userStream.start, no audio until userStream.started, 20 ms chunks, userStream.stop, waits for stopped', async () => {
    const { harness, connection } = await openCall(bot);
    let firstFrameAt = -1;
    const played = harness.session.play(prompt(), (t) => (firstFrameAt = t));
    await connection.next('userStream.start');
    // The bot takes its time to acknowledge: the caller's audio must wait for it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(connection.indexOf('userStream.chunk'), -1, 'no chunk before userStream.started');
    connection.send({ type: 'userStream.started' });
    const result = await played;
    assert.equal(result.interrupted, false);
    assert.ok(firstFrameAt >= 0 && result.startedAt === firstFrameAt);
    await connection.next('userStream.stop');
    const types = connection.received.map((m) => m.type).filter((type) => type !== 'activities');
    assert.deepEqual(types, ['session.initiate', 'userStream.start', ...Array(20).fill('userStream.chunk'), 'userStream.stop']);
    const audio = chunks(connection);
    assert.ok(audio.every((chunk) => chunk.length === 640), '20 ms of 16 kHz 16-bit PCM per chunk');
    const pcm = new Int16Array(Buffer.concat(audio).buffer.slice(0));
    assert.deepEqual([...pcm.subarray(0, 4800)], [...prompt().samples.subarray(0, 4800)], 'the prompt, sample for sample');
    // The next turn waits for userStream.stopped before starting a new stream.
    const second = harness.session.play(prompt());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(connection.indexOf('userStream.start', connection.indexOf('userStream.stop')), -1, 'no new stream before userStream.stopped');
    connection.send({ type: 'userStream.stopped' });
    await connection.next('userStream.start', connection.indexOf('userStream.stop'));
    connection.send({ type: 'userStream.started' });
    await second;
    assert.deepEqual(harness.violations(), []);
    const callerFrames = harness.frames.filter((f) => f.caller !== null);
    assert.equal(callerFrames.length, 40, 'the sink heard both prompts, one frame per slot');
    await harness.session.hangup();
  });

  it('cuts caller audio into chunkMs pieces in the negotiated format', async () => {
    const cases: [string, number, number][] = [
      ['raw/mulaw', 100, 800],
      ['raw/lpcm16_8', 20, 320],
      ['raw/lpcm16_24', 60, 2880],
    ];
    for (const [format, chunkMs, bytes] of cases) {
      const { harness, connection } = await openCall(bot, { supportedMediaFormats: [format], chunkMs }, format);
      ackUserStreams(connection);
      connection.send({ type: 'userStream.started' }); // not waited for: acks are registered after the start went out
      await harness.session.play(prompt());
      await connection.next('userStream.stop');
      const audio = chunks(connection);
      const sizes = audio.map((chunk) => chunk.length);
      assert.ok(sizes.slice(0, -1).every((size) => size === bytes), `${format}: ${sizes.join(',')}`);
      assert.ok(sizes.at(-1)! <= bytes && sizes.at(-1)! > 0);
      const spec = mediaFormat(format)!;
      const width = spec.encoding === 'lpcm16' ? 2 : 1;
      assert.equal(Buffer.concat(audio).length, (spec.rate / 1000) * 400 * width, `${format}: 400 ms of audio`);
      assert.ok(Buffer.concat(audio).equals(Buffer.concat(encodePrompt(prompt(), spec).bytes)), `${format}: the prompt, byte for byte`);
      assert.deepEqual(harness.violations().filter((rule) => rule !== 'unexpected-ack'), []);
      await harness.session.hangup();
    }
  });

  it('puts a WAV header in front of the first chunk of each wav/mulaw stream', async () => {
    const { harness, connection } = await openCall(bot, { supportedMediaFormats: ['wav/mulaw'] }, 'wav/mulaw');
    ackUserStreams(connection);
    const played = harness.session.play(prompt());
    await connection.next('userStream.start');
    await played;
    await connection.next('userStream.stop');
    const audio = chunks(connection);
    assert.equal(audio[0]!.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(audio[0]!.length, 44 + 160);
    assert.ok(audio.slice(1).every((chunk) => chunk.length === 160));
    await harness.session.hangup();
  });

  it('continuous: one user stream from the start of the call, silence between turns, stopped before session.end', async () => {
    const { harness, connection } = await openCall(bot, { streamPolicy: 'continuous' });
    ackUserStreams(connection);
    await connection.next('userStream.start');
    connection.send({ type: 'userStream.started' });
    await harness.until(() => chunks(connection).length >= 5, 'silence chunks');
    assert.ok(chunks(connection).every((chunk) => chunk.every((byte) => byte === 0)), 'silence before the first turn');
    await harness.session.play(prompt());
    await harness.session.play(prompt());
    await harness.session.hangup();
    const types = connection.received.map((m) => m.type);
    assert.equal(types.filter((type) => type === 'userStream.start').length, 1, 'one stream for the call');
    const stop = types.indexOf('userStream.stop');
    assert.ok(stop > 0 && stop < types.indexOf('session.end'), 'userStream.stop before session.end');
    assert.ok(chunks(connection).some((chunk) => chunk.some((byte) => byte !== 0)), 'the prompts were sent');
  });

  it('trailingSilence streams silence after the prompt before userStream.stop', async () => {
    const { harness, connection } = await openCall(bot, { trailingSilence: '200ms' });
    ackUserStreams(connection);
    await harness.session.play(prompt());
    await connection.next('userStream.stop');
    assert.equal(chunks(connection).length, 20 + 10);
    await harness.session.hangup();
  });

  it('reports a bot that never answers userStream.start', async () => {
    const { harness, connection } = await openCall(bot, { streamAckTimeout: '300ms' });
    await harness.session.play(prompt());
    const violation = await harness.waitFor('violation');
    assert.equal(violation.rule, 'user-stream-not-started');
    assert.equal(connection.indexOf('userStream.chunk'), -1);
    await harness.session.hangup();
  });

  it('without barge-in, sends no caller audio while the bot plays; with it, streams and stops playback on speech.started', async () => {
    const audio = encodeSamples(tone(16000, 1500), mediaFormat('raw/lpcm16')!);

    const off = await openCall(bot);
    ackUserStreams(off.connection);
    sendPlayStream(off.connection, '1', 'raw/lpcm16', audio, audio.length);
    await off.harness.waitFor('botMedia');
    await off.harness.until(() => off.harness.session.botPlaying(), 'playback');
    await off.harness.session.play(prompt());
    assert.equal(off.connection.indexOf('userStream.start'), -1, 'the gateway does not listen during the prompt');
    await off.harness.session.hangup();

    const on = await openCall(bot);
    ackUserStreams(on.connection);
    on.connection.send({ type: 'activities', activities: [{ type: 'event', name: 'config', sessionParams: { bargeIn: true } }] });
    sendPlayStream(on.connection, '1', 'raw/lpcm16', audio, audio.length);
    await on.harness.waitFor('botMedia');
    const played = on.harness.session.play(prompt());
    await on.connection.next('userStream.chunk');
    assert.ok(on.harness.session.botPlaying(), 'caller audio flows while the bot plays');
    on.connection.send({ type: 'userStream.speech.started', participantId: 'caller' });
    const clear = await on.harness.waitFor('clear');
    assert.ok(clear.droppedMs > 500, `dropped ${clear.droppedMs}ms`);
    assert.equal(on.harness.session.botPlaying(), false);
    await played;
    assert.ok(on.harness.botFrames().length < 60, 'the rest of the prompt was not played');
    assert.deepEqual(on.harness.violations(), []);
    await on.harness.session.hangup();
  });
});

describe('AudioCodes bot audio (play streams)', () => {
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  const cases: { format: string; chunkMs: number | 'whole' | 'odd'; header?: boolean }[] = [
    { format: 'raw/lpcm16', chunkMs: 'whole' },
    { format: 'raw/mulaw', chunkMs: 20 },
    { format: 'raw/lpcm16_8', chunkMs: 'odd' },
    { format: 'raw/lpcm16_24', chunkMs: 100 },
    { format: 'wav/mulaw', chunkMs: 250, header: true },
  ];
  for (const { format, chunkMs, header } of cases) {
    it(`plays ${format} in ${chunkMs === 'whole' ? 'one chunk' : chunkMs === 'odd' ? '333-byte chunks' : `${chunkMs} ms chunks`} at real time, at 16 kHz, at its own pitch`, async () => {
      const { harness, connection } = await openCall(bot, { supportedMediaFormats: MEDIA_FORMAT_NAMES }, 'raw/lpcm16');
      const spec = mediaFormat(format)!;
      const samples = encodeSamples(tone(spec.rate, 1000, 440), spec);
      const audio = header ? new Uint8Array([...wavHeader(spec), ...samples]) : samples;
      const size = chunkMs === 'whole' ? audio.length : chunkMs === 'odd' ? 333 : (spec.rate / 1000) * chunkMs * (spec.encoding === 'lpcm16' ? 2 : 1);
      sendPlayStream(connection, '7', format, audio, size, 'Hello there');
      const text = await harness.waitFor('text');
      assert.deepEqual({ text: text.text, source: text.source }, { text: 'Hello there', source: 'altText' });
      await harness.waitFor('botMedia');
      await harness.until(() => harness.botFrames().length > 0 && !harness.session.botPlaying(), 'the end of playback');
      const frames = harness.botFrames();
      assert.ok(frames.every((frame) => frame.length === 320), '20 ms frames at 16 kHz');
      assert.ok(Math.abs(frames.length - 50) <= 1, `${frames.length} slots of audio for 1 s`);
      const heard = concat(frames);
      assert.ok(Math.abs(frequencyOf(heard.subarray(320, 15680), 16000) - 440) <= 5, `${frequencyOf(heard, 16000)} Hz`);
      // Real time: a second of audio takes about a second of slots, whatever the chunking.
      const slots = harness.frames.filter((f) => f.bot);
      assert.ok(slots.at(-1)!.t - slots[0]!.t >= 900);
      assert.deepEqual(harness.violations(), []);
      await harness.session.hangup();
    });
  }

  it('accepts null optional fields and the known field-name variants', async () => {
    const { harness, connection } = await openCall(bot);
    connection.send({ type: 'playStream.start', streamId: 1, mediaFormat: null, altText: null, activityParams: null });
    connection.send({ type: 'playStream.chunk', streamId: 1, audioChunk: Buffer.from(encodeSamples(tone(16000, 100), mediaFormat('raw/lpcm16')!)).toString('base64') });
    connection.send({ type: 'playStream.stop', streamId: '1', conversationId: null });
    connection.send({ type: 'userStream.speech.started', participantId: 'caller' });
    connection.send({ type: 'userStream.speech.hypothesis', alternatives: [{ text: 'I would', confidence: null }] });
    connection.send({ type: 'userStream.speech.recognition', text: 'I would like a pizza', participant: null });
    connection.send({ type: 'userStream.speech.stopped', participant: 'caller' });
    connection.send({ type: 'activities', activities: [{ type: 'message', text: 'Your order is on its way', id: null, language: null }] });
    connection.send({ type: 'activities', activities: [{ type: 'event', name: 'sendDtmf', activityParams: { dtmfDigits: '42#' }, sessionParams: null }] });
    const dtmf = await harness.waitFor('dtmf');
    assert.equal(dtmf.digits, '42#');
    const recognitions = harness.events.flatMap((e) => (e.type === 'recognition' ? [[e.text, e.final]] : []));
    assert.deepEqual(recognitions, [
      ['I would', false],
      ['I would like a pizza', true],
    ]);
    const texts = harness.events.flatMap((e) => (e.type === 'text' ? [[e.text, e.source]] : []));
    assert.deepEqual(texts, [['Your order is on its way', 'message']]);
    assert.ok(harness.events.some((e) => e.type === 'botMedia'));
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
  });
});
