import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoadProgress, LoadSummary } from '../../src/engine/results.ts';
import { formatLoadLine, formatLoadWindows, formatProgressLine, loadWindowTable } from '../../src/report/load-text.ts';

const progress: LoadProgress = {
  elapsedMs: 12_040,
  scheduled: 1000,
  started: 240,
  inFlight: 180,
  passed: 58,
  failed: 2,
  interrupted: 0,
  recentLatency: { count: 9, p50: 500, p95: 640, p99: 700 },
  done: false,
};

const load: LoadSummary = {
  rate: 0.5,
  rampMs: 30_000,
  durationMs: 120_000,
  shard: '2/4',
  started: 60,
  peakInFlight: 12,
  windowMs: 60_000,
  windows: [
    { start: 0, end: 60_000, started: 30, ended: 20, failed: 1, inFlight: 10, responseLatency: { count: 40, p50: 600, p95: 950, p99: 1210 }, firstMediaLatency: { count: 0 } },
    { start: 60_000, end: 120_000, started: 30, ended: 40, failed: 0, inFlight: 0, responseLatency: { count: 0 }, firstMediaLatency: { count: 0 } },
  ],
};

describe('load text', () => {
  test('progress: tenths of a second for the first minute, then minutes', () => {
    assert.equal(formatProgressLine(progress), '12.0s · 240/1000 started · 180 in flight · 58 passed · 2 failed · latency p95 640ms');
    assert.equal(formatProgressLine({ ...progress, elapsedMs: 59_940, recentLatency: { count: 0 } }), '59.9s · 240/1000 started · 180 in flight · 58 passed · 2 failed');
    assert.match(formatProgressLine({ ...progress, elapsedMs: 1_805_000 }), /^30m 05s · /);
    // After Ctrl-C the calls cut short are said as such, not counted as failures.
    assert.equal(formatProgressLine({ ...progress, interrupted: 3, recentLatency: { count: 0 } }), '12.0s · 240/1000 started · 180 in flight · 58 passed · 2 failed · 3 interrupted');
  });

  test('the windows table: one aligned row per window, a dash where there were no samples', () => {
    assert.deepEqual(formatLoadWindows(load), [
      'response latency over time:',
      'window  started  ended  failed  in flight   n    p50    p95    p99',
      '0ms–1m       30     20       1         10  40  600ms  950ms  1.21s',
      '1m–2m        30     40       0          0   0      –      –      –',
    ]);
    assert.deepEqual(loadWindowTable(load).header, ['window', 'started', 'ended', 'failed', 'in flight', 'n', 'p50', 'p95', 'p99']);
    assert.deepEqual(formatLoadWindows({ ...load, windows: [] }), []);
  });

  test('the load line: a slow rate per minute, the ramp and the shard', () => {
    assert.equal(formatLoadLine(load), 'load: 60 calls started at 30/m after a 30.00s ramp (shard 2/4); peak 12 in flight');
    assert.equal(formatLoadLine({ ...load, rate: 2.5, rampMs: 0, shard: undefined, started: 1 }), 'load: 1 call started at 2.5/s; peak 12 in flight');
  });
});
