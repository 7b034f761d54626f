/**
 * What an unmet expectation says, branch by branch, on a timeline built by hand: the live
 * tests cannot pin down a "too late" match (it depends on when the miss is explained), this can.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResolvedAnchor } from '../../src/engine/anchors.ts';
import { explainMiss, type MissScene } from '../../src/engine/explain.ts';
import { Timeline, type BotSpeechEvent } from '../../src/engine/timeline.ts';
import type { EventExpectationSpec } from '../../src/suite/model.ts';

const pos = { file: 'suite.yaml', line: 7, col: 9 };
const slow: EventExpectationSpec = { kind: 'mark', name: 'slow', within: 300, pos };

function scene(marks: [string, number][], speeches: BotSpeechEvent[] = [], over = false): MissScene {
  const timeline = new Timeline();
  for (const [name, t] of marks) timeline.add({ type: 'mark', t, name, sentAt: t - 10, cleared: false });
  return { timeline, speeches, over, turnStartedAt: 0, turnStartIndex: 0 };
}

const turnStart: ResolvedAnchor = { t: 0, index: 0, name: 'the start of the turn', isEvent: false };

function explain(s: MissScene, anchor = turnStart, searchFrom = 0) {
  return explainMiss(s, slow, 'mark "slow"', `within 300ms of ${anchor.name}`, anchor, anchor.t + 300, searchFrom);
}

test('a match after the deadline is named as late, by how much', () => {
  const why = explain(scene([['other', 100], ['slow', 700]]));
  assert.equal(why.actual, 'it came at 700ms, 400ms too late');
  assert.equal(why.expected, 'mark "slow" by 300ms (within 300ms of the start of the turn, which was at 0ms)');
  assert.match(why.message, /^expected mark "slow" within 300ms of the start of the turn; got it came at 700ms, 400ms too late; other mark events: mark "other" echoed \(sent at 90ms\) at 100ms; the bot was silent in the window\. Last events: /);
});

test('a match before an event anchor, or before the previous match, says so', () => {
  const beforeAnchor = explain(scene([['slow', 50], ['go', 100]]), { t: 100, index: 2, name: 'mark "go"', isEvent: true }, 2);
  assert.equal(beforeAnchor.actual, 'one came at 50ms, before mark "go"');
  const outOfOrder = explain(scene([['slow', 50], ['first', 100]]), turnStart, 2);
  assert.match(outOfOrder.actual, /^one came at 50ms, before the previous expectation's match \(expectations match in the order listed; use anyOrder/);
});

test('nothing at all: by when, or that the call ended; and whether the bot was talking', () => {
  assert.equal(explain(scene([])).actual, 'none by 300ms');
  assert.equal(explain(scene([], [], true)).actual, 'none before the call ended');
  const talking: BotSpeechEvent = { type: 'botSpeech', t: -200, end: 900, reply: 1, runs: [[-200, 900]] };
  assert.match(explain(scene([], [talking])).message, /; bot audio kept playing for 900ms after the start of the turn\./);
  assert.match(explain(scene([])).message, /the bot was silent in the window\. Nothing happened since the turn began/);
});
