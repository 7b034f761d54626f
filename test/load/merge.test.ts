/**
 * How a run ends, the same for run, load and merged shards: the exit code's precedence
 * (130, then 1, then 99), and a merge that keeps what each shard's exit code knew.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MergeError, mergeReports } from '../../src/engine/merge.ts';
import { emptyCallMetrics } from '../../src/engine/metrics.ts';
import { conclude, EXIT } from '../../src/engine/outcome.ts';
import type { CallResult, RunResult, SuiteResult, ThresholdResult } from '../../src/engine/results.ts';

function call(name: string, line: number, status: CallResult['status'], responseLatency: number[] = []): CallResult {
  return {
    suite: 'S',
    name,
    location: `s.yaml:${line}:5`,
    status,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, line)).toISOString(),
    durationMs: 500,
    turns: [],
    botSpeech: [],
    metrics: { ...emptyCallMetrics(), responseLatency },
    timeline: [],
    audio: { replies: [] },
  };
}

const suite = (calls: CallResult[]): SuiteResult => ({ file: 's.yaml', name: 'S', protocol: 'twilio', target: 'ws://bot', calls });

const breached: ThresholdResult = {
  metric: 'responseLatency',
  expression: 'max < 100ms',
  scope: 'run',
  location: '--threshold',
  value: 700,
  limit: 100,
  unit: 'ms',
  samples: 1,
  passed: false,
  message: 'responseLatency max is 700ms, breaching the limit < 100ms (1 sample; --threshold)',
};

function end(calls: CallResult[], extra: { interrupted?: boolean; thresholds?: ThresholdResult[]; failed?: () => boolean } = {}): RunResult {
  return conclude({
    tool: { name: 'convotest', version: 't' },
    startedAt: Date.UTC(2026, 0, 1),
    durationMs: 1000,
    interrupted: extra.interrupted ?? false,
    suites: [suite(calls)],
    thresholds: extra.thresholds ?? [],
    warnings: [],
    failed: extra.failed,
  });
}

test('exit codes: 0, then 99 for a breach, 1 for a failed call or run, 130 over everything', () => {
  assert.equal(end([call('a', 1, 'passed'), call('b', 2, 'flaky')]).exitCode, EXIT.passed);
  assert.equal(end([call('a', 1, 'passed')], { thresholds: [breached] }).exitCode, EXIT.thresholds);
  assert.equal(end([call('a', 1, 'errored')], { thresholds: [breached] }).exitCode, EXIT.failed, 'a failed call says more than a breach');
  assert.equal(end([call('a', 1, 'passed')], { failed: () => true }).exitCode, EXIT.failed, 'the run itself failed (time limit, --fail-on-flaky)');
  assert.equal(end([call('a', 1, 'failed')], { interrupted: true, thresholds: [breached] }).exitCode, EXIT.interrupted);
});

test('the result carries the summary, each suite’s metrics, and only the optional parts that hold something', () => {
  const result = end([call('a', 1, 'passed', [300, 500]), call('b', 2, 'skipped'), call('c', 3, 'failed', [900])]);
  assert.deepEqual([result.summary.total, result.summary.passed, result.summary.failed, result.summary.skipped], [3, 1, 1, 1]);
  assert.deepEqual(result.summary.responseLatency, { count: 3, p50: 500, p95: 900, p99: 900, max: 900 });
  assert.equal(result.suites[0]!.metrics!.responseLatency!.count, 3);
  assert.equal(result.startedAt, '2026-01-01T00:00:00.000Z');
  assert.equal('warnings' in result || 'thresholds' in result || 'load' in result, false);
});

test('a merge puts calls back in suite order and keeps a shard’s failure beyond its calls', () => {
  const shard1 = end([call('one', 10, 'passed', [200]), call('three', 30, 'passed')]);
  const shard2 = { ...end([call('two', 20, 'passed', [400])]), exitCode: EXIT.failed, warnings: ['the run reached its hard time limit'] };
  const merged = mergeReports([shard2, shard1]);
  assert.deepEqual(merged.suites[0]!.calls.map((c) => c.name), ['one', 'two', 'three']);
  assert.equal(merged.summary.passed, 3);
  assert.deepEqual(merged.summary.responseLatency, { count: 2, p50: 200, p95: 400, p99: 400, max: 400 });
  assert.equal(merged.exitCode, EXIT.failed, 'every call passed, but one shard failed as a run');
  assert.deepEqual(merged.warnings, ['the run reached its hard time limit']);
  assert.equal(mergeReports([shard1, end([call('two', 20, 'passed')])]).exitCode, EXIT.passed);
});

test('a report that is not whole is refused with where it breaks, not a crash in the arithmetic', () => {
  const good = end([call('one', 10, 'passed')]);
  const cut = { ...good, suites: [{ ...good.suites[0]!, calls: [{ name: 'two' }] }] } as unknown as RunResult;
  assert.throws(() => mergeReports([good, cut]), (error: Error) => error instanceof MergeError && /^report 2 of 2 is not a whole convotest report\.json \(\/suites\/0\/calls\/0 must have required property '\w+'\): merge the report\.json files the shards wrote, unedited$/.test(error.message));
});
