/**
 * Activities both ways against a scripted bot: DTMF events (and their spelling), the
 * caller's hang-up, and the bot's hangup and transfer, each ending the call with the right
 * session.end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeSamples, mediaFormat } from '../../src/protocols/audiocodes/formats.ts';
import { openCall, sendPlayStream } from './helpers.ts';
import { startScriptedBot, tone, type BotConnection, type ScriptedBot } from './scripted-bot.ts';

/** The gateway's activities after the start event, flattened. */
function sentActivities(connection: BotConnection): Record<string, any>[] {
  return connection.received.filter((m) => m.type === 'activities').flatMap((m) => m.activities as Record<string, any>[]).filter((a) => a.name !== 'start');
}

/** The bot says `ms` of tone in one play stream. */
function sendPrompt(connection: BotConnection, streamId: string, ms: number): void {
  sendPlayStream(connection, streamId, 'raw/lpcm16', encodeSamples(tone(16000, ms), mediaFormat('raw/lpcm16')!), undefined, 'Goodbye');
}

describe('AudioCodes activities', () => {
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  it('sends each key as a DTMF event activity, with a w as a pause', async () => {
    const { harness, connection } = await openCall(bot);
    await harness.session.sendDtmf('1w#');
    await connection.next('activities', connection.indexOf('activities') + 2);
    const keys = sentActivities(connection);
    assert.deepEqual(
      keys.map((a) => ({ type: a.type, name: a.name, value: a.value })),
      [
        { type: 'event', name: 'DTMF', value: '1' },
        { type: 'event', name: 'DTMF', value: '#' },
      ],
    );
    assert.ok(keys.every((a) => typeof a.id === 'string' && typeof a.timestamp === 'string'));
    await harness.session.hangup();
  });

  it('spells the DTMF event as dtmfSpelling says', async () => {
    const { harness, connection } = await openCall(bot, { dtmfSpelling: 'dtmf' });
    await harness.session.sendDtmf('5');
    const activity = (await connection.next('activities', connection.indexOf('activities') + 1)).activities[0];
    assert.deepEqual({ name: activity.name, value: activity.value }, { name: 'dtmf', value: '5' });
    await harness.session.hangup();
  });

  it('hangs up as the caller with session.end client-disconnected, then closes', async () => {
    const { harness, connection } = await openCall(bot);
    await harness.session.hangup();
    const end = await connection.next('session.end');
    assert.deepEqual({ reasonCode: end.reasonCode, type: end.type }, { reasonCode: 'client-disconnected', type: 'session.end' });
    assert.equal(connection.received.at(-1)!.type, 'session.end', 'session.end is the last message');
    const closed = await harness.waitFor('closed');
    assert.equal(closed.by, 'caller');
    assert.equal(harness.session.isOpen(), false);
    await harness.session.hangup(); // twice is safe
    assert.equal(connection.received.filter((m) => m.type === 'session.end').length, 1);
  });

  it('on the bot’s hangup, plays its goodbye to the end, then answers session.end bot-disconnected and closes', async () => {
    const { harness, connection } = await openCall(bot);
    sendPrompt(connection, 'bye', 600);
    connection.send({ type: 'activities', activities: [{ type: 'event', name: 'hangup', activityParams: { hangupReason: 'order complete' } }] });
    // The engine hangs up as soon as its expectations pass: that must not turn into a caller hang-up.
    await harness.waitFor('botMedia');
    assert.equal(harness.session.isOpen(), true);
    await harness.session.hangup();
    const end = await connection.next('session.end');
    assert.deepEqual({ reasonCode: end.reasonCode, reason: end.reason }, { reasonCode: 'bot-disconnected', reason: 'order complete' });
    const hangup = await harness.waitFor('hangup');
    assert.equal(hangup.reason, 'order complete');
    const lastBotFrame = harness.frames.filter((f) => f.bot).at(-1)!;
    assert.ok(hangup.t >= lastBotFrame.t, 'the line drops after the goodbye was heard');
    assert.ok(Math.abs(harness.botFrames().length - 30) <= 1, `heard ${harness.botFrames().length} of 30 slots`);
    const closed = await harness.waitFor('closed');
    assert.equal(closed.by, 'bot');
    assert.deepEqual(harness.violations(), []);
  });

  it('on the bot’s transfer, reports the target and ends with session.end transferred', async () => {
    const { harness, connection } = await openCall(bot);
    connection.send({ type: 'activities', activities: [{ type: 'event', name: 'transfer', activityParams: { transferTarget: 'tel:+31201234567' } }] });
    const transfer = await harness.waitFor('transfer');
    assert.equal(transfer.target, 'tel:+31201234567');
    const end = await connection.next('session.end');
    assert.deepEqual({ reasonCode: end.reasonCode, reason: end.reason }, { reasonCode: 'transferred', reason: 'transferred to tel:+31201234567' });
    await harness.waitFor('closed');
  });

  it('abortPrompts stops playback; playUrl is noted', async () => {
    const { harness, connection } = await openCall(bot);
    sendPrompt(connection, 'long', 3000);
    await harness.waitFor('botMedia');
    connection.send({ type: 'activities', activities: [{ type: 'event', name: 'abortPrompts' }, { type: 'event', name: 'playUrl', activityParams: { playUrl: 'https://example.com/a.wav' } }] });
    const clear = await harness.waitFor('clear');
    assert.ok(clear.droppedMs > 2000);
    await harness.waitFor('info', (e) => e.message.includes('https://example.com/a.wav'));
    assert.equal(harness.session.botPlaying(), false);
    await harness.session.hangup();
  });
});
