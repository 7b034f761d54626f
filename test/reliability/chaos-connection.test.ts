/**
 * Bots that misbehave at the connection level: each fails its own call with a precise reason,
 * while the other calls of the same run pass and every report stays whole.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startChaosBot, type ChaosBot } from './chaos-bot.ts';
import { chaosSuite, junitCase, runWithSiblings } from './chaos-run.ts';

let bot: ChaosBot;
before(async () => {
  bot = await startChaosBot({ handshakeDelayMs: 5_000 });
});
after(() => bot.close());

const greeting = '- expect: [ { botSpeech: { within: 3s } }, { mark: { name: greeting } } ]';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('chaos: the connection', () => {
  test('refuses the connection: the call errors naming the URL, the others pass', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/bot`;
    const { call, junit } = await runWithSiblings(chaosSuite(url, [greeting]), bot.url('healthy'));
    assert.equal(call.status, 'errored');
    assert.equal(call.reason, `cannot connect to ${url}: connection refused (is the bot running and listening there?)`);
    assert.ok(junitCase(junit, 'misbehaving').error, 'JUnit reports it as an error');
  });

  test('accepts, then closes at once: the expectation fails because the call ended', async () => {
    const { call } = await runWithSiblings(chaosSuite(bot.url('close-at-once'), ['- expect: [ { botSpeech: { within: 2s } } ]']), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(call.reason, 'turn 1 (wait): expected botSpeech within 2.00s of the start of the turn, got none before the call ended');
    assert.ok(call.timeline.some((e) => e.kind === 'closed' && /by bot \(code 1000, not today\)/.test(e.summary)), 'the timeline shows who closed, with the code');
  });

  test('closes mid-call with 1006: the turn in progress fails and the abnormal close is on the timeline', async () => {
    const turns = [greeting, '- user: { dtmf: "1" }', '  expect: [ { botSpeech: { within: 2s } } ]'];
    const { call } = await runWithSiblings(chaosSuite(bot.url('drop-mid-call'), turns), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(call.reason, 'turn 2 (dtmf 1): expected botSpeech within 2.00s of the start of the turn, got none before the call ended');
    assert.deepEqual(call.turns.map((t) => t.status), ['passed', 'failed']);
    assert.ok(call.timeline.some((e) => e.kind === 'closed' && /code 1006/.test(e.summary)), 'the 1006 close is on the timeline');
  });

  test('never answers (but reads, and answers pings): a plain expectation timeout, not a dead connection', async () => {
    const suite = chaosSuite(bot.url('never-answers'), ['- expect: [ { botSpeech: { within: 2s } } ]'], ['idle: 500ms']);
    const { call } = await runWithSiblings(suite, bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.match(
      call.reason!,
      /^(the bot never answered \(nothing at all came back after the stream started\): )?turn 1 \(wait\): expected botSpeech within 2\.00s of the start of the turn, got none by \d+\.\d\ds$/,
    );
    assert.ok(!call.timeline.some((e) => e.kind === 'limit'), 'no limit fired: pongs kept the connection alive');
  });

  test('slow handshake: the call errors after limits.connect', async () => {
    const { call } = await runWithSiblings(chaosSuite(bot.url('slow-handshake'), [greeting], ['connect: 1s']), bot.url('healthy'));
    assert.equal(call.status, 'errored');
    assert.equal(call.reason, `cannot connect to ${bot.url('slow-handshake')}: no WebSocket handshake within 1.00s (limits.connect)`);
  });

  test('half-open (no data, no close): pings go unanswered and limits.idle fails the call', async () => {
    const turns = [greeting, '- expect: [ { hangup: { within: 20s } } ]'];
    const { call, junit } = await runWithSiblings(chaosSuite(bot.url('half-open'), turns, ['idle: 1s']), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(
      call.reason,
      'the connection went silent: nothing from the bot, not even an answer to a ping, for 1.00s (limits.idle); the bot or the network to it is gone (a half-open connection)',
    );
    assert.deepEqual(call.turns.map((t) => t.status), ['passed', 'failed']);
    assert.match(junitCase(junit, 'misbehaving').failure.message, /half-open/);
  });

  test('stops reading (back-pressure) while still sending: unanswered pings name it', async () => {
    const turns = [greeting, '- expect: [ { hangup: { within: 20s } } ]'];
    const { call } = await runWithSiblings(chaosSuite(bot.url('stop-reading'), turns, ['idle: 1s']), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(
      call.reason,
      "the bot stopped reading: it kept sending but left convotest's pings unanswered for 1.00s (limits.idle), so what convotest sends piles up unread",
    );
    assert.ok(call.timeline.some((e) => e.dir === 'in' && e.kind === 'mark' && /still-here/.test(e.summary)), 'the bot kept sending');
  });
});
