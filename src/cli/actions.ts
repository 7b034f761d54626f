/**
 * What each command does with its options: load, check, run, report, and map outcomes to
 * exit codes. User mistakes print one paragraph to stderr and return 2; never a stack.
 */
import { interruptOnSignals } from './interrupt.ts';
import { access, mkdir, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PromptError } from '../engine/prompts.ts';
import { EXIT, planRun, run } from '../engine/run.ts';
import { TargetError } from '../engine/targets.ts';
import { parseThresholdList, ThresholdError, type Threshold } from '../engine/thresholds.ts';
import { parseShard, ShardError, type Shard } from '../engine/shard.ts';
import { describeSelection, SelectionError } from '../engine/selection.ts';
import { startAudioCodesBot } from '../bot/audiocodes-bot.ts';
import { startTwilioBot } from '../bot/twilio-bot.ts';
import { createReporters, ReporterHub, ReportError } from '../report/index.ts';
import { loadSuites, SuiteLoadError } from '../suite/index.ts';
import { readRunControlFlags, type RunControlFlags } from './run-control-flags.ts';
import { probeOutDir, readTlsFlags } from './safety.ts';
import { VERSION } from './version.ts';

export interface RunFlags extends RunControlFlags {
  target?: string;
  out: string;
  workers: number;
  audio: boolean;
  verbose?: boolean;
  color?: boolean;
  /** ms; the hard limits (see src/engine/limits.ts). */
  maxCallDuration?: number;
  maxRunDuration?: number;
  idleTimeout?: number;
  ca?: string;
  insecure?: boolean;
  /** --threshold, as written: `metric: expression[, expression…]`. */
  threshold?: string[];
  /** --shard i/n, as written. */
  shard?: string;
}

export function fail(message: string): number {
  process.stderr.write(`convotest: ${message}\n`);
  return EXIT.invalid;
}

/** Errors that are the user's to fix: print their message, exit 2. */
export function userError(error: unknown): string | null {
  if (error instanceof SuiteLoadError || error instanceof PromptError || error instanceof TargetError || error instanceof SelectionError) return error.message;
  return null;
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  const runControl = readRunControlFlags(flags);
  if ('error' in runControl) return fail(runControl.error);
  const thresholds: Threshold[] = [];
  for (const text of flags.threshold ?? []) {
    try {
      thresholds.push(...parseThresholdList(text));
    } catch (error) {
      if (error instanceof ThresholdError) return fail(`--threshold ${JSON.stringify(text)}: ${error.message}`);
      throw error;
    }
  }
  let shard: Shard | undefined;
  try {
    shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  } catch (error) {
    if (error instanceof ShardError) return fail(error.message);
    throw error;
  }
  const outDir = resolve(flags.out);
  try {
    await mkdir(outDir, { recursive: true });
    await access(outDir, constants.W_OK);
  } catch (error) {
    return fail(`cannot write reports to ${outDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; choose another folder with --out`);
  }
  const unwritable = await probeOutDir(outDir);
  if (unwritable) return fail(unwritable);
  const safety = await readTlsFlags(flags);
  if ('error' in safety) return fail(safety.error);
  for (const warning of safety.warnings) process.stderr.write(`convotest: warning: ${warning}\n`);
  const color = flags.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const reporter = new ReporterHub(createReporters({ outDir, console: process.stdout, color, verbose: flags.verbose }));
  const interrupt = interruptOnSignals();
  try {
    const suites = await loadSuites(paths, process.cwd());
    const options = { ...runControl.options, suites, target: flags.target, outDir, workers: flags.workers, reporter, signal: interrupt.signal, recordAudio: flags.audio, version: VERSION,
      limits: { call: flags.maxCallDuration, idle: flags.idleTimeout }, maxRunMs: flags.maxRunDuration, tls: safety.tls, warnings: safety.warnings, thresholds, shard };
    const plan = await planRun(options);
    if (plan.work.length + plan.skipped.length === 0) {
      const narrowed = describeSelection(runControl.options, suites.some((suite) => suite.only || suite.calls.some((call) => call.only)));
      return fail(narrowed ? `no call matches ${narrowed}` : 'the suites hold no calls to run');
    }
    const result = await run(options, plan);
    return result.exitCode;
  } catch (error) {
    // The calls ran, but CI would read stale or missing reports: never let that pass as green.
    if (error instanceof ReportError) return fail(`could not write the reports: ${error.message}`);
    const message = userError(error);
    if (message !== null) return fail(message);
    throw error;
  } finally {
    interrupt.dispose();
  }
}

export async function validateCommand(paths: string[], flags: Pick<RunControlFlags, 'forbidOnly' | 'ttsCache'> = {}): Promise<number> {
  const runControl = readRunControlFlags(flags);
  if ('error' in runControl) return fail(runControl.error);
  try {
    const suites = await loadSuites(paths, process.cwd());
    // Preparing the prompts checks every WAV and speaks every `say:` line (filling the speech cache).
    await planRun({ ...runControl.options, suites, outDir: '.', workers: 1, reporter: {} });
    const calls = suites.reduce((sum, suite) => sum + suite.calls.length, 0);
    process.stdout.write(`${suites.length} suite file${suites.length === 1 ? '' : 's'}, ${calls} call${calls === 1 ? '' : 's'}: valid\n`);
    return EXIT.passed;
  } catch (error) {
    const message = userError(error);
    if (message !== null) return fail(message);
    throw error;
  }
}

export async function botCommand(options: { protocol: 'twilio' | 'audiocodes'; port: number; host: string }): Promise<number> {
  const start = options.protocol === 'audiocodes' ? startAudioCodesBot : startTwilioBot;
  const bot = await start({ port: options.port, host: options.host });
  process.stdout.write(`convotest reference bot (${options.protocol}) listening on ${bot.url}\n`);
  if (bot.webhookUrl) process.stdout.write(`voice webhook (TwiML): ${bot.webhookUrl}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bot.close();
  return EXIT.passed;
}
