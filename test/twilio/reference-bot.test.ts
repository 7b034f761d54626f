/**
 * The reference Twilio bot as `convotest bot` serves it: whatever a client sends, it keeps
 * serving, and a well-behaved caller on the same bot still gets its greeting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTwilioBot } from '../../src/bot/twilio-bot.ts';
import { newSession, until } from './helpers.ts';

test('messages the bot cannot use are ignored: no crash, and the next caller is greeted', async (t) => {
  const bot = await startTwilioBot();
  t.after(() => bot.close());
  const junk = new WebSocket(bot.url);
  await new Promise((resolve, reject) => {
    junk.once('open', resolve);
    junk.once('error', reject);
  });
  for (const text of ['null', '42', '[]', '"media"', '{"event":"media"}', '{"event":"media","media":7}', '{"event":"media","media":{"payload":null}}', '{"event":"start","start":null}', '{"event":"mark"}', '{"event":"dtmf","dtmf":null}']) junk.send(text);
  junk.send(Buffer.from([1, 2, 3]));
  // A fence: the bot answers `start` with its greeting, so everything before was read.
  junk.send(JSON.stringify({ event: 'start', streamSid: 'MZjunk', start: { streamSid: 'MZjunk' } }));
  const greeted = await new Promise<Record<string, any>>((resolve) => junk.on('message', (data) => resolve(JSON.parse(String(data)))));
  assert.equal(greeted.event, 'media');
  assert.equal(greeted.streamSid, 'MZjunk');
  junk.close();

  const { session, events } = newSession(t, bot.url);
  await session.connect();
  assert.ok(await until(() => events.some((e) => e.type === 'mark' && e.name === 'greeting')), 'the greeting was played to its mark');
  await session.hangup();
  assert.deepEqual(events.filter((e) => e.type === 'violation'), []);
});
