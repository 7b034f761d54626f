/**
 * The gateway side against a scripted bot over a real WebSocket: the handshake, the options
 * that shape it, authentication, and how failures read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallSetupError } from '../../src/protocols/session.ts';
import { openCall, withScriptedBot } from './helpers.ts';
import { accept, Harness, startScriptedBot, type ScriptedBot } from './scripted-bot.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('AudioCodes session handshake', () => {
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  it('sends session.initiate with the suite settings, sends nothing more until accepted, then the start event', async () => {
    const harness = new Harness(
      bot.url,
      {
        botName: 'pizza-line',
        conversationId: 'conv-42',
        caller: '+31612345678',
        callerDisplayName: 'Alice',
        expectAudioMessages: false,
        supportedMediaFormats: ['raw/mulaw', 'raw/lpcm16'],
        language: 'en-US',
        startParameters: { store: 'centre', vip: true },
      },
      { to: '+3120000000', parameters: { campaign: 'spring' } },
    );
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    const initiate = await connection.next('session.initiate');
    assert.deepEqual(initiate, {
      type: 'session.initiate',
      conversationId: 'conv-42',
      botName: 'pizza-line',
      caller: '+31612345678',
      expectAudioMessages: false,
      supportedMediaFormats: ['raw/mulaw', 'raw/lpcm16'],
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(connection.received.map((m) => m.type), ['session.initiate'], 'nothing else before session.accepted');
    connection.send({ type: 'session.accepted', mediaFormat: 'raw/mulaw' });
    await connecting;
    const activities = await connection.next('activities');
    assert.equal(activities.conversationId, 'conv-42');
    assert.equal(activities.activities.length, 1);
    const [start] = activities.activities;
    assert.equal(typeof start.id, 'string');
    assert.ok(!Number.isNaN(Date.parse(start.timestamp)), 'timestamp is ISO 8601');
    assert.deepEqual(
      { type: start.type, name: start.name, language: start.language, parameters: start.parameters },
      {
        type: 'event',
        name: 'start',
        language: 'en-US',
        parameters: { caller: '+31612345678', callee: '+3120000000', callerDisplayName: 'Alice', store: 'centre', vip: true, campaign: 'spring' },
      },
    );
    assert.deepEqual(harness.violations(), []);
    await harness.session.hangup();
    const end = await connection.next('session.end');
    assert.equal(end.conversationId, 'conv-42');
    assert.ok(connection.received.every((m) => m.conversationId === 'conv-42'), 'every message carries the conversationId');
  });

  it('fills in defaults: botName convotest, a UUID conversationId, the call’s from, raw/lpcm16 only, no Authorization', async () => {
    const harness = new Harness(bot.url, {}, { from: '+15551234567' });
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    const initiate = await accept(connection);
    await connecting;
    assert.equal(initiate.botName, 'convotest');
    assert.match(initiate.conversationId, UUID);
    assert.equal(initiate.caller, '+15551234567');
    assert.equal(initiate.expectAudioMessages, true);
    assert.deepEqual(initiate.supportedMediaFormats, ['raw/lpcm16']);
    assert.equal(connection.headers.authorization, undefined);
    const start = (await connection.next('activities')).activities[0];
    assert.deepEqual(start.parameters, { caller: '+15551234567', callee: '+15550002222' });
    assert.equal('language' in start, false);
    await harness.session.hangup();
  });

  it('fails the call with the bot’s reason when it answers session.error', async () => {
    const harness = new Harness(bot.url);
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    await connection.next('session.initiate');
    connection.send({ type: 'session.error', reason: 'bot is closed for the night' });
    await assert.rejects(connecting, (error: Error) => {
      assert.ok(error instanceof CallSetupError);
      assert.match(error.message, /session\.error.*bot is closed for the night/);
      return true;
    });
  });

  it('gives up after acceptTimeout when the bot never accepts', async () => {
    const harness = new Harness(bot.url, { acceptTimeout: '300ms' });
    const connecting = harness.session.connect();
    await bot.connection();
    await assert.rejects(connecting, (error: Error) => {
      assert.ok(error instanceof CallSetupError);
      assert.match(error.message, /did not answer session\.initiate with session\.accepted within 0\.3s/);
      assert.doesNotMatch(error.message, /secret-in-query/, 'the query string is not shown');
      return true;
    });
  });

  it('flags an accepted mediaFormat that was not offered, and refuses one it cannot stream', async () => {
    const { harness: offered } = await openCall(bot, { supportedMediaFormats: ['raw/lpcm16'] }, 'raw/mulaw');
    assert.deepEqual(offered.violations(), ['media-format']);
    await offered.session.hangup();

    const unknown = new Harness(bot.url);
    const failing = unknown.session.connect();
    await accept(await bot.connection(), 'raw/opus');
    await assert.rejects(failing, /mediaFormat "raw\/opus", which convotest cannot stream/);
  });

  it('rejects bad options with one line naming the key', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ chunkMs: 30 }, /^audiocodes\.chunkMs must be multiple of 20$/],
      [{ chunkms: 100 }, /^audiocodes: unknown key `chunkms` — did you mean `chunkMs`\?$/],
      [{ dtmfSpelling: 'Dtmf' }, /^audiocodes\.dtmfSpelling must be one of DTMF, dtmf$/],
      [{ streamPolicy: 'always' }, /^audiocodes\.streamPolicy must be one of perTurn, continuous$/],
      [{ acceptTimeout: 'soon' }, /^audiocodes\.acceptTimeout is not a duration/],
      [{ supportedMediaFormats: ['raw/alaw'] }, /^audiocodes\.supportedMediaFormats\.0 must be one of raw\/lpcm16, /],
      [{ supportedMediaFormats: [] }, /^audiocodes\.supportedMediaFormats must NOT have fewer than 1 items$/],
    ];
    for (const [options, message] of cases) {
      const harness = new Harness(bot.url, options);
      await assert.rejects(harness.session.connect(), (error: Error) => {
        assert.ok(error instanceof CallSetupError, `${JSON.stringify(options)} gives a CallSetupError`);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});

describe('AudioCodes authentication', () => {
  const TOKEN = 'tok-3f9a1c77e2';
  let bot: ScriptedBot;
  before(async () => (bot = await startScriptedBot()));
  after(() => bot.close());

  it('sends the token as a Bearer Authorization header on the upgrade', async () => {
    const { harness, connection } = await openCall(bot, { token: TOKEN });
    assert.equal(connection.headers.authorization, `Bearer ${TOKEN}`);
    assert.ok(!JSON.stringify(harness.wire).includes(TOKEN), 'the token is not in any wire record');
    await harness.session.hangup();
  });

  it('sends no header for an empty token (an unset ${BOT_TOKEN:-})', async () => {
    const { harness, connection } = await openCall(bot, { token: '' });
    assert.equal(connection.headers.authorization, undefined);
    await harness.session.hangup();
  });

  it('reads a 401 at the upgrade as authentication rejected, without showing the token', async () => {
    const refusing = { refuseWith: (headers: Record<string, unknown>) => (headers.authorization === 'Bearer right' ? null : 401) };
    await withScriptedBot(refusing, async (strict) => {
      const harness = new Harness(strict.url, { token: TOKEN });
      await assert.rejects(harness.session.connect(), (error: Error) => {
        assert.ok(error instanceof CallSetupError);
        assert.match(error.message, /HTTP 401.*authentication rejected/);
        assert.ok(!error.message.includes(TOKEN));
        assert.ok(!error.message.includes('secret-in-query'));
        return true;
      });
    });
  });

  it('reads a 1008 close during the handshake as authentication rejected', async () => {
    const harness = new Harness(bot.url, { token: TOKEN });
    const connecting = harness.session.connect();
    const connection = await bot.connection();
    await connection.next('session.initiate');
    connection.socket.close(1008, 'bad token');
    await assert.rejects(connecting, (error: Error) => {
      assert.ok(error instanceof CallSetupError);
      assert.match(error.message, /closed the connection before accepting the session \(code 1008: authentication rejected \(bad token\)\)/);
      return true;
    });
  });

  it('reports a 1008 close after the session started as a close for authentication', async () => {
    const { harness, connection } = await openCall(bot, { token: TOKEN });
    connection.socket.close(1008);
    const closed = await harness.waitFor('closed');
    assert.equal(closed.code, 1008);
    assert.equal(closed.by, 'bot');
    assert.equal(closed.reason, 'authentication rejected');
    assert.equal(harness.session.isOpen(), false);
  });
});
