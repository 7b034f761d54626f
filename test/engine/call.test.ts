/**
 * The engine against scripted Twilio bots on real sockets: ordering, windows, the raw
 * matcher, failure reasons and violations, all read back from the CallResult.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallResult } from '../../src/engine/results.ts';
import type { ScriptedConnection } from '../helpers/scripted-bot.ts';
import { runScripted, speech, type Script } from './scripted-call.ts';

/** One call of YAML turns against a bot scripted by `script`: its result. */
async function runOne(turns: string[], script: Script): Promise<CallResult> {
  return (await runScripted(turns, script)).call;
}

test('a bot that never speaks fails with the window, the anchor and what happened instead', async () => {
  const call = await runOne(['- expect: [ { botSpeech: { within: 1s } } ]'], () => {});
  assert.equal(call.status, 'failed');
  // A bot that sent nothing at all is named as such (issue 4), before the expectation that went unmet.
  assert.match(call.reason!, /^the bot never answered \(nothing at all came back after the stream started\): turn 1 \(wait\): expected botSpeech within 1\.00s of the start of the turn, got none by 1\.\d\ds$/);
  const expectation = call.turns[0]!.expectations[0]!;
  assert.equal(expectation.status, 'failed');
  assert.match(expectation.location, /suite\.yaml:7:\d+$/);
  assert.match(expectation.message!, /Nothing happened since the turn began/);
});

test('expectations match in the order listed, with other events allowed between', async () => {
  const script = (connection: ScriptedConnection, streamSid: string) => {
    for (const name of ['noise', 'b', 'a', 'b']) connection.send({ event: 'mark', streamSid, mark: { name } });
  };
  const ordered = await runOne(['- expect: [ { mark: { name: a } }, { mark: { name: b } } ]'], script);
  assert.equal(ordered.status, 'passed', ordered.reason);

  const wrongOrder = await runOne(['- expect: [ { mark: { name: b } }, { mark: { name: a } }, { mark: { name: noise, within: 1s } } ]'], script);
  assert.equal(wrongOrder.status, 'failed');
  assert.deepEqual(wrongOrder.turns[0]!.expectations.map((e) => e.status), ['passed', 'passed', 'failed']);
  assert.match(wrongOrder.reason!, /expected mark "noise" within 1\.00s/);
});

test('the raw message matcher reads nested fields, regexes and string numbers', async () => {
  const call = await runOne(
    ['- expect:', '    - message: { match: { event: mark, "mark.name": "/^greet/" } }', '    - message: { match: { event: media, "media.payload": "/bytes/" } }'],
    (connection, streamSid) => {
      connection.send({ event: 'mark', streamSid, mark: { name: 'greeting-1' } });
      connection.send({ event: 'media', streamSid, media: { payload: speech(100) } });
    },
  );
  assert.equal(call.status, 'passed', call.reason);
});

test('bot speech is timed at the caller’s ear: buffered audio counts when played, and minDuration waits for it', async () => {
  const call = await runOne(['- expect: [ { botSpeech: { within: 2s, minDuration: 800ms } }, { mark: { name: end } } ]'], (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(1000) } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'end' } });
  });
  assert.equal(call.status, 'passed', call.reason);
  assert.equal(call.botSpeech.length, 1);
  const heard = call.botSpeech[0]!.end - call.botSpeech[0]!.start;
  assert.ok(heard >= 900 && heard <= 1100, `1 s of audio is heard for about 1 s (${heard} ms)`);
  assert.ok(call.metrics.markEchoDelay[0]! >= 900, `the mark is echoed after playback (${call.metrics.markEchoDelay[0]} ms)`);
});

test('protocol violations fail an otherwise passing call and name the offending message', async () => {
  const call = await runOne(['- expect: [ { mark: {} } ]'], (connection, streamSid) => {
    connection.send('this is not json');
    connection.send({ event: 'mark', stream_sid: streamSid, mark: { name: 'x' } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'ok' } });
  });
  assert.equal(call.status, 'failed');
  assert.match(call.reason!, /^2 protocol violations; first at .*: bot sent a frame that is not JSON: "this is not json"$/);
  assert.equal(call.metrics.violations, 2);
  assert.ok(call.timeline.some((e) => e.kind === 'violation' && /stream_sid/.test(e.summary)));
});

test('a bot that closes the socket is a hangup the suite can expect', async () => {
  const call = await runOne(['- expect: [ { hangup: { within: 2s } }, { closed: {} } ]'], (connection) => {
    setTimeout(() => connection.socket.close(1000, 'bye'), 100);
  });
  assert.equal(call.status, 'passed', call.reason);
  assert.ok(call.timeline.some((e) => e.kind === 'closed' && /by bot \(code 1000, bye\)/.test(e.summary)));
});
