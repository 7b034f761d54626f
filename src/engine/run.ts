/**
 * A run: selects calls, resolves targets, prepares prompts, runs calls on N workers, and
 * tells the reporters as it goes. Interrupting the run (the signal) stops new calls, ends
 * the ones in flight, and still produces a complete RunResult for the reports.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter } from '../report/reporter.ts';
import type { CallSpec, RunPolicy, Suite } from '../suite/model.ts';
import { formatMs } from '../clock/duration.ts';
import type { TlsPolicy } from '../protocols/connect.ts';
import { attemptMetrics, CallAttempts, policyFor, type AttemptSlot } from './attempts.ts';
import { runCall } from './call-runner.ts';
import { callLimits, type LimitOverrides } from './limits.ts';
import { location } from './location.ts';
import { emptyCallMetrics, metricSamples, summarizeMetrics } from './metrics.ts';
import { checkRunThresholds, type Threshold } from './thresholds.ts';
import { shardSlice, type Shard } from './shard.ts';
import { watchStalls } from './stalls.ts';
import { preparePrompts } from './prompts.ts';
import { callTags, selectCalls, type SelectionOptions } from './selection.ts';
import type { AttemptResult, CallResult, RunResult, RunSummary, SuiteResult } from './results.ts';
import { percentiles } from './stats.ts';
import { checkTarget, redactUrl, TargetResolver } from './targets.ts';

export interface RunOptions extends SelectionOptions {
  suites: Suite[];
  /** Replaces every suite's target (the CLI's --target). */
  target?: string;
  outDir: string;
  workers: number;
  reporter: Reporter;
  /** --retries, --repeat, --min-pass-rate: over every call's and suite's own settings. */
  policy?: RunPolicy;
  /** A flaky call fails the run (--fail-on-flaky). */
  failOnFlaky?: boolean;
  /** Where `say:` speech is cached (--tts-cache); default .cache/convotest/tts in the working folder. */
  ttsCacheDir?: string;
  signal?: AbortSignal;
  recordAudio?: boolean;
  version?: string;
  /** Hard limits from the command line (--max-call-duration, --idle-timeout), over the suites'. */
  limits?: LimitOverrides;
  /** The whole run's hard limit, ms (--max-run-duration): calls still running then are ended, the rest not started. */
  maxRunMs?: number;
  /** How wss:// certificates are checked (--ca, --insecure). */
  tls?: TlsPolicy;
  /** Written into every report, e.g. that certificates were not verified. */
  warnings?: string[];
  /** Run-wide thresholds (--threshold), checked against every call; suites' own `thresholds:` are checked too. */
  thresholds?: Threshold[];
  /** --shard i/n: only every n-th selected call, from the i-th, so n machines split a run between them. */
  shard?: Shard;
}

interface Work {
  suite: Suite;
  call: CallSpec;
  result: SuiteResult;
  slot: number;
  attempts: CallAttempts;
}

export const DEFAULT_TTS_CACHE = join('.cache', 'convotest', 'tts');

/** 99 (as k6): every call passed but a threshold was breached. A failed call's 1 and an interrupt's 130 take precedence. */
export const EXIT = { passed: 0, failed: 1, invalid: 2, thresholds: 99, interrupted: 130 } as const;

export { callTitle } from './selection.ts';

/**
 * Checks what can be checked before any call starts, and prepares what calls will send
 * (WAVs decoded, `say:` synthesised); throws SelectionError, TargetError or PromptError.
 * `work` holds each call to run once; `skipped` the selected calls marked `skip:`, whose
 * results are already in their suite's `calls`.
 */
export async function planRun(options: RunOptions) {
  const work: Work[] = [];
  const skipped: { result: SuiteResult; call: CallResult }[] = [];
  const suiteResults: SuiteResult[] = [];
  const bySuite = new Map<Suite, SuiteResult>();
  for (const { suite, call, skipReason } of shardSlice(selectCalls(options.suites, options), options.shard)) {
    let result = bySuite.get(suite);
    if (!result) {
      const target = options.target ?? suite.target;
      checkTarget(target, suite.protocol);
      result = { file: location(suite.pos).replace(/:\d+:\d+$/, ''), name: suite.name, protocol: suite.protocol, target: redactUrl(target), calls: [] };
      bySuite.set(suite, result);
      suiteResults.push(result);
    }
    const slot = result.calls.length++;
    if (skipReason !== undefined) {
      const call_ = { ...notRun({ suite, call }, skipReason), tags: callTags(suite, call) };
      result.calls[slot] = call_;
      skipped.push({ result, call: call_ });
    } else {
      work.push({ suite, call, result, slot, attempts: new CallAttempts(policyFor(suite, call, options.policy)) });
    }
  }
  const prepared = await preparePrompts(work, options.ttsCacheDir ?? join(process.cwd(), DEFAULT_TTS_CACHE));
  return { work, skipped, suiteResults, prompts: prepared.bySuite, speech: prepared.speech };
}

export async function run(options: RunOptions, plan?: Awaited<ReturnType<typeof planRun>>): Promise<RunResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const { work, skipped, suiteResults, prompts } = plan ?? (await planRun(options));
  const resolver = new TargetResolver();
  const audioDirs = new AudioDirs(join(options.outDir, 'audio'));
  await options.reporter.onRunStart?.({
    outDir: options.outDir,
    suites: suiteResults.map((suite) => ({ file: suite.file, name: suite.name, calls: suite.calls.length })),
    totalCalls: work.length,
  });
  for (const { result, call } of skipped) await options.reporter.onCallEnd?.(result, call);
  const stalls = watchStalls();

  // The run's time limit ends calls the way an interrupt does, with its own reason as the abort reason.
  const runLimit = new AbortController();
  const limitMessage = options.maxRunMs === undefined ? '' : `the run reached its hard time limit of ${formatMs(options.maxRunMs)} (--max-run-duration)`;
  const limitTimer = options.maxRunMs === undefined ? undefined : setTimeout(() => runLimit.abort(`${limitMessage} before this call finished`), Math.min(options.maxRunMs, 2 ** 31 - 1));
  const signal = options.signal ? eitherSignal(options.signal, runLimit.signal) : runLimit.signal;
  const callOptions = { ...options, signal };

  // One entry per attempt: the first try of every repetition, and retries as failures come in.
  const queue: { item: Work; slot: AttemptSlot }[] = work.flatMap((item) => item.attempts.initial().map((slot) => ({ item, slot })));
  let next = 0;
  const worker = async () => {
    while (next < queue.length && !signal.aborted) {
      const { item, slot } = queue[next++]!;
      if (item.attempts.start(slot)) await options.reporter.onCallStart?.(item.result, { name: item.call.name });
      const attempt = await runOne(item, callOptions, resolver, prompts.get(item.suite)!, audioDirs, slot.attempt!);
      const retry = item.attempts.record(slot, attempt, !signal.aborted);
      // A retry goes next in line, so a call's attempts stay together.
      if (retry) queue.splice(next, 0, { item, slot: retry });
      if (retry || item.attempts.policy.repeat > 1) await options.reporter.onAttemptEnd?.(item.result, attemptOf(attempt, slot), { call: item.call.name, retrying: retry !== null });
      if (item.attempts.done) {
        const result = { ...item.attempts.combine(), tags: callTags(item.suite, item.call) };
        item.result.calls[item.slot] = result;
        await options.reporter.onCallEnd?.(item.result, result);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, worker));
  } finally {
    clearTimeout(limitTimer);
    await resolver.close();
  }
  const interrupted = options.signal?.aborted ?? false;
  const limitReached = runLimit.signal.aborted && !interrupted;
  for (const item of work) {
    if (item.result.calls[item.slot]) continue;
    // Some repetitions may have run before the run stopped; they are reported, as interrupted.
    const partial = item.attempts.attemptsRun > 0 ? item.attempts.combine(false) : notRun(item, limitReached ? `not run: ${limitMessage} first` : undefined);
    item.result.calls[item.slot] = { ...partial, tags: callTags(item.suite, item.call) };
  }
  const warnings = [...(options.warnings ?? [])];
  if (limitReached) warnings.push(`${limitMessage}: calls still running were ended, the others not started`);
  const stalled = stalls();
  if (stalled) warnings.push(stalled);
  for (const suite of suiteResults) suite.metrics = summarizeMetrics(metricSamples(suite.calls));
  const summary = summarize(suiteResults);
  const thresholds = checkRunThresholds(options.suites, suiteResults, options.thresholds);
  const callsExit = interrupted
    ? EXIT.interrupted
    : limitReached || summary.failed + summary.errored + summary.interrupted > 0 || (options.failOnFlaky && summary.flaky > 0)
      ? EXIT.failed
      : EXIT.passed;
  const exitCode = callsExit === EXIT.passed && thresholds.some((t) => !t.passed) ? EXIT.thresholds : callsExit;
  const result: RunResult = {
    tool: { name: 'convotest', version: options.version ?? '0.0.0' },
    startedAt,
    durationMs: Date.now() - started,
    interrupted,
    suites: suiteResults,
    summary,
    exitCode,
  };
  if (warnings.length > 0) result.warnings = warnings;
  if (thresholds.length > 0) result.thresholds = thresholds;
  await options.reporter.onRunEnd?.(result);
  return result;
}

async function runOne(
  item: Work,
  options: RunOptions,
  resolver: TargetResolver,
  prompts: Map<string, import('../audio/types.ts').Prompt>,
  dirs: AudioDirs,
  attempt = 1,
): Promise<CallResult> {
  const { suite, call } = item;
  const started = new Date().toISOString();
  try {
    const target = await resolver.resolve(options.target ?? suite.target, suite.protocol);
    const audioDir = options.recordAudio === false ? null : await dirs.forCall(suite.name, call.name, attempt);
    return await runCall({
      suite,
      call,
      target,
      prompts,
      audioDir,
      reportDir: options.outDir,
      signal: options.signal,
      limits: callLimits(suite, options.limits),
      tls: options.tls,
    });
  } catch (error) {
    // runCall turns bot misbehaviour into results; reaching here is convotest's own fault or the disk's.
    return {
      ...notRun(item),
      status: 'errored',
      startedAt: started,
      reason: `could not run the call: ${(error as Error).message}`,
    };
  }
}

/** Aborted with the reason of whichever aborts first (AbortSignal.any needs Node 20.3). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const both = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) both.abort(signal.reason);
    else signal.addEventListener('abort', () => both.abort(signal.reason), { once: true });
  }
  return both.signal;
}

function notRun(item: { suite: Suite; call: CallSpec }, reason = 'not run: the run was interrupted first'): CallResult {
  return emptyCallResult({ suite: item.suite.name, name: item.call.name, location: location(item.call.pos), status: 'skipped', reason });
}

/** The result of a call that has none of its own: not run, or failed before it could dial. */
export function emptyCallResult(call: Pick<CallResult, 'suite' | 'name' | 'location' | 'status' | 'reason'> & { startedAt?: string }): CallResult {
  return {
    ...call,
    startedAt: call.startedAt ?? new Date().toISOString(),
    durationMs: 0,
    turns: [],
    botSpeech: [],
    metrics: emptyCallMetrics(),
    timeline: [],
    audio: { replies: [] },
  };
}

export function summarize(suites: SuiteResult[]): RunSummary {
  const calls = suites.flatMap((suite) => suite.calls);
  const count = (status: CallResult['status']) => calls.filter((call) => call.status === status).length;
  return {
    total: calls.length,
    passed: count('passed'),
    failed: count('failed'),
    errored: count('errored'),
    interrupted: count('interrupted'),
    skipped: count('skipped'),
    flaky: count('flaky'),
    // With retries and repeat, every attempt's replies count.
    responseLatency: percentiles(calls.flatMap((call) => attemptMetrics(call).flatMap((metrics) => metrics.responseLatency))),
    metrics: summarizeMetrics(metricSamples(calls)),
  };
}

export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'unnamed'
  );
}

/**
 * One folder per call under audio/<suite>/<call>/, emptied first so old replies do not
 * linger; attempts after the first (retries, repeats) get attempt-N/ inside it.
 */
class AudioDirs {
  private readonly taken = new Set<string>();
  private readonly calls = new Map<string, Promise<string>>();
  constructor(private readonly root: string) {}

  async forCall(suite: string, call: string, attempt = 1): Promise<string> {
    const key = `${suite}\u0000${call}`;
    let dir = this.calls.get(key);
    if (!dir) {
      const base = join(this.root, slug(suite), slug(call));
      let chosen = base;
      for (let n = 2; this.taken.has(chosen); n++) chosen = `${base}-${n}`;
      this.taken.add(chosen);
      dir = rm(chosen, { recursive: true, force: true }).then(() => chosen);
      this.calls.set(key, dir);
    }
    return attempt === 1 ? dir : join(await dir, `attempt-${attempt}`);
  }
}

function attemptOf(result: CallResult, slot: AttemptSlot): AttemptResult {
  const attempt: AttemptResult = {
    attempt: slot.attempt!,
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
