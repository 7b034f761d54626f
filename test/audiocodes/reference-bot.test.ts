/**
 * The reference AudioCodes bot, driven by the real gateway session: the behaviour
 * README.md promises (format choice, greeting, recognition and reply, DTMF cues,
 * barge-in, token) is what the example suite relies on.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { loadPrompt } from '../../src/audio/wav-read.ts';
import { HANGUP_REASON, LINE_TEXT, RECOGNIZED_TEXT, startAudioCodesBot, TRANSFER_TARGET } from '../../src/bot/audiocodes-bot.ts';
import type { RunningBot } from '../../src/bot/twilio-bot.ts';
import { CallSetupError } from '../../src/protocols/session.ts';
import { Harness } from './scripted-bot.ts';

const HELLO = fileURLToPath(new URL('../../audio/hello.wav', import.meta.url));

function received(harness: Harness): Record<string, any>[] {
  return harness.wire.filter((m) => m.dir === 'in').map((m) => m.data as Record<string, any>);
}

/** Sends session.initiate on a bare socket; resolves with the bot's answer, or how the connection closed instead. */
function initiate(socket: WebSocket, supportedMediaFormats: string[]): Promise<Record<string, any>> {
  const answer = new Promise<Record<string, any>>((resolve) => {
    socket.once('message', (data) => resolve(JSON.parse(String(data))));
    socket.once('close', (code) => resolve({ type: `closed with ${code}` }));
  });
  socket.send(JSON.stringify({ type: 'session.initiate', conversationId: 'c1', botName: 'x', caller: '+1', expectAudioMessages: true, supportedMediaFormats }));
  return answer;
}

async function connected(bot: RunningBot, options: Record<string, unknown> = {}): Promise<Harness> {
  const harness = new Harness(bot.url, options);
  await harness.session.connect();
  return harness;
}

describe('reference AudioCodes bot', () => {
  let bot: RunningBot;
  before(async () => (bot = await startAudioCodesBot({ port: 0 })));
  after(() => bot.close());

  it('accepts the first offered format it supports and greets with a play stream and altText', async () => {
    const harness = await connected(bot, { supportedMediaFormats: ['raw/lpcm16_24', 'raw/lpcm16'] });
    assert.equal(received(harness).find((m) => m.type === 'session.accepted')?.mediaFormat, 'raw/lpcm16_24');
    const text = await harness.waitFor('text');
    assert.deepEqual({ text: text.text, source: text.source }, { text: LINE_TEXT.greeting, source: 'altText' });
    const start = received(harness).find((m) => m.type === 'playStream.start')!;
    assert.equal(start.mediaFormat, 'raw/lpcm16_24');
    await harness.until(() => harness.botFrames().length >= 25, 'half a second of greeting');
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
  });

  it('refuses a session with session.error when it supports none of the offered formats', async () => {
    const socket = new WebSocket(bot.url);
    await new Promise((resolve) => socket.once('open', resolve));
    const message = await initiate(socket, ['raw/opus']);
    assert.equal(message.type, 'session.error');
    assert.match(message.reason, /none of the offered media formats is supported/);
    socket.terminate();
  });

  it('acknowledges the user stream, reports what it heard, then replies with audio and altText', async () => {
    const harness = await connected(bot);
    await harness.waitFor('botMedia');
    // A polite caller waits for the greeting: without barge-in the gateway would not listen anyway.
    await harness.until(() => !harness.session.botPlaying(), 'the end of the greeting');
    await harness.session.play(await loadPrompt(HELLO, 16000));
    const recognition = await harness.waitFor('recognition');
    assert.deepEqual({ text: recognition.text, final: recognition.final }, { text: RECOGNIZED_TEXT, final: true });
    await harness.waitFor('text', (e) => e.text === LINE_TEXT.reply);
    const types = received(harness).map((m) => m.type);
    const order = ['userStream.started', 'userStream.speech.started', 'userStream.speech.stopped', 'userStream.speech.recognition'].map((type) => types.indexOf(type));
    assert.ok(order.every((index, i) => index > (order[i - 1] ?? -1)), `in order: ${types.join(', ')}`);
    assert.ok(types.lastIndexOf('playStream.start') > order.at(-1)!, 'the reply follows the recognition');
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
  });

  it('reads the menu on 1, transfers on 0, says goodbye and hangs up on *', async () => {
    const menu = await connected(bot);
    await menu.session.sendDtmf('1#');
    await menu.waitFor('text', (e) => /margherita/.test(e.text));
    // A key in the middle of the streamed menu: the menu's stream ends before the next prompt starts.
    await menu.session.sendDtmf('2#');
    await menu.waitFor('text', (e) => e.text === LINE_TEXT.dtmf);
    await menu.session.hangup();

    const transfer = await connected(bot);
    await transfer.session.sendDtmf('0');
    assert.equal((await transfer.waitFor('transfer')).target, TRANSFER_TARGET);
    await transfer.waitFor('closed');

    const star = await connected(bot);
    await star.waitFor('text');
    await star.session.sendDtmf('*');
    await star.waitFor('text', (e) => e.text === LINE_TEXT.goodbye);
    const hangup = await star.waitFor('hangup');
    assert.equal(hangup.reason, HANGUP_REASON);
    const end = star.wire.find((m) => m.dir === 'out' && m.kind === 'session.end')!.data as Record<string, unknown>;
    assert.equal(end.reasonCode, 'bot-disconnected');
    assert.equal((await star.waitFor('closed')).by, 'bot');
    assert.deepEqual([...menu.violations(), ...transfer.violations(), ...star.violations()], []);
  });

  it('turns barge-in on when the start event asks, and stops its prompt when the caller talks over it', async () => {
    const harness = await connected(bot, { startParameters: { bargeIn: true } });
    const config = await harness.until(() => received(harness).find((m) => m.type === 'activities' && m.activities[0].name === 'config'), 'a config activity');
    assert.deepEqual(config.activities[0].sessionParams, { bargeIn: true });
    await harness.waitFor('text');
    await harness.until(() => !harness.session.botPlaying(), 'the end of the greeting');
    await harness.session.sendDtmf('1#');
    await harness.waitFor('text', (e) => /margherita/.test(e.text));
    await harness.until(() => harness.session.botPlaying(), 'the menu playing');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const playing = harness.session.play(await loadPrompt(HELLO, 16000));
    const clear = await harness.waitFor('clear');
    assert.ok(clear.droppedMs > 0);
    const types = received(harness).map((m) => m.type);
    assert.ok(types.includes('userStream.speech.started'));
    await playing;
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
  });

  it('without barge-in sends no config and is not interrupted', async () => {
    const harness = await connected(bot);
    await harness.waitFor('text');
    await harness.until(() => harness.session.botPlaying(), 'the greeting playing');
    // The caller talks over the greeting: the gateway is not listening, so the greeting plays on.
    await harness.session.play(await loadPrompt(HELLO, 16000));
    await harness.until(() => !harness.session.botPlaying(), 'the end of the greeting');
    assert.equal(received(harness).some((m) => m.type === 'activities'), false);
    assert.equal(received(harness).some((m) => m.type === 'userStream.speech.started'), false, 'the bot heard nothing of it');
    assert.equal(harness.events.some((e) => e.type === 'clear'), false);
    await harness.session.hangup();
  });
});

describe('reference AudioCodes bot with a token', () => {
  it('refuses an upgrade without the right Bearer token with 401', async () => {
    const bot = await startAudioCodesBot({ port: 0, token: 'open-sesame' });
    try {
      const wrong = new Harness(bot.url, { token: 'guess' });
      await assert.rejects(wrong.session.connect(), (error: Error) => error instanceof CallSetupError && /401.*authentication rejected/.test(error.message));
      const right = await connected(bot, { token: 'open-sesame' });
      await right.waitFor('text');
      await right.session.hangup();
    } finally {
      await bot.close();
    }
  });
});

describe('reference AudioCodes bot and messages it cannot use', () => {
  it('ignores them and keeps the connection: the session that follows on it is accepted', async (t) => {
    const bot = await startAudioCodesBot({ port: 0 });
    t.after(() => bot.close());
    const socket = new WebSocket(bot.url);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    let closed = false;
    socket.once('close', () => (closed = true));
    const junk = ['null', '42', '[]', '"session.initiate"', 'not json', '{"type":"activities","activities":[null,7]}', '{"type":"userStream.chunk","audioChunk":7}', '{"type":"userStream.chunk","audioChunk":"AAAA"}', '{"type":"nonsense"}'];
    for (const text of junk) socket.send(text);
    socket.send(Buffer.from([1, 2, 3]));
    // A fence: the bot answers session.initiate, so everything before was read.
    const message = await initiate(socket, ['raw/lpcm16']);
    assert.equal(message.type, 'session.accepted');
    assert.equal(closed, false, 'the connection stayed open');
    socket.terminate();
  });
});
