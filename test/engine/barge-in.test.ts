/**
 * Barge-in against scripted bots with known behaviour: one clears its audio a fixed time
 * after it hears the caller, one never does. Checked: which metrics exist, how they order
 * (clear before the audio stops, talk-over no longer than the stop), loose bounds implied by
 * the script, and the `bargeIn` expectation's verdicts and messages. No tight timings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { formatCallLine, renderJson, renderJUnit } from '../../src/report/index.ts';
import { assertValidReport, AUDIO, isCallerSpeech, runScripted, sleep, speech } from './scripted-call.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });
import type { ScriptedConnection } from '../helpers/scripted-bot.ts';

const CLEAR_AFTER_MS = 300;
const HELLO = join(AUDIO, 'hello.wav');

/** Talks for 4 s (in 200 ms chunks, as bots stream), and clears `clearAfter` ms after it first hears the caller. */
function talker(clearAfter: number | null, options: { markAfterMs?: number } = {}) {
  return async (connection: ScriptedConnection, streamSid: string) => {
    for (let i = 0; i < 20; i++) {
      connection.send({ event: 'media', streamSid, media: { payload: speech(200) } });
      if (options.markAfterMs !== undefined && (i + 1) * 200 === options.markAfterMs) connection.send({ event: 'mark', streamSid, mark: { name: 'half' } });
    }
    connection.send({ event: 'mark', streamSid, mark: { name: 'end' } });
    if (clearAfter === null) return;
    await connection.waitFor(isCallerSpeech);
    await sleep(clearAfter);
    connection.send({ event: 'clear', streamSid });
  };
}

test('a bot that clears after N ms: clear, stop and talk-over are measured, in order', async () => {
  const { call, run } = await runScripted(
    ['- expect: [ { botSpeech: { within: 2s } } ]', `- user: { audio: ${HELLO}, bargeIn: 400ms }`, '  expect:', '    - bargeIn: { clearWithin: 3s, stopWithin: 3s }', '    - clear: {}'],
    talker(CLEAR_AFTER_MS),
  );
  assert.equal(call.status, 'passed', call.reason);
  const turn = call.turns[1]!;
  assert.equal(turn.anchor, 'speechStart');
  const { clearLatency, stopLatency, talkOver } = turn.metrics;
  assert.ok(clearLatency !== undefined && stopLatency !== undefined && talkOver !== undefined, JSON.stringify(turn.metrics));
  // The bot waits CLEAR_AFTER_MS after hearing the caller, who cannot be heard before speaking.
  assert.ok(clearLatency >= CLEAR_AFTER_MS / 2, `clear came after the bot's wait (${clearLatency} ms)`);
  assert.ok(stopLatency >= clearLatency - 40, `the audio stops at the clear, not before it (${stopLatency} vs ${clearLatency} ms)`);
  assert.ok(talkOver <= stopLatency + 20, `talk-over is bot audio up to the stop (${talkOver} vs ${stopLatency} ms)`);
  assert.ok(talkOver > 0, 'the caller heard some bot audio before the clear');
  // The call's lists and the expectation carry the same numbers.
  assert.deepEqual(call.metrics.clearLatency, [clearLatency]);
  assert.deepEqual(call.metrics.talkOver, [talkOver]);
  const expectation = turn.expectations[0]!;
  assert.equal(expectation.kind, 'bargeIn');
  assert.equal(expectation.latency, stopLatency);
  // Cleared before its end, the 4 s reply was cut short.
  const interrupted = call.botSpeech[0]!;
  assert.ok(interrupted.end - interrupted.start < 3800, `the reply was cut (${interrupted.end - interrupted.start} ms)`);

  // Every report carries them: the console line, JUnit properties, and report.json (schema-valid).
  assert.match(formatCallLine(call, false), /· barge-in: clear \S+, stop \S+, talk-over \S+$/);
  const junit = xml.parse(renderJUnit(run, '/tmp'));
  const props = Object.fromEntries(junit.testsuites.testsuite[0].testcase[0].properties.property.map((p: any) => [p.name, Number(p.value)]));
  assert.equal(props['clearLatency.turn2'], Math.round(clearLatency));
  assert.equal(props['talkOver.turn2'], Math.round(talkOver));
  const suiteProps = Object.fromEntries(junit.testsuites.testsuite[0].properties.property.map((p: any) => [p.name, p.value]));
  assert.equal(suiteProps['stopLatency.count'], '1');
  await assertValidReport(run);
  const report = JSON.parse(renderJson(run));
  assert.deepEqual(Object.keys(report.summary.metrics).filter((k) => ['clearLatency', 'stopLatency', 'talkOver'].includes(k)), ['clearLatency', 'stopLatency', 'talkOver']);
});

test('a bot that never clears fails bargeIn, naming how long it kept playing and the talk-over', async () => {
  const { call } = await runScripted(
    ['- expect: [ { botSpeech: { within: 2s } } ]', `- user: { audio: ${HELLO}, bargeIn: 400ms }`, '  expect: [ { bargeIn: { stopWithin: 500ms, clearWithin: 500ms } } ]'],
    talker(null),
  );
  assert.equal(call.status, 'failed');
  const outcome = call.turns[1]!.expectations[0]!;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.actual!, /^no clear came; bot audio (kept playing for \S+ after the caller started|was still playing at \S+, \S+ after the caller started)/);
  assert.match(outcome.message!, /talk-over \S+, no clear/);
  assert.match(call.reason!, /^turn 2 \(audio hello\.wav \(barge-in at 400ms\)\): expected the bot yields to the caller \(clear within 500ms, stop within 500ms\)/);
  // The metrics still say what happened: no clear, and more talk-over than the 500 ms allowed.
  const metrics = call.turns[1]!.metrics;
  assert.equal(metrics.clearLatency, undefined);
  assert.ok(metrics.talkOver! > 500, `talk-over ${metrics.talkOver} ms`);
});

test('maxTalkOver and a bot that was not speaking at all', async () => {
  const quiet = await runScripted([`- user: { audio: ${HELLO} }`, '  expect: [ { bargeIn: { maxTalkOver: 600ms } } ]'], () => {});
  assert.equal(quiet.call.status, 'failed');
  assert.match(quiet.call.reason!, /the bot was not speaking when the caller started at \S+: there was nothing to interrupt$/);

  const { call } = await runScripted(
    ['- expect: [ { botSpeech: { within: 2s } } ]', `- user: { audio: ${HELLO}, bargeIn: 400ms }`, '  expect: [ { bargeIn: { maxTalkOver: 5s } } ]'],
    talker(CLEAR_AFTER_MS),
  );
  assert.equal(call.status, 'passed', call.reason);
});

test('bargeIn at a mark starts the caller once playback reaches it', async () => {
  const { call } = await runScripted(
    ['- expect: [ { botSpeech: { within: 2s } } ]', `- user: { audio: ${HELLO}, bargeIn: { atMark: half, after: 100ms } }`, '  expect: [ { clear: { within: 2s } } ]'],
    talker(CLEAR_AFTER_MS, { markAfterMs: 1000 }),
  );
  assert.equal(call.status, 'passed', call.reason);
  const turn = call.turns[1]!;
  assert.equal(turn.action, 'audio hello.wav (barge-in 100ms after mark "half")');
  const markEcho = call.timeline.find((e) => e.kind === 'mark' && e.dir === 'local' && /"half"/.test(e.summary));
  assert.ok(markEcho, 'the mark was echoed');
  assert.ok(turn.callerSpeech!.start >= markEcho.t, 'the caller spoke after playback reached the mark');
});
