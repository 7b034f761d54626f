/**
 * The load mode's arrival schedule: pure arithmetic on arrival indexes (no clock), so the
 * same plan gives the same start times everywhere and shards are exact slices of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalCount, arrivals, arrivalTime, parseRate, RateError } from '../../src/engine/load-schedule.ts';
import { parseShard, shardSlice, ShardError } from '../../src/engine/shard.ts';

test('without a ramp, arrival k starts k/rate seconds in', () => {
  const plan = { rate: 20, rampMs: 0, calls: 5 };
  assert.deepEqual(
    arrivals(plan).map((a) => a.at),
    [0, 50, 100, 150, 200],
  );
  assert.equal(arrivalTime(100, plan), 5000);
});

test('a linear ramp: arrivals thin at first, then exactly the rate once it is over', () => {
  // 10/s reached after 2 s: Λ(t) = 10·t²/(2·2) for t ≤ 2 s, so 10 calls start during the ramp.
  const plan = { rate: 10, rampMs: 2000 };
  const times = Array.from({ length: 14 }, (_, k) => arrivalTime(k, plan));
  assert.equal(times[0], 0);
  assert.ok(Math.abs(times[1]! - Math.sqrt(0.4) * 1000) < 1e-9, 'Λ(t) = 1 at t = √0.4 s');
  assert.ok(Math.abs(times[10]! - 2000) < 1e-9, 'the 10th arrival closes the ramp');
  // The gaps shrink during the ramp and are the full-rate 100 ms after it.
  for (let k = 1; k < 10; k++) assert.ok(times[k + 1]! - times[k]! < times[k]! - times[k - 1]!, `gap ${k} shrinks`);
  assert.deepEqual(
    times.slice(10).map((t, i, all) => (i === 0 ? null : Math.round((t - all[i - 1]!) * 1e6) / 1e6)),
    [null, 100, 100, 100],
  );
});

test('a duration bounds the arrivals strictly before its end; with calls too, whichever is first', () => {
  assert.equal(arrivalCount({ rate: 10, rampMs: 0, durationMs: 1000 }), 10, 'arrivals at 0, 100, …, 900 ms');
  assert.equal(arrivalCount({ rate: 10, rampMs: 0, durationMs: 1001 }), 11);
  assert.equal(arrivalCount({ rate: 10, rampMs: 2000, durationMs: 2000 }), 10, 'Λ(2 s) = 10: arrivals 0…9 start before 2 s');
  assert.equal(arrivalCount({ rate: 10, rampMs: 0, durationMs: 1000, calls: 3 }), 3);
  assert.equal(arrivalCount({ rate: 10, rampMs: 0, durationMs: 300, calls: 30 }), 3);
  for (const plan of [
    { rate: 7, rampMs: 3000, durationMs: 9000 },
    { rate: 0.5, rampMs: 0, durationMs: 60_000 },
  ]) {
    const count = arrivalCount(plan);
    assert.ok(arrivalTime(count - 1, plan) < plan.durationMs);
    assert.ok(arrivalTime(count, plan) >= plan.durationMs);
  }
});

test('shards are disjoint, interleaved, keep their start times, and together are the whole schedule', () => {
  const plan = { rate: 50, rampMs: 1000, calls: 101 };
  const whole = arrivals(plan);
  const shards = [1, 2, 3].map((index) => arrivals(plan, { index, total: 3 }));
  assert.deepEqual(shards[0]!.slice(0, 3).map((a) => a.index), [0, 3, 6]);
  assert.deepEqual(shards[1]!.slice(0, 3).map((a) => a.index), [1, 4, 7]);
  const merged = shards.flat().sort((a, b) => a.index - b.index);
  assert.deepEqual(merged, whole);
  assert.deepEqual(shards.map((s) => s.length), [34, 34, 33]);
  // The same slicing for a run's calls.
  assert.deepEqual(shardSlice(['a', 'b', 'c', 'd', 'e'], { index: 2, total: 2 }), ['b', 'd']);
  assert.deepEqual(shardSlice(['a', 'b'], undefined), ['a', 'b']);
});

test('rates and shards parse, and say what to write when they do not', () => {
  assert.equal(parseRate('20'), 20);
  assert.equal(parseRate('20/s'), 20);
  assert.equal(parseRate('1.5/s'), 1.5);
  assert.equal(parseRate('300/m'), 5);
  assert.throws(() => parseRate('fast'), (error: Error) => error instanceof RateError && /e\.g\. 20\/s or 300\/m/.test(error.message));
  assert.throws(() => parseRate('0/s'), RateError);
  assert.deepEqual(parseShard('2/4'), { index: 2, total: 4 });
  for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) {
    assert.throws(() => parseShard(bad), (error: Error) => error instanceof ShardError && /write i\/n with 1 ≤ i ≤ n/.test(error.message), bad);
  }
  assert.throws(() => arrivalCount({ rate: 5, rampMs: 0 }), /--calls.*--duration/);
});
