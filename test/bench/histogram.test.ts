/** The benchmark's histogram: fine below 100 ms, coarse above, mergeable, round-trips JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../bench/histogram.ts';

test('percentiles come back to within a bucket, fine below 100 ms and coarse above', () => {
  const h = new Histogram();
  for (let i = 1; i <= 100; i++) h.add(i / 10); // 0.1 … 10 ms
  assert.equal(h.count, 100);
  assert.ok(Math.abs(h.percentile(50) - 5) <= 0.011);
  assert.ok(Math.abs(h.percentile(99) - 9.9) <= 0.011);
  assert.equal(h.percentile(100), 10);
  const slow = new Histogram();
  for (const ms of [150.2, 700.7, 2500.5, -3]) slow.add(ms);
  assert.ok(slow.percentile(25) <= 0.01, 'negative values count as 0');
  assert.equal(slow.percentile(50), 151);
  assert.equal(slow.percentile(75), 701);
  assert.equal(slow.max, 2500.5);
  h.merge(Histogram.fromJSON(JSON.parse(JSON.stringify(slow))));
  assert.equal(h.count, 104);
  assert.equal(h.max, 2500.5);
  assert.equal(h.percentile(100), 2500.5);
});
