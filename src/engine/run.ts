/**
 * A run: selects calls, resolves targets, prepares prompts, runs calls on N workers, and
 * tells the reporters as it goes. Interrupting the run (the signal) stops new calls, ends
 * the ones in flight, and still produces a complete RunResult for the reports.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter } from '../report/reporter.ts';
import type { CallSpec, Suite } from '../suite/model.ts';
import { runCall } from './call-runner.ts';
import { location } from './location.ts';
import { preparePrompts } from './prompts.ts';
import type { CallResult, RunResult, RunSummary, SuiteResult } from './results.ts';
import { percentiles } from './stats.ts';
import { checkTarget, redactUrl, TargetResolver } from './targets.ts';

export interface RunOptions {
  suites: Suite[];
  /** Replaces every suite's target (the CLI's --target). */
  target?: string;
  outDir: string;
  workers: number;
  /** Runs only calls whose "suite › call" title matches. */
  grep?: RegExp;
  reporter: Reporter;
  signal?: AbortSignal;
  recordAudio?: boolean;
  version?: string;
}

interface Work {
  suite: Suite;
  call: CallSpec;
  result: SuiteResult;
  slot: number;
}

export const EXIT = { passed: 0, failed: 1, invalid: 2, interrupted: 130 } as const;

export function callTitle(suite: Suite, call: CallSpec): string {
  return `${suite.name} › ${call.name}`;
}

/** Checks what can be checked before any call starts; throws TargetError or PromptError. */
export async function planRun(options: RunOptions) {
  const work: Work[] = [];
  const suiteResults: SuiteResult[] = [];
  for (const suite of options.suites) {
    const target = options.target ?? suite.target;
    checkTarget(target);
    const calls = suite.calls.filter((call) => !options.grep || options.grep.test(callTitle(suite, call)));
    if (calls.length === 0) continue;
    const result: SuiteResult = { file: location(suite.pos).replace(/:\d+:\d+$/, ''), name: suite.name, protocol: suite.protocol, target: redactUrl(target), calls: [] };
    suiteResults.push(result);
    for (const call of calls) work.push({ suite, call, result, slot: result.calls.length++ });
  }
  const prompts = await preparePrompts(work);
  return { work, suiteResults, prompts };
}

export async function run(options: RunOptions, plan?: Awaited<ReturnType<typeof planRun>>): Promise<RunResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const { work, suiteResults, prompts } = plan ?? (await planRun(options));
  const resolver = new TargetResolver();
  const audioDirs = new AudioDirs(join(options.outDir, 'audio'));
  await options.reporter.onRunStart?.({
    outDir: options.outDir,
    suites: suiteResults.map((suite) => ({ file: suite.file, name: suite.name, calls: suite.calls.length })),
    totalCalls: work.length,
  });

  let next = 0;
  const worker = async () => {
    while (next < work.length && !options.signal?.aborted) {
      const item = work[next++]!;
      await options.reporter.onCallStart?.(item.result, { name: item.call.name });
      const result = await runOne(item, options, resolver, prompts.get(item.suite)!, audioDirs);
      item.result.calls[item.slot] = result;
      await options.reporter.onCallEnd?.(item.result, result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, work.length)) }, worker));
  } finally {
    await resolver.close();
  }
  for (const item of work) {
    if (!item.result.calls[item.slot]) item.result.calls[item.slot] = notRun(item);
  }
  const interrupted = options.signal?.aborted ?? false;
  const summary = summarize(suiteResults);
  const exitCode = interrupted ? EXIT.interrupted : summary.failed + summary.errored + summary.interrupted > 0 ? EXIT.failed : EXIT.passed;
  const result: RunResult = {
    tool: { name: 'convotest', version: options.version ?? '0.0.0' },
    startedAt,
    durationMs: Date.now() - started,
    interrupted,
    suites: suiteResults,
    summary,
    exitCode,
  };
  await options.reporter.onRunEnd?.(result);
  return result;
}

async function runOne(item: Work, options: RunOptions, resolver: TargetResolver, prompts: Map<string, import('../audio/types.ts').Prompt>, dirs: AudioDirs): Promise<CallResult> {
  const { suite, call } = item;
  const started = new Date().toISOString();
  try {
    const target = await resolver.resolve(options.target ?? suite.target, suite.protocol);
    const audioDir = options.recordAudio === false ? null : await dirs.forCall(suite.name, call.name);
    return await runCall({ suite, call, target, prompts, audioDir, reportDir: options.outDir, signal: options.signal });
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

function notRun(item: Work): CallResult {
  return {
    suite: item.suite.name,
    name: item.call.name,
    location: location(item.call.pos),
    status: 'skipped',
    reason: 'not run: the run was interrupted first',
    startedAt: new Date().toISOString(),
    durationMs: 0,
    turns: [],
    botSpeech: [],
    metrics: { responseLatency: [], firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 0, violations: 0 },
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
    responseLatency: percentiles(calls.flatMap((call) => call.metrics.responseLatency)),
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

/** One folder per call under audio/<suite>/<call>/, emptied first so old replies do not linger. */
class AudioDirs {
  private readonly taken = new Set<string>();
  constructor(private readonly root: string) {}

  async forCall(suite: string, call: string): Promise<string> {
    const base = join(this.root, slug(suite), slug(call));
    let dir = base;
    for (let n = 2; this.taken.has(dir); n++) dir = `${base}-${n}`;
    this.taken.add(dir);
    await rm(dir, { recursive: true, force: true });
    return dir;
  }
}
