/**
 * Every wait for an expectation is raced against a forbid being broken. A call runs hundreds
 * of such waits, and a load runs hundreds of calls: a wait that is over must leave nothing
 * behind for the rest of the call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ExpectationRunner } from '../../src/engine/expect-runner.ts';
import { Timeline } from '../../src/engine/timeline.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveHeap(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

test('guarded waits that are over keep no memory for the rest of the call', async () => {
  const runner = new ExpectationRunner({ timeline: new Timeline(), speeches: [], now: () => 0, timeout: 1000, isOpen: () => true });
  // Warm up, so compiled code and the runner's own fields are already counted.
  for (let i = 0; i < 1000; i++) await runner.guard(Promise.resolve({ cursor: i }));
  const before = liveHeap();
  const waits = 100_000;
  for (let i = 0; i < waits; i++) {
    const position = await runner.guard(Promise.resolve({ cursor: i }));
    assert.equal(position.cursor, i);
  }
  const grown = liveHeap() - before;
  // Racing each wait against one call-long promise kept about 140 bytes per wait (14 MB here).
  assert.ok(grown < 4_000_000, `the live heap grew ${(grown / 1e6).toFixed(1)} MB over ${waits} finished waits`);
});

test('a wait that fails fails through the guard, and the guard still works after it', async () => {
  const runner = new ExpectationRunner({ timeline: new Timeline(), speeches: [], now: () => 0, timeout: 1000, isOpen: () => true });
  await assert.rejects(runner.guard(Promise.reject(new Error('no match'))), /no match/);
  assert.equal(await runner.guard(Promise.resolve('next')), 'next');
});
