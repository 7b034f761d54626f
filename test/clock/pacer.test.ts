import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, slotAt, slotTime } from '../../src/clock/pacer.ts';
import { parseDuration, formatMs, DurationError } from '../../src/clock/duration.ts';

/** A fake clock: time moves only when the test says, and timers fire in due order. */
function fakeTime() {
  let now = 1000;
  let pending: { at: number; fn: () => void } | null = null;
  return {
    now: () => now,
    schedule(fn: () => void, delay: number) {
      pending = { at: now + delay, fn };
      return () => {
        pending = null;
      };
    },
    /** Advances to the pending timer (plus `late` ms of wake-up lateness) and fires it. */
    fire(late = 0) {
      const timer = pending;
      assert.ok(timer, 'a timer should be armed');
      pending = null;
      now = timer.at + late;
      timer.fn();
    },
    get pendingAt() {
      return pending?.at ?? null;
    },
  };
}

test('slot arithmetic is anchored to the origin, not to the last wake-up', () => {
  assert.equal(slotTime(1000, 20, 0), 1000);
  assert.equal(slotTime(1000, 20, 50), 2000);
  assert.equal(slotAt(1000, 20, 1019.9), 0);
  assert.equal(slotAt(1000, 20, 1020), 1);
  assert.equal(slotAt(1000, 20, 2003), 50);
});

test('late wake-ups do not accumulate: the next timer aims at the next slot boundary', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule });
  const slots: [number, number][] = [];
  pacer.add((slot, at) => slots.push([slot, at]));
  assert.equal(time.pendingAt, 1020);
  time.fire(3); // woke at 1023
  assert.equal(time.pendingAt, 1040, 'aims at 1040, not 1023 + 20');
  time.fire(7); // woke at 1047
  assert.equal(time.pendingAt, 1060);
  time.fire(0);
  assert.deepEqual(slots, [
    [1, 1020],
    [2, 1040],
    [3, 1060],
  ]);
  assert.equal(pacer.stats.caughtUp, 0);
});

test('a short stall is caught up slot by slot; a long one re-anchors', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, maxCatchUpSlots: 5 });
  const slots: number[] = [];
  pacer.add((slot) => slots.push(slot));
  time.fire(45); // due 1020, woke at 1065: slots 1, 2, 3 are due
  assert.deepEqual(slots, [1, 2, 3]);
  assert.equal(pacer.stats.caughtUp, 2);
  time.fire(200); // due 1080, woke 1280: slot 14 due, 4..13 are too many to replay
  assert.deepEqual(slots.slice(3), [14]);
  assert.equal(pacer.stats.reanchored, 1);
  assert.equal(pacer.stats.stalls, 1, 'the 45 ms lateness before was no stall');
  assert.equal(pacer.stats.longestStallMs, 200, 'slot 4 was due at 1080');
  assert.equal(time.pendingAt, 1300);
});

test('the pacer stops when its last handler leaves and a throwing handler is dropped alone', () => {
  const time = fakeTime();
  const errors: unknown[] = [];
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, onHandlerError: (e) => errors.push(e) });
  const good: number[] = [];
  {
    const removeBad = pacer.add(() => {
      throw new Error('bad call');
    });
    const removeGood = pacer.add((slot) => good.push(slot));
    time.fire();
    time.fire();
    assert.deepEqual(good, [1, 2]);
    assert.equal(pacer.size, 1);
    removeBad();
    removeGood();
    assert.equal(pacer.size, 0);
    assert.equal(time.pendingAt, null, 'no timer left armed');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /bad call/);
  }
});

test('durations parse with units and reject what is not one', () => {
  assert.equal(parseDuration('800ms'), 800);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration(250), 250);
  assert.throws(() => parseDuration('fast'), DurationError);
  assert.throws(() => parseDuration('10'), /with a unit/);
  assert.equal(formatMs(850), '850ms');
  assert.equal(formatMs(1500), '1.50s');
});

test('phases: calls spread over the period, each on its own exact 20 ms grid', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, phases: 4 });
  const seen: Record<string, [number, number][]> = { a: [], b: [], c: [] };
  pacer.add((slot, at) => seen.a!.push([slot, at]));
  pacer.add((slot, at) => seen.b!.push([slot, at]));
  pacer.add((slot, at) => seen.c!.push([slot, at]));
  // origin 1000, steps 5 ms apart: phase 0 at 1020, phase 1 at 1025, phase 2 at 1030, then 1040…
  const wakes: number[] = [];
  for (let i = 0; i < 6; i++) {
    wakes.push(time.pendingAt!);
    time.fire();
  }
  assert.deepEqual(wakes, [1020, 1025, 1030, 1040, 1045, 1050], 'the empty fourth phase never wakes the pacer');
  assert.deepEqual(seen.a, [[1, 1020], [2, 1040]]);
  assert.deepEqual(seen.b, [[1, 1025], [2, 1045]]);
  assert.deepEqual(seen.c, [[1, 1030], [2, 1050]]);
});

test('phases: a call joining an empty phase is woken for it, and a late wake-up still catches every phase up', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, phases: 4 });
  const a: number[] = [];
  const b: number[] = [];
  pacer.add((_slot, at) => a.push(at));
  assert.equal(time.pendingAt, 1020);
  time.fire(); // 1020: phase 0
  assert.equal(time.pendingAt, 1040);
  pacer.add((_slot, at) => b.push(at)); // joins phase 1, due at 1025: the timer moves forward
  assert.equal(time.pendingAt, 1025);
  time.fire(17); // woke at 1042: phase 1 of slot 1 (1025) and phase 0 of slot 2 (1040) are due
  assert.deepEqual(a, [1020, 1040]);
  assert.deepEqual(b, [1025]);
  assert.equal(time.pendingAt, 1045);
  assert.equal(pacer.stats.caughtUp, 0, 'late, but not by a whole period');
});

test('phases: a long stall re-anchors and gives every phase its latest slot once', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, phases: 2, maxCatchUpSlots: 3 });
  const a: number[] = [];
  const b: number[] = [];
  pacer.add((slot) => a.push(slot));
  pacer.add((slot) => b.push(slot));
  time.fire(); // 1020: a slot 1
  time.fire(); // 1030: b slot 1
  time.fire(500); // due 1040, woke 1540: slot 27 of phase 0 (1540) is due, phase 1's latest is slot 26 (1530)
  assert.deepEqual(a, [1, 27]);
  assert.deepEqual(b, [1, 26]);
  assert.equal(pacer.stats.reanchored, 1);
  assert.equal(pacer.stats.longestStallMs, 500);
  assert.equal(time.pendingAt, 1550);
});

test('phases: the least busy phase takes each new call, so leaving calls are replaced evenly', () => {
  const time = fakeTime();
  const pacer = new Pacer({ now: time.now, schedule: time.schedule, phases: 2 });
  const phaseOf = (at: number) => ((at - 1000) % 20) / 10;
  const handlers = [0, 1, 2].map(() => {
    const times: number[] = [];
    return { times, remove: pacer.add((_slot, at) => times.push(at)) };
  });
  time.fire();
  time.fire();
  assert.deepEqual(
    handlers.map((h) => phaseOf(h.times[0]!)),
    [0, 1, 0],
  );
  handlers[0]!.remove();
  handlers[2]!.remove(); // phase 0 is now empty, phase 1 holds one call
  const late: number[] = [];
  pacer.add((_slot, at) => late.push(at));
  time.fire();
  time.fire();
  assert.equal(phaseOf(late[0]!), 0);
  assert.equal(pacer.size, 2);
});
