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
import { attemptResult, CallAttempts, policyFor, type AttemptSlot } from './attempts.ts';
import { runCall } from './call-runner.ts';
import { callLimits, type LimitOverrides } from './limits.ts';
import { emptyCallMetrics } from './metrics.ts';
import { conclude } from './outcome.ts';
import { checkRunThresholds, type Threshold } from './thresholds.ts';
import { shardSlice, type Shard } from './shard.ts';
import { watchStalls } from './stalls.ts';
import { preparePrompts, type PromptSet } from './prompts.ts';
import { callTags, selectCalls, type SelectionOptions } from './selection.ts';
import type { CallResult, RunResult, SuiteResult } from './results.ts';
import { location, suiteFile } from './location.ts';
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

export { EXIT, summarize } from './outcome.ts';

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
      result = { file: suiteFile(suite), name: suite.name, protocol: suite.protocol, target: redactUrl(target), calls: [] };
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
      const audioDir = () => (options.recordAudio === false ? Promise.resolve(null) : audioDirs.forCall(item.suite.name, item.call.name, slot.attempt));
      const attempt = await dialCall(item, callOptions, resolver, prompts.get(item.suite)!, audioDir);
      const retry = item.attempts.record(slot, attempt, !signal.aborted);
      // A retry goes next in line, so a call's attempts stay together.
      if (retry) queue.splice(next, 0, { item, slot: retry });
      if (retry || item.attempts.policy.repeat > 1) await options.reporter.onAttemptEnd?.(item.result, attemptResult({ ...slot, attempt: slot.attempt! }, attempt), { call: item.call.name, retrying: retry !== null });
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
  const result = conclude({
    tool: { name: 'convotest', version: options.version ?? '0.0.0' },
    startedAt: started,
    durationMs: Date.now() - started,
    interrupted,
    suites: suiteResults,
    thresholds: checkRunThresholds(options.suites, suiteResults, options.thresholds),
    warnings,
    failed: (summary) => limitReached || (options.failOnFlaky === true && summary.flaky > 0),
  });
  await options.reporter.onRunEnd?.(result);
  return result;
}

/**
 * Dials one call (a run's attempt, a load's arrival). runCall turns bot misbehaviour into
 * results; what is left (a built-in bot that would not start, the disk) comes back errored.
 */
export async function dialCall(
  item: { suite: Suite; call: CallSpec },
  options: Pick<RunOptions, 'target' | 'outDir' | 'signal' | 'limits' | 'tls'>,
  resolver: TargetResolver,
  prompts: PromptSet,
  audioDir: () => Promise<string | null>,
): Promise<CallResult> {
  const { suite, call } = item;
  const started = new Date().toISOString();
  try {
    const target = await resolver.resolve(options.target ?? suite.target, suite.protocol);
    return await runCall({
      suite,
      call,
      target,
      prompts,
      audioDir: await audioDir(),
      reportDir: options.outDir,
      signal: options.signal,
      limits: callLimits(suite, options.limits),
      tls: options.tls,
    });
  } catch (error) {
    const reason = `could not run the call: ${(error as Error).message}`;
    return emptyCallResult({ suite: suite.name, name: call.name, location: location(call.pos), status: 'errored', reason, startedAt: started });
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
