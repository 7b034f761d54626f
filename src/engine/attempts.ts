/**
 * Retries and repeats of one call, and how their attempts add up to the call's result.
 *
 * - `repeat: N` runs the call N times (repetitions); `retries: R` gives each failed
 *   repetition up to R more tries.
 * - The pass rate is passing attempts / all attempts (retries included): a call that needs
 *   retries is less reliable, and the rate says by how much.
 * - Without `minPassRate`, every repetition must end passing: a call is `passed` when no
 *   attempt failed, `flaky` when some failed but each repetition passed on a retry, and
 *   failed otherwise. With `minPassRate`, the pass rate decides: below it the call failed;
 *   at or above it the call passed, or is flaky when some attempt failed.
 */
import { formatMs } from '../clock/duration.ts';
import type { CallSpec, RunPolicy, Suite } from '../suite/model.ts';
import type { AttemptResult, CallResult } from './results.ts';
import { percentiles } from './stats.ts';

export interface Policy {
  retries: number;
  repeat: number;
  minPassRate?: number;
}

/** The command line wins over the call, the call over the suite's `defaults:`. */
export function policyFor(suite: Suite, call: CallSpec, overrides: RunPolicy = {}): Policy {
  const pick = <K extends keyof RunPolicy>(key: K) => overrides[key] ?? call[key] ?? suite.defaults[key];
  const policy: Policy = { retries: pick('retries') ?? 0, repeat: pick('repeat') ?? 1 };
  const minPassRate = pick('minPassRate');
  if (minPassRate !== undefined) policy.minPassRate = minPassRate;
  return policy;
}

export interface AttemptSlot {
  repetition: number;
  retry: number;
  /** 1-based number of the attempt, given when it starts. */
  attempt?: number;
}

interface Finished {
  slot: Required<AttemptSlot>;
  result: CallResult;
}

export class CallAttempts {
  private readonly finished: Finished[] = [];
  /** Per repetition, its attempt that will not be retried. */
  private readonly finals = new Map<number, Finished>();
  private started = 0;

  constructor(readonly policy: Policy) {}

  /** The first try of every repetition. */
  initial(): AttemptSlot[] {
    return Array.from({ length: this.policy.repeat }, (_, i) => ({ repetition: i + 1, retry: 0 }));
  }

  /** Numbers an attempt as it starts; true for the call's very first one. */
  start(slot: AttemptSlot): boolean {
    slot.attempt = ++this.started;
    return slot.attempt === 1;
  }

  /** Records a finished attempt; returns the retry to run next, or null. */
  record(slot: AttemptSlot, result: CallResult, mayRetry: boolean): AttemptSlot | null {
    const run: Finished = { slot: { ...slot, attempt: slot.attempt ?? this.started }, result };
    this.finished.push(run);
    const failed = result.status === 'failed' || result.status === 'errored';
    if (failed && mayRetry && slot.retry < this.policy.retries) return { repetition: slot.repetition, retry: slot.retry + 1 };
    this.finals.set(slot.repetition, run);
    return null;
  }

  get attemptsRun(): number {
    return this.finished.length;
  }

  /** Every repetition has its final attempt. */
  get done(): boolean {
    return this.finals.size === this.policy.repeat;
  }

  /**
   * The call's result from its attempts. `complete` is false when the run stopped before
   * every repetition ran (interrupted, time limit): the call is then interrupted.
   */
  combine(complete = true): CallResult {
    const runs = [...this.finished].sort((a, b) => a.slot.attempt - b.slot.attempt);
    if (runs.length === 0) throw new Error('combine() needs at least one attempt');
    const passed = runs.filter((run) => run.result.status === 'passed');
    const notPassed = runs.filter((run) => run.result.status !== 'passed');
    const rate = passed.length / runs.length;
    const { minPassRate, repeat } = this.policy;
    const finals = [...this.finals.values()].sort((a, b) => a.slot.attempt - b.slot.attempt);
    const interrupted = runs.find((run) => run.result.status === 'interrupted' || run.result.status === 'skipped');

    let main: Finished;
    let status: CallResult['status'];
    let reason: string | undefined;
    if (interrupted || !complete || finals.length < repeat) {
      main = interrupted ?? runs[runs.length - 1]!;
      status = 'interrupted';
      reason = interrupted?.result.reason ?? `the run stopped after ${finals.length} of ${repeat} runs of this call`;
    } else if (minPassRate !== undefined) {
      const tally = `passed ${passed.length} of ${runs.length} attempts (${percent(rate)})`;
      if (rate >= minPassRate) {
        main = passed[passed.length - 1]!;
        status = notPassed.length === 0 ? 'passed' : 'flaky';
        reason = status === 'flaky' ? `${tally}, within minPassRate ${percent(minPassRate)}; ${describeFirstFailure(notPassed)}` : undefined;
      } else {
        main = notPassed[notPassed.length - 1]!;
        status = 'failed';
        reason = `${tally}, below minPassRate ${percent(minPassRate)}; last failure (attempt ${main.slot.attempt}): ${main.result.reason ?? main.result.status}`;
      }
    } else {
      const failedRepetitions = finals.filter((run) => run.result.status !== 'passed');
      if (failedRepetitions.length > 0) {
        main = failedRepetitions[failedRepetitions.length - 1]!;
        status = main.result.status;
        reason = main.result.reason;
        if (runs.length > 1) {
          const what = repeat > 1 ? `${failedRepetitions.length} of ${repeat} runs failed` : `failed all ${runs.length} attempts`;
          reason = `${what} (pass rate ${percent(rate)}); attempt ${main.slot.attempt}: ${reason ?? status}`;
        }
      } else if (notPassed.length > 0) {
        main = passed[passed.length - 1]!;
        status = 'flaky';
        reason = `passed on a retry: ${notPassed.length} of ${runs.length} attempts failed; ${describeFirstFailure(notPassed)}`;
      } else {
        main = runs[runs.length - 1]!;
        status = 'passed';
        reason = undefined;
      }
    }

    const combined: CallResult = { ...main.result, status, attempts: runs.map((run) => attemptResult(run.slot, run.result)) };
    if (reason === undefined) delete combined.reason;
    else combined.reason = reason;
    if (runs.length > 1) {
      combined.attemptStats = {
        attempts: runs.length,
        passed: passed.length,
        passRate: rate,
        responseLatency: percentiles(runs.flatMap((run) => run.result.metrics.responseLatency)),
      };
      if (minPassRate !== undefined) combined.attemptStats.minPassRate = minPassRate;
    }
    return combined;
  }
}

/** One attempt as the reports list it (and as reporters hear of it while retries go on). */
export function attemptResult(slot: Required<AttemptSlot>, result: CallResult): AttemptResult {
  const attempt: AttemptResult = {
    attempt: slot.attempt,
    repetition: slot.repetition,
    retry: slot.retry,
    status: result.status === 'flaky' ? 'passed' : result.status,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    metrics: result.metrics,
  };
  if (result.reason !== undefined) attempt.reason = result.reason;
  if (result.audio.call !== undefined) attempt.audio = result.audio.call;
  return attempt;
}

function describeFirstFailure(failures: Finished[]): string {
  const first = failures[0]!;
  return `attempt ${first.slot.attempt} ${first.result.status}: ${first.result.reason ?? 'no reason given'} (${formatMs(first.result.durationMs)})`;
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
