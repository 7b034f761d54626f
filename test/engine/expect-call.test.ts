/**
 * Expectation forms against scripted bots on real sockets: anyOrder, count/atLeast/atMost,
 * forbid windows, `from:` anchors, the richer message matcher, and the failure messages each
 * gives. Assertions are on status, structure, order and wording — never on how fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidReport, runScripted, sleep, speech } from './scripted-call.ts';
import type { ScriptedConnection } from '../helpers/scripted-bot.ts';
import type { CallResult } from '../../src/engine/results.ts';

const marks = (names: string[]) => (connection: ScriptedConnection, streamSid: string) => {
  for (const name of names) connection.send({ event: 'mark', streamSid, mark: { name } });
};

test('anyOrder passes whatever the order, and gives each member its own event', async () => {
  const { call } = await runScripted(['- expect: [ { anyOrder: [ { mark: { name: a } }, { mark: { name: b } } ] } ]'], marks(['b', 'a']));
  assert.equal(call.status, 'passed', call.reason);
  assert.equal(call.turns[0]!.expectations[0]!.kind, 'anyOrder');

  // A greedy match would give "a" to the first member and leave nothing for `mark "a"`.
  const { call: shared } = await runScripted(['- expect: [ { anyOrder: [ { mark: {} }, { mark: { name: a } } ] } ]'], marks(['a', 'b']));
  assert.equal(shared.status, 'passed', shared.reason);

  const { call: missing, run } = await runScripted(['- expect: [ { anyOrder: [ { mark: { name: a } }, { mark: { name: c, within: 800ms } } ] } ]'], marks(['b', 'a']));
  assert.equal(missing.status, 'failed');
  await assertValidReport(run);
  const outcome = missing.turns[0]!.expectations[0]!;
  assert.match(outcome.actual!, /^mark "a" at .* matched, but mark "c": none/);
  assert.match(outcome.message!, /other mark events: mark "b" echoed .* mark "a" echoed/);
});

test('anyOrder moves the ordered cursor past its last match', async () => {
  const { call } = await runScripted(
    ['- expect:', '    - anyOrder: [ { mark: { name: b } }, { mark: { name: a } } ]', '    - mark: { name: a, within: 800ms }'],
    marks(['a', 'b']),
  );
  assert.equal(call.status, 'failed', 'the second mark "a" must come after the group');
  assert.match(call.reason!, /expected mark "a" within 800ms/);
  assert.match(call.turns[0]!.expectations[1]!.actual!, /before the previous expectation's match .*anyOrder/);
});

test('count, atLeast and atMost count the matching events in the window', async () => {
  const three = marks(['x', 'y', 'x', 'x']);
  const exactly = await runScripted(['- expect: [ { mark: { name: x, count: 3, within: 800ms } } ]'], three);
  assert.equal(exactly.call.status, 'passed', exactly.call.reason);
  assert.equal(exactly.call.turns[0]!.expectations[0]!.count, 3);

  const tooMany = await runScripted(['- expect: [ { mark: { name: x, count: 2, within: 800ms } } ]'], three);
  assert.equal(tooMany.call.status, 'failed');
  await assertValidReport(tooMany.run);
  assert.match(tooMany.call.reason!, /expected mark "x" exactly 2 times within 800ms of the start of the turn, got 3: at \S+, \S+, \S+$/);

  const atLeast = await runScripted(['- expect: [ { mark: { name: x, atLeast: 2 } }, { mark: { name: x } } ]'], three);
  assert.equal(atLeast.call.status, 'passed', 'atLeast stops at the 2nd, so the 3rd is left for the next expectation');

  const atMost = await runScripted(['- expect: [ { mark: { name: x, atMost: 1, within: 800ms } } ]'], three);
  assert.equal(atMost.call.status, 'failed');
  assert.match(atMost.call.reason!, /at most 1 time within 800ms .*got 3/);

  const none = await runScripted(['- expect: [ { mark: { name: z, atLeast: 1, within: 500ms } } ]'], three);
  assert.equal(none.call.status, 'failed');
  assert.match(none.call.reason!, /at least 1 time .*got none$/);
});

test('forbid untilNextTurn fails the call the moment the forbidden event comes', async () => {
  const { call, run } = await runScripted(
    ['- expect:', '    - forbid: { hangup: {}, untilNextTurn: true }', '    - mark: { name: never, within: 2s }'],
    (connection) => setTimeout(() => connection.socket.close(1000, 'bye'), 150),
  );
  assert.equal(call.status, 'failed');
  await assertValidReport(run);
  const [forbid, mark] = call.turns[0]!.expectations;
  assert.equal(forbid!.kind, 'forbid');
  assert.equal(forbid!.status, 'failed', 'the forbid, not the mark, is what failed');
  assert.equal(mark!.status, 'skipped');
  assert.match(call.reason!, /^turn 1 \(wait\): expected no hangup from the start of the turn until the next turn, got bot hung up: bot closed the stream .* into the window$/);
});

test('forbid untilNextTurn closes when the next turn starts; what comes after is allowed', async () => {
  const { call } = await runScripted(
    ['- expect:', '    - forbid: { mark: { name: late }, untilNextTurn: true }', '    - mark: { name: first }', '- user: { dtmf: "1" }', '  expect: [ { mark: { name: late } } ]'],
    (connection, streamSid) => {
      connection.send({ event: 'mark', streamSid, mark: { name: 'first' } });
      // After the caller's DTMF, which the next turn sends.
      void connection.waitFor((m) => m.event === 'dtmf').then(() => connection.send({ event: 'mark', streamSid, mark: { name: 'late' } }));
    },
  );
  assert.equal(call.status, 'passed', call.reason);
  assert.deepEqual(call.turns.flatMap((t) => t.expectations.map((e) => [e.kind, e.status])), [['forbid', 'passed'], ['mark', 'passed'], ['mark', 'passed']]);
});

test('forbid during a window waits it out, and a forbidden event inside it fails', async () => {
  const quiet = await runScripted(['- expect: [ { forbid: { mark: { name: bad }, during: 600ms } } ]'], marks(['good']));
  assert.equal(quiet.call.status, 'passed', quiet.call.reason);
  assert.match(quiet.call.turns[0]!.expectations[0]!.description, /^no mark "bad" for 600ms from the start of the turn$/);

  const noisy = await runScripted(['- expect: [ { forbid: { mark: { name: bad }, during: 1s } } ]'], (connection, streamSid) => {
    setTimeout(() => connection.send({ event: 'mark', streamSid, mark: { name: 'bad' } }), 200);
  });
  assert.equal(noisy.call.status, 'failed');
  const outcome = noisy.call.turns[0]!.expectations[0]!;
  assert.match(outcome.actual!, /^mark "bad" echoed .* at \S+, \S+ into the window$/);
  assert.ok(outcome.latency! >= 0 && outcome.latency! <= 1000, 'the event is inside the window');
});

test('forbid bot audio after clear: audio that resumes fails, silence passes', async () => {
  const turns = ['- expect:', '    - botSpeech: {}', '    - forbid: { botSpeech: {}, from: clear, during: 1500ms }', '    - clear: {}'];
  const resumes = await runScripted(turns, async (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(2000) } });
    await sleep(500);
    connection.send({ event: 'clear', streamSid });
    await sleep(150);
    connection.send({ event: 'media', streamSid, media: { payload: speech(500) } });
  });
  assert.equal(resumes.call.status, 'failed');
  assert.match(resumes.call.reason!, /expected no botSpeech for 1\.50s from `clear`, got the caller heard .* of bot audio in the window/);

  const stops = await runScripted(turns, async (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(2000) } });
    await sleep(500);
    connection.send({ event: 'clear', streamSid });
  });
  assert.equal(stops.call.status, 'passed', stops.call.reason);
});

test('from: an event anchors the window there; events before it do not count', async () => {
  const script = async (connection: ScriptedConnection, streamSid: string) => {
    connection.send({ event: 'mark', streamSid, mark: { name: 'early' } });
    await sleep(300);
    connection.send({ event: 'clear', streamSid });
    await sleep(100);
    connection.send({ event: 'mark', streamSid, mark: { name: 'after' } });
  };
  const { call, run } = await runScripted(['- expect: [ { mark: { name: after, within: 1s, from: clear } } ]'], script);
  assert.equal(call.status, 'passed', call.reason);
  await assertValidReport(run);
  const outcome = call.turns[0]!.expectations[0]!;
  assert.equal(outcome.anchor, '`clear`');
  assert.ok(outcome.anchorAt! < outcome.matchedAt!, 'the window starts at the clear, before the match');
  assert.match(outcome.description, /within 1\.00s of `clear`$/);

  const before = await runScripted(['- expect: [ { mark: { name: early, within: 1s, from: clear } } ]'], script);
  assert.equal(before.call.status, 'failed');
  assert.match(before.call.turns[0]!.expectations[0]!.actual!, /^one came at \S+, before `clear`$/);

  const never = await runScripted(['- expect: [ { mark: { name: after, within: 1s, from: "mark:nothing" } } ]'], script, { timeout: '1s' });
  assert.equal(never.call.status, 'failed');
  assert.match(never.call.reason!, /got mark "nothing" never came, so the window never opened$/);
});

test('from: previous chains on the last match; from: turnStart overrides the turn anchor', async () => {
  const { call } = await runScripted(
    ['- expect:', '    - mark: { name: a }', '    - mark: { name: b, within: 1s, from: previous }', '    - mark: { name: c, within: 3s, from: turnStart }'],
    async (connection, streamSid) => {
      await sleep(200);
      connection.send({ event: 'mark', streamSid, mark: { name: 'a' } });
      await sleep(100);
      connection.send({ event: 'mark', streamSid, mark: { name: 'b' } });
      connection.send({ event: 'mark', streamSid, mark: { name: 'c' } });
    },
  );
  assert.equal(call.status, 'passed', call.reason);
  const [a, b] = call.turns[0]!.expectations;
  assert.equal(b!.anchor, 'the previous match');
  assert.equal(b!.anchorAt, a!.matchedAt, 'the window of b starts where a matched');
});

test('message matcher: comparisons, list items and nested paths; a miss quotes the closest message', async () => {
  const script = (connection: ScriptedConnection, streamSid: string) => {
    connection.send({ event: 'mark', streamSid, mark: { name: 'reply-1' }, extra: { score: '640', items: [{ id: 'a' }, { id: 'b', tags: ['x', 'y'] }] } });
  };
  const { call } = await runScripted(
    ['- expect:', '    - message: { match: { event: mark, "extra.score": "< 800", "extra.items.id": b, "extra.items.1.tags": [x, y], "mark.name": "/^reply-\\\\d$/" } }'],
    script,
  );
  // Twilio defines no `extra`, so the call itself may fail on a compliance rule; the matcher is what is tested.
  assert.equal(call.turns[0]!.expectations[0]!.status, 'passed', call.reason);

  const { call: miss } = await runScripted(['- expect: [ { message: { match: { event: mark, "extra.score": ">= 900" }, within: 800ms } } ]'], script);
  assert.equal(miss.status, 'failed');
  assert.match(miss.turns[0]!.expectations[0]!.message!, /closest: bot mark at \S+, where extra\.score is "640", expected ">= 900"/);
});

test('failure messages: a late match says how late; an unmet window says whether the bot was talking', async () => {
  const late = await runScripted(['- expect: [ { mark: { name: slow, within: 300ms } } ]'], (connection, streamSid) => {
    setTimeout(() => connection.send({ event: 'mark', streamSid, mark: { name: 'slow' } }), 700);
  });
  assert.equal(late.call.status, 'failed');
  // The miss is decided at the deadline; by the time it is explained the mark may or may not be in.
  assert.match(late.call.turns[0]!.expectations[0]!.actual!, /^(it came at \S+, \S+ too late|none by \S+)$/);

  const talking = await runScripted(['- expect:', '    - botSpeech: {}', '    - clear: { within: 500ms, from: botSpeech }'], (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(1500) } });
  });
  assert.equal(talking.call.status, 'failed');
  const message = talking.call.turns[0]!.expectations[1]!.message!;
  assert.match(message, /^expected clear within 500ms of the start of bot speech; got none by \S+; bot audio (kept playing for \S+|was still playing at \S+)/);
  assert.match(message, /Last events: .*bot speech #1/);

  const silent = await runScripted(['- expect: [ { clear: { within: 400ms } } ]'], () => {});
  assert.match(silent.call.turns[0]!.expectations[0]!.message!, /^expected clear within 400ms of the start of the turn; got none by \S+; the bot was silent in the window\. Nothing happened since the turn began/);

  const brief = await runScripted(['- expect: [ { botSpeech: { within: 1s, minDuration: 1s } } ]'], (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(200) } });
  });
  assert.equal(brief.call.status, 'failed');
  assert.match(brief.call.turns[0]!.expectations[0]!.message!, /; the bot spoke only briefly: \S+ at \S+/);
});

test("media runs in the call's timeline carry their summaries, in the results and in report.json", async () => {
  const { call, run } = await runScripted(['- expect: [ { botSpeech: { within: 2s } } ]'], (connection, streamSid) =>
    connection.send({ event: 'media', streamSid, media: { payload: speech(300) } }),
  );
  assert.equal(call.status, 'passed', call.reason);
  await assertValidReport(run);
  // What report.json holds: the results as JSON.
  const timeline = (JSON.parse(JSON.stringify(call)) as CallResult).timeline.filter((entry) => entry.kind === 'media');
  assert.ok(timeline.some((entry) => entry.dir === 'out' && /^media ×\d+ \(\d+ms\)$/.test(entry.summary)), JSON.stringify(timeline));
  assert.deepEqual(
    timeline.filter((entry) => entry.dir === 'in').map((entry) => [entry.summary, entry.count]),
    [['media ×1', 1]],
  );
});
