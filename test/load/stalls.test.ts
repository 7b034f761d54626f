/** A stalled clock is reported as a warning naming how often and how long, never silently. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer } from '../../src/clock/pacer.ts';
import { watchStalls } from '../../src/engine/stalls.ts';

test('the run learns how often and how long convotest’s own clock stalled', () => {
  let now = 0;
  let pending: (() => void) | null = null;
  let due = 0;
  const pacer = new Pacer({ now: () => now, schedule: (fn, delay) => ((pending = fn), (due = now + delay), () => (pending = null)) });
  const fire = (late: number) => {
    now = due + late;
    pending!();
  };
  pacer.add(() => {});
  const warning = watchStalls(pacer);
  fire(0);
  fire(30); // one slot caught up: late, but not a stall
  assert.equal(warning(), null);
  fire(350); // 17 slots late: the pacer skips them
  fire(0);
  fire(60); // caught up, but long enough to show in a latency
  assert.equal(pacer.stats.reanchored, 1);
  assert.equal(pacer.stats.stalls, 2);
  assert.match(warning()!, /^convotest's 20 ms clock stalled 2 times for 50ms or more \(the longest 350ms\): this machine did not give convotest the CPU it needed/);
});
