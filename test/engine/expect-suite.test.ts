/**
 * The suite keys of expectations, barge-in and thresholds as the loader reads them: the model
 * they become, and a `file:line:col` problem for each way to get them wrong.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { folderWith, problemsOf } from '../suite/helpers.ts';

async function load(yaml: string) {
  const dir = await folderWith({ 'suite.yaml': yaml, 'hi.wav': 'RIFF' });
  return loadSuiteFile(join(dir, 'suite.yaml'));
}

const suite = (turns: string, top = '') => `name: t\ntarget: ws://bot\n${top}calls:\n  - name: c\n    turns:\n${turns}`;

describe('expectation keys', () => {
  it('reads anyOrder, forbid, bargeIn, from and counts into the model', async () => {
    const loaded = await load(
      suite(
        [
          '      - user: { audio: hi.wav, bargeIn: { atMark: menu, after: 200ms } }',
          '        expect:',
          '          - anyOrder: [ { mark: { name: a } }, { clear: { within: 1s } } ]',
          '          - forbid: { hangup: {}, untilNextTurn: true }',
          '          - forbid: { botSpeech: { minDuration: 100ms }, during: 300ms, from: speechStart }',
          '          - bargeIn: { stopWithin: 500ms, maxTalkOver: 600ms }',
          '          - mark: { name: b, from: "mark:menu", count: 2 }',
          '          - clear: { from: previous, atLeast: 1, atMost: 3 }',
          '          - dtmf: { from: botSpeechEnd, atMost: 0 }',
          '',
        ].join('\n'),
      ),
    );
    const turn = loaded.calls[0]!.turns[0]!;
    assert.deepEqual(turn.user && turn.user.kind === 'audio' ? turn.user.bargeIn : undefined, { after: 200, atMark: 'menu' });
    const strip = (value: unknown) => JSON.parse(JSON.stringify(value, (key, v) => (key === 'pos' ? undefined : v)));
    assert.deepEqual(strip(turn.expect), [
      { kind: 'anyOrder', members: [{ kind: 'mark', name: 'a' }, { kind: 'clear', within: 1000 }] },
      { kind: 'forbid', event: { kind: 'hangup' }, window: { untilNextTurn: true } },
      { kind: 'forbid', event: { kind: 'botSpeech', minDuration: 100 }, window: { during: 300 }, from: { kind: 'speechStart', source: 'speechStart' } },
      { kind: 'bargeIn', stopWithin: 500, maxTalkOver: 600 },
      { kind: 'mark', name: 'b', from: { kind: 'event', event: 'mark', name: 'menu', source: 'mark:menu' }, count: { min: 2, max: 2 } },
      { kind: 'clear', from: { kind: 'previous', source: 'previous' }, count: { min: 1, max: 3 } },
      { kind: 'dtmf', from: { kind: 'event', event: 'botSpeechEnd', source: 'botSpeechEnd' }, count: { min: 0, max: 0 } },
    ]);
  });

  it('reports each misuse at the value to fix', async () => {
    const problems = await problemsOf(
      load(
        suite(
          [
            '      - user: { dtmf: "1" }',
            '        expect:',
            '          - mark: { from: speechEnd }',
            '          - mark: { from: clr }',
            '          - mark: { count: 2, atLeast: 1 }',
            '          - mark: { atLeast: 3, atMost: 1 }',
            '          - forbid: { hangup: {} }',
            '          - forbid: { hangup: {}, during: 1s, untilNextTurn: true }',
            '          - forbid: { hangup: {}, mark: {}, during: 1s }',
            '          - forbid: { mark: { within: 1s }, during: 1s }',
            '          - anyOrder: [ { forbid: { clear: {}, during: 1s } }, { mark: { count: 2 } } ]',
            '          - bargeIn: { stopWithin: 500ms }',
            '          - mark: { count: -1 }',
            '',
          ].join('\n'),
        ),
      ),
    );
    assert.deepEqual(problems, [
      '8:27: `from: speechEnd` needs caller speech in the turn (`user: { audio: … }`); this turn has none — use `turnStart` or an event',
      '9:27: `from` must be turnStart, speechStart, speechEnd, previous, or an event (clear, mark, botSpeech, botSpeechEnd, botMedia, dtmf, text, recognition, hangup, mark:<name>), got "clr" — did you mean `clear`?',
      '10:28: `count` is an exact number: use it alone, or `atLeast`/`atMost` instead',
      '11:41: `atMost: 1` is below `atLeast: 3`: no number of events can pass',
      '12:21: `forbid` needs a window: `during: 2s` (from its anchor) or `untilNextTurn: true`',
      '13:62: `forbid` takes `during` or `untilNextTurn`, not both',
      '14:21: `forbid` names one event, got `mark` and `hangup`: write one `forbid` per event',
      '15:39: `within` has no meaning on a forbidden event: the window is `during` (or `untilNextTurn`)',
      '16:25: `anyOrder` holds events only (botSpeech, mark, clear, …), not `forbid`: put `forbid` next to the group instead',
      '16:72: `count`, `atLeast` and `atMost` do not work inside `anyOrder`: each member matches one event',
      '17:22: `bargeIn` checks how the bot yields when the caller talks over it: it needs a turn where the caller speaks (`user: { audio: …, bargeIn: … }`)',
      '18:28: `count` must be >= 0, got -1',
    ]);
  });

  it('refuses an unknown key inside bargeIn with a suggestion', async () => {
    const problems = await problemsOf(load(suite('      - user: { audio: hi.wav, bargeIn: { atMark: menu, afer: 1s } }\n')));
    assert.deepEqual(problems, ['6:57: unknown key `afer` — did you mean `after`?']);
  });
});

describe('thresholds', () => {
  it('reads metric → expression or list into parsed thresholds with their positions', async () => {
    const loaded = await load(suite('      - expect: [ { botSpeech: {} } ]\n', 'thresholds:\n  responseLatency: ["p(95) < 900ms", "max < 2s"]\n  underruns: count == 0\n'));
    assert.deepEqual(
      loaded.thresholds.map((t) => [t.metric, t.expression, t.limit, t.pos.line, t.pos.col]),
      [
        ['responseLatency', 'p(95) < 900ms', 900, 4, 21],
        ['responseLatency', 'max < 2s', 2000, 4, 38],
        ['underruns', 'count == 0', 0, 5, 14],
      ],
    );
  });

  it('reports a bad expression at itself and an unknown metric at its name', async () => {
    const problems = await problemsOf(
      load(suite('      - expect: [ { botSpeech: {} } ]\n', 'thresholds:\n  responseLatency: ["p95 < 900ms", "max < 2s"]\n  latency: "max < 1s"\n  underruns: [3]\n')),
    );
    assert.deepEqual(problems, [
      '4:21: "p95 < 900ms" is not a threshold: write an aggregation, a comparison and a limit, like "p(95) < 900ms", "max < 2s", "avg <= 1s" or "count == 0" (aggregations: p(N), avg, min, max, med, count, sum)',
      '5:12: unknown metric `latency` (metrics: responseLatency, firstMediaLatency, timeToFirstSpeech, botSpeechDuration, markEchoDelay, clearLatency, stopLatency, talkOver, underruns, violations, callDuration)',
      '6:15: item 1 of `underruns` must be a string, got 3 — quote it: "3"',
    ]);
  });
});
