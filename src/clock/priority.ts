/**
 * The pacing thread first. A load test's frames are all produced on the main thread, and on
 * a small machine that thread competes for the cores with the process's own helpers: V8's
 * garbage-collection threads (seconds of CPU a minute at hundreds of calls) and libuv's file
 * threads (recordings). When the scheduler runs a helper while a slot is due, every call's
 * frame of that slot leaves late. So, on Linux, the helpers are lowered to nice 10 (always
 * allowed) and the main thread is raised to nice -10 when the process may (root or
 * CAP_SYS_NICE). Linux gives each thread its own nice value, and threads started later
 * inherit their creator's, so the helpers are looked for again every second.
 *
 * Best effort: anything refused is left as it was, and said once in the outcome.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export const HELPER_NICE = 10;
export const PACING_NICE = -10;

export interface PriorityOutcome {
  /** Whether the main thread runs at PACING_NICE. */
  raised: boolean;
  /** Helper threads lowered so far. */
  lowered: number;
  /** Why nothing or only part could be done, when so. */
  note?: string;
}

export interface PriorityLease {
  readonly outcome: PriorityOutcome;
  /** Stops looking for new helpers and puts the main thread back where it was. */
  release(): void;
}

const RECHECK_MS = 1000;

/** The process's threads other than the main one (whose id is the process id). */
function helperThreads(): number[] {
  return readdirSync('/proc/self/task')
    .map(Number)
    .filter((tid) => Number.isInteger(tid) && tid !== process.pid);
}

function lowerHelpers(outcome: PriorityOutcome): void {
  for (const tid of helperThreads()) {
    try {
      if (getPriority(tid) >= HELPER_NICE) continue;
      setPriority(tid, HELPER_NICE);
      outcome.lowered++;
    } catch {
      // The thread ended between the listing and now.
    }
  }
}

export function favourPacingThread(): PriorityLease {
  const outcome: PriorityOutcome = { raised: false, lowered: 0 };
  if (process.platform !== 'linux') {
    outcome.note = 'thread priorities are only adjusted on Linux';
    return { outcome, release: () => {} };
  }
  const before = getPriority();
  try {
    if (before > PACING_NICE) setPriority(PACING_NICE);
    outcome.raised = true;
  } catch {
    outcome.note = `the main thread stays at nice ${before}: raising it needs root or CAP_SYS_NICE`;
  }
  try {
    lowerHelpers(outcome);
  } catch (error) {
    outcome.note = `helper threads not lowered: ${(error as Error).message}`;
    return { outcome, release: () => restore(before, outcome) };
  }
  const timer = setInterval(() => {
    try {
      lowerHelpers(outcome);
    } catch {
      clearInterval(timer);
    }
  }, RECHECK_MS);
  timer.unref();
  return {
    outcome,
    release: () => {
      clearInterval(timer);
      restore(before, outcome);
    },
  };
}

function restore(before: number, outcome: PriorityOutcome): void {
  if (!outcome.raised) return;
  try {
    setPriority(before);
  } catch {
    // Lowering one's own priority is always allowed; nothing to do if it was not.
  }
}
