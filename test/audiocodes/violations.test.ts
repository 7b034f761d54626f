/**
 * Every compliance rule, each broken on purpose by a scripted bot, and the message that
 * says so; and what must not count as a violation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openCall } from './helpers.ts';
import { Harness, startScriptedBot, type ScriptedBot } from './scripted-bot.ts';

const AUDIO = Buffer.alloc(640).toString('base64');

/** Sends the messages, then waits for the first violation and returns it. */
async function violationAfter(bot: ScriptedBot, messages: unknown[], options: Record<string, unknown> = {}) {
  const { harness, connection } = await openCall(bot, options);
  for (const message of messages) connection.send(message);
  const violation = await harness.waitFor('violation');
  await harness.session.hangup();
  return { violation, all: harness.violations() };
}

describe('AudioCodes protocol violations', () => {
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  it('audio before session.accepted', async () => {
    const harness = new Harness(bot.url);
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    const initiate = await connection.next('session.initiate');
    connection.send({ type: 'playStream.start', streamId: '1', mediaFormat: 'raw/lpcm16' });
    await harness.waitFor('violation');
    connection.send({ type: 'session.accepted', conversationId: initiate.conversationId, mediaFormat: 'raw/lpcm16' });
    await connecting;
    assert.deepEqual(harness.violations(), ['audio-before-accept']);
    assert.match((harness.events.find((e) => e.type === 'violation') as { message: string }).message, /playStream\.start before session\.accepted/);
    await harness.session.hangup();
  });

  it('not: a greeting sent right behind session.accepted', async () => {
    const harness = new Harness(bot.url);
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    await connection.next('session.initiate');
    // One write, so the gateway's socket delivers all four messages in the same tick.
    const tcp = (connection.socket as unknown as { _socket: import('node:net').Socket })._socket;
    tcp.cork();
    connection.send({ type: 'session.accepted', mediaFormat: 'raw/lpcm16' });
    connection.send({ type: 'playStream.start', streamId: '1', altText: 'Hi' });
    connection.send({ type: 'playStream.chunk', streamId: '1', audioChunk: AUDIO });
    connection.send({ type: 'playStream.stop', streamId: '1' });
    tcp.uncork();
    await connecting;
    await harness.waitFor('text');
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
  });

  it('a chunk for a stream the bot never started', async () => {
    const { violation } = await violationAfter(bot, [{ type: 'playStream.chunk', streamId: 'ghost', audioChunk: AUDIO }]);
    assert.equal(violation.rule, 'unknown-stream');
    assert.match(violation.message, /"ghost", which it never started/);
    assert.deepEqual(violation.offending, { type: 'playStream.chunk', streamId: 'ghost', audioChunk: '<640 bytes>' });
  });

  it('a chunk for a stream the bot already stopped', async () => {
    const { violation } = await violationAfter(bot, [
      { type: 'playStream.start', streamId: 's1' },
      { type: 'playStream.chunk', streamId: 's1', audioChunk: AUDIO },
      { type: 'playStream.stop', streamId: 's1' },
      { type: 'playStream.chunk', streamId: 's1', audioChunk: AUDIO },
    ]);
    assert.equal(violation.rule, 'closed-stream');
  });

  it('a second playStream.start while one is open', async () => {
    const { violation } = await violationAfter(bot, [
      { type: 'playStream.start', streamId: 'a' },
      { type: 'playStream.start', streamId: 'b' },
    ]);
    assert.equal(violation.rule, 'second-play-stream');
    assert.match(violation.message, /"b" while stream "a" was still open/);
  });

  it('a play stream in a mediaFormat that was not offered', async () => {
    const { violation } = await violationAfter(bot, [{ type: 'playStream.start', streamId: '1', mediaFormat: 'raw/mulaw' }], { supportedMediaFormats: ['raw/lpcm16'] });
    assert.equal(violation.rule, 'media-format');
    assert.match(violation.message, /raw\/mulaw, which was not offered \(offered: raw\/lpcm16\)/);
  });

  it('a message without type', async () => {
    const { violation } = await violationAfter(bot, [{ streamId: '1', audioChunk: AUDIO }]);
    assert.equal(violation.rule, 'missing-type');
  });

  it('a binary frame', async () => {
    const { violation } = await violationAfter(bot, [Buffer.from([1, 2, 3, 4])]);
    assert.equal(violation.rule, 'binary-frame');
    assert.match(violation.message, /binary frame \(4 bytes\)/);
  });

  it('a message that breaks the schema, and an unknown type', async () => {
    const schema = await violationAfter(bot, [{ type: 'playStream.chunk', streamId: '1' }]);
    assert.equal(schema.violation.rule, 'schema');
    assert.equal(schema.violation.message, 'bot playStream.chunk: playStream.chunk has no `audioChunk`');
    for (const audioChunk of ['AAAA AAAA', 'ab-_', 'AAA=AAAA']) {
      const chunk = await violationAfter(bot, [{ type: 'playStream.chunk', streamId: '1', audioChunk }]);
      assert.equal(chunk.violation.rule, 'schema', audioChunk);
      assert.match(chunk.violation.message, /^bot playStream\.chunk: `audioChunk` is not base64/, audioChunk);
    }
    const recognition = await violationAfter(bot, [{ type: 'userStream.speech.recognition', alternatives: [] }]);
    assert.match(recognition.violation.message, /^bot userStream\.speech\.recognition: /);
    const unknown = await violationAfter(bot, [{ type: 'playStream.pause', streamId: '1' }]);
    assert.equal(unknown.violation.rule, 'unknown-type');
  });

  it('anything after session.end (beyond what was already in flight)', async () => {
    const { harness, connection } = await openCall(bot);
    connection.closeOnEnd = false;
    connection.socket.on('message', (data) => {
      if (JSON.parse(String(data)).type !== 'session.end') return;
      // Sent before it could have read session.end: in flight, not a violation.
      connection.send({ type: 'userStream.speech.stopped' });
      setTimeout(() => connection.send({ type: 'activities', activities: [{ type: 'message', text: 'still here' }] }), 300);
    });
    await harness.session.hangup();
    assert.deepEqual(harness.violations(), ['after-session-end']);
    const violation = harness.events.find((e) => e.type === 'violation') as { message: string };
    assert.match(violation.message, /^bot sent activities \d+ms after session\.end$/);
    assert.equal(harness.events.some((e) => e.type === 'text'), false, 'nothing after session.end is acted on');
  });

  it('an ack nobody asked for', async () => {
    const { violation } = await violationAfter(bot, [{ type: 'userStream.stopped' }]);
    assert.equal(violation.rule, 'unexpected-ack');
  });
});
