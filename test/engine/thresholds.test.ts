/** The threshold language and its evaluation, as load mode and the run use them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, evaluateThresholds, parseThreshold, parseThresholdExpression, parseThresholdList, ThresholdError } from '../../src/engine/thresholds.ts';

test('parses k6-style expressions: percentiles, aggregates, units', () => {
  assert.deepEqual(parseThreshold('responseLatency: p(95) < 900ms'), {
    metric: 'responseLatency',
    aggregation: { kind: 'percentile', p: 95 },
    op: '<',
    limit: 900,
    expression: 'p(95) < 900ms',
  });
  assert.equal(parseThresholdExpression('responseLatency', 'max<2s').limit, 2000);
  assert.equal(parseThresholdExpression('talkOver', 'p(99.9) <= 1.5s').aggregation.kind, 'percentile');
  assert.equal(parseThresholdExpression('stopLatency', 'avg >= 100').limit, 100, 'a bare number is ms');
  assert.deepEqual(parseThresholdExpression('underruns', 'count == 0').aggregation, { kind: 'count' });
  assert.deepEqual(
    parseThresholdList('responseLatency: p(95) < 900ms, max < 2s').map((t) => t.expression),
    ['p(95) < 900ms', 'max < 2s'],
  );
});

test('bad expressions throw one clear sentence', () => {
  const error = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof ThresholdError && !e.message.includes('\n'));
  error(() => parseThreshold('responseLatency p(95) < 900ms'));
  assert.throws(() => parseThreshold('responseLatncy: p(95) < 900ms'), /unknown metric `responseLatncy` — did you mean `responseLatency`\?/);
  assert.throws(() => parseThresholdExpression('responseLatency', 'p95 < 900ms'), /is not a threshold: write an aggregation, a comparison and a limit, like "p\(95\) < 900ms"/);
  assert.throws(() => parseThresholdExpression('responseLatency', 'p(0) < 900ms'), /above 0 and at most 100/);
  assert.throws(() => parseThresholdExpression('underruns', 'count == 0ms'), /`count` is a number of samples, not a duration: drop the unit "ms"/);
  assert.throws(() => parseThresholdExpression('violations', 'sum < 1s'), /`violations` counts occurrences/);
  error(() => parseThresholdExpression('responseLatency', 'max < fast'));
  assert.throws(() => parseThreshold('responseLatency: p(95) < 900ms, max < 2s'), /give each its own --threshold/);
});

test('aggregates: nearest-rank percentiles, count and sum of nothing are 0, the rest of nothing is null', () => {
  const values = [100, 200, 300, 400, 1000];
  assert.equal(aggregate({ kind: 'percentile', p: 50 }, values), 300);
  assert.equal(aggregate({ kind: 'percentile', p: 95 }, values), 1000);
  assert.equal(aggregate({ kind: 'med' }, values), 300);
  assert.equal(aggregate({ kind: 'avg' }, values), 400);
  assert.equal(aggregate({ kind: 'min' }, values), 100);
  assert.equal(aggregate({ kind: 'count' }, []), 0);
  assert.equal(aggregate({ kind: 'sum' }, []), 0);
  assert.equal(aggregate({ kind: 'max' }, []), null);
});

test('evaluation names the metric, the value and the limit', () => {
  const thresholds = [
    parseThreshold('responseLatency: p(95) < 900ms'),
    parseThreshold('responseLatency: max < 2s'),
    parseThreshold('underruns: count == 0'),
    parseThreshold('talkOver: max < 500ms'),
  ];
  const results = evaluateThresholds(thresholds, { responseLatency: [400, 600, 1200], underruns: [] });
  assert.deepEqual(results.map((r) => [r.metric, r.expression, r.value, r.passed]), [
    ['responseLatency', 'p(95) < 900ms', 1200, false],
    ['responseLatency', 'max < 2s', 1200, true],
    ['underruns', 'count == 0', 0, true],
    ['talkOver', 'max < 500ms', null, true],
  ]);
  assert.equal(results[0]!.message, 'responseLatency p(95) is 1.20s, breaching the limit < 900ms (3 samples; --threshold)');
  assert.equal(results[2]!.unit, 'count');
  assert.match(results[3]!.message, /^talkOver max has no samples, within the limit < 500ms/);
  const suite = evaluateThresholds([thresholds[0]!], { responseLatency: [100] }, { scope: 'suite', suite: 'Pizza', location: 'p.yaml:3:20' });
  assert.equal(suite[0]!.message, 'responseLatency p(95) is 100ms, within the limit < 900ms (1 sample in suite "Pizza"; p.yaml:3:20)');
});
