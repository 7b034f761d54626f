/**
 * A load test: a suite's calls started at an arrival rate (after a ramp) instead of one
 * after another, each one the same real call `convotest run` makes. The selected calls are
 * cycled through; each arrival is its own call in the report, named `<call> #<n>`. All
 * calls share the one pacer, so a thousand calls cost one timer, not a thousand.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { favourPacingThread } from '../clock/priority.ts';
import type { Prompt } from '../audio/types.ts';
import type { CallSpec, Suite } from '../suite/model.ts';
import { arrivals, type ArrivalPlan } from './load-schedule.ts';
import type { Shard } from './shard.ts';
import { DEFAULT_WINDOW_MS, loadWindows } from './load-windows.ts';
import { conclude } from './outcome.ts';
import type { CallResult, LoadProgress, RunResult, SuiteResult } from './results.ts';

export type { LoadProgress } from './results.ts';
import { dialCall, planRun, slug, type RunOptions } from './run.ts';
import { callTags } from './selection.ts';
import { watchStalls } from './stalls.ts';
import { percentiles } from './stats.ts';
import { TargetResolver } from './targets.ts';
import { checkRunThresholds } from './thresholds.ts';

export interface LoadOptions extends Omit<RunOptions, 'workers' | 'policy' | 'failOnFlaky' | 'maxRunMs' | 'shard'> {
  plan: ArrivalPlan;
  /** This machine's slice of the arrivals, when a load is spread over several. */
  shard?: Shard;
  /** Width of the percentile windows in the report (default 10 s). */
  windowMs?: number;
  /** Told every `progressEveryMs` (default 1 s), and once at the end, how the load is going. */
  onProgress?: (progress: LoadProgress) => void;
  progressEveryMs?: number;
  /** Keep the timelines of passed calls in the report too (off: a load has thousands of calls). */
  keepPassedTimelines?: boolean;
  /** Give the pacing (main) thread the CPU before the process's helper threads (default on; see clock/priority.ts). */
  favourPacing?: boolean;
}

interface Template {
  suite: Suite;
  call: CallSpec;
  result: SuiteResult;
  prompts: Map<string, Prompt>;
}

/** `plan`: what planRun returned for these options, when the caller already checked them. */
export async function runLoad(options: LoadOptions, plan?: Awaited<ReturnType<typeof planRun>>): Promise<RunResult> {
  const planned = plan ?? (await planRun({ ...options, workers: 1, shard: undefined }));
  const suiteResults = planned.suiteResults.map((result) => ({ ...result, calls: [] as CallResult[] }));
  const templates: Template[] = planned.work.map((item) => ({
    suite: item.suite,
    call: item.call,
    result: suiteResults[planned.suiteResults.indexOf(item.result)]!,
    prompts: planned.prompts.get(item.suite)!,
  }));
  const schedule = templates.length === 0 ? [] : arrivals(options.plan, options.shard);
  const resolver = new TargetResolver();
  const arrivalOf = new Map<CallResult, number>();
  await options.reporter.onRunStart?.({
    outDir: options.outDir,
    suites: suiteResults.map((suite) => ({ file: suite.file, name: suite.name, calls: 0 })),
    totalCalls: schedule.length,
  });

  const started = Date.now();
  const origin = performance.now();
  const stalls = watchStalls();
  const priority = options.favourPacing === false ? null : favourPacingThread();
  const counts = { started: 0, inFlight: 0, peakInFlight: 0, passed: 0, failed: 0, interrupted: 0 };
  let recent: number[] = [];
  const report = (done: boolean) => {
    const latency = recent;
    recent = [];
    options.onProgress?.({ elapsedMs: performance.now() - origin, scheduled: schedule.length, ...counts, recentLatency: percentiles(latency), done });
  };
  const progressTimer = options.onProgress ? setInterval(() => report(false), options.progressEveryMs ?? 1000) : null;
  progressTimer?.unref();

  const running = new Set<Promise<void>>();
  const launch = (index: number) => {
    const template = templates[index % templates.length]!;
    counts.started++;
    counts.inFlight++;
    counts.peakInFlight = Math.max(counts.peakInFlight, counts.inFlight);
    const done = runArrival(index, template, options, resolver).then(async (result) => {
      counts.inFlight--;
      if (result.status === 'passed') counts.passed++;
      else if (result.status === 'interrupted') counts.interrupted++;
      else counts.failed++;
      for (const latency of result.metrics.responseLatency) recent.push(latency);
      arrivalOf.set(result, index);
      template.result.calls.push(result);
      await options.reporter.onCallEnd?.(template.result, result);
      // Reporters have seen the whole call; the report keeps the timelines of failures only.
      if (result.status === 'passed' && !options.keepPassedTimelines) result.timeline = [];
    });
    running.add(done);
    void done.finally(() => running.delete(done));
  };

  try {
    await new Promise<void>((resolve) => {
      let next = 0;
      let timer: NodeJS.Timeout | null = null;
      const stop = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', stop);
        resolve();
      };
      // Each wake-up starts every arrival that is due, then sleeps until the next one. Times
      // come from the schedule, so a late wake-up does not push the later arrivals back.
      const wake = () => {
        if (options.signal?.aborted) return stop();
        const now = performance.now() - origin;
        while (next < schedule.length && schedule[next]!.at <= now) launch(schedule[next++]!.index);
        if (next >= schedule.length) return stop();
        timer = setTimeout(wake, Math.max(0, schedule[next]!.at - (performance.now() - origin)));
      };
      options.signal?.addEventListener('abort', stop, { once: true });
      wake();
    });
    while (running.size > 0) await Promise.all(running);
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    priority?.release();
    await resolver.close();
  }
  report(true);

  for (const suite of suiteResults) suite.calls.sort((a, b) => arrivalOf.get(a)! - arrivalOf.get(b)!);
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const warnings = [...(options.warnings ?? [])];
  const stalled = stalls();
  if (stalled) warnings.push(stalled);
  const result = conclude({
    tool: { name: 'convotest', version: options.version ?? '0.0.0' },
    startedAt: started,
    durationMs: Date.now() - started,
    interrupted: options.signal?.aborted ?? false,
    suites: suiteResults,
    thresholds: checkRunThresholds(options.suites, suiteResults, options.thresholds),
    warnings,
    load: {
      rate: options.plan.rate,
      rampMs: options.plan.rampMs,
      ...(options.plan.calls !== undefined ? { calls: options.plan.calls } : {}),
      ...(options.plan.durationMs !== undefined ? { durationMs: options.plan.durationMs } : {}),
      ...(options.shard && options.shard.total > 1 ? { shard: `${options.shard.index}/${options.shard.total}` } : {}),
      started: counts.started,
      peakInFlight: counts.peakInFlight,
      windowMs,
      windows: loadWindows(suiteResults.flatMap((suite) => suite.calls), started, windowMs),
    },
  });
  await options.reporter.onRunEnd?.(result);
  return result;
}

/** One arrival: the template's call under its own name, with its own audio folder. */
async function runArrival(index: number, template: Template, options: LoadOptions, resolver: TargetResolver): Promise<CallResult> {
  const { suite } = template;
  const call = { ...template.call, name: `${template.call.name} #${index + 1}` };
  const audioDir = async () => {
    if (options.recordAudio === false) return null;
    const dir = join(options.outDir, 'audio', slug(suite.name), slug(template.call.name), String(index + 1));
    await rm(dir, { recursive: true, force: true });
    return dir;
  };
  const result = await dialCall({ suite, call }, options, resolver, template.prompts, audioDir);
  return { ...result, tags: callTags(suite, template.call) };
}
