/** The pacing thread is favoured over the process's own helper threads (Linux), and given back after. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { favourPacingThread, HELPER_NICE, PACING_NICE } from '../../src/clock/priority.ts';

const linux = process.platform === 'linux';

function helperNices(): number[] {
  const nices: number[] = [];
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    if (tid === process.pid) continue;
    try {
      nices.push(getPriority(tid));
    } catch {
      // ended meanwhile
    }
  }
  return nices;
}

test('helpers are lowered, the main thread raised when allowed and put back on release', { skip: !linux && 'Linux only' }, () => {
  const before = getPriority();
  const lease = favourPacingThread();
  try {
    assert.ok(helperNices().length > 0, 'a Node process has helper threads');
    assert.ok(helperNices().every((nice) => nice >= HELPER_NICE), `helper nices: ${helperNices().join(', ')}`);
    // Whether raising is allowed depends on the machine; the outcome must say which, truthfully.
    if (lease.outcome.raised) assert.equal(getPriority(), Math.min(before, PACING_NICE));
    else {
      assert.equal(getPriority(), before);
      assert.match(lease.outcome.note ?? '', /root or CAP_SYS_NICE/);
    }
  } finally {
    lease.release();
  }
  assert.equal(getPriority(), before, 'release puts the main thread back');
});

test('a helper started after the lease is lowered too, within a couple of seconds', { skip: !linux && 'Linux only' }, async (t) => {
  const lease = favourPacingThread();
  try {
    // Pretend a helper escaped (as a thread created later by a raised main thread would).
    const tid = readdirSync('/proc/self/task').map(Number).find((id) => id !== process.pid)!;
    try {
      setPriority(tid, 0);
    } catch {
      // Putting a lowered thread back to 0 needs privileges this machine lacks: say so rather than pass.
      t.skip('needs root or CAP_SYS_NICE to raise a helper back for the check');
      return;
    }
    const deadline = Date.now() + 5000;
    while (getPriority(tid) < HELPER_NICE && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(getPriority(tid), HELPER_NICE);
  } finally {
    lease.release();
  }
});
