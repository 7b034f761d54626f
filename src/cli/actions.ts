/**
 * What each command does with its options: load, check, run, report, and map outcomes to
 * exit codes. User mistakes print one paragraph to stderr and return 2; never a stack.
 */
import { access, mkdir, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PromptError } from '../engine/prompts.ts';
import { EXIT, planRun, run } from '../engine/run.ts';
import { TargetError } from '../engine/targets.ts';
import { startTwilioBot } from '../bot/twilio-bot.ts';
import { createReporters, ReporterHub } from '../report/index.ts';
import { loadSuites, SuiteLoadError } from '../suite/index.ts';
import { VERSION } from './version.ts';

export interface RunFlags {
  target?: string;
  out: string;
  grep?: string;
  workers: number;
  audio: boolean;
  verbose?: boolean;
  color?: boolean;
}

function fail(message: string): number {
  process.stderr.write(`convotest: ${message}\n`);
  return EXIT.invalid;
}

/** Errors that are the user's to fix: print their message, exit 2. */
function userError(error: unknown): string | null {
  if (error instanceof SuiteLoadError || error instanceof PromptError || error instanceof TargetError) return error.message;
  return null;
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  let grep: RegExp | undefined;
  if (flags.grep !== undefined) {
    try {
      grep = new RegExp(flags.grep);
    } catch (error) {
      return fail(`--grep ${JSON.stringify(flags.grep)} is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const outDir = resolve(flags.out);
  try {
    await mkdir(outDir, { recursive: true });
    await access(outDir, constants.W_OK);
  } catch (error) {
    return fail(`cannot write reports to ${outDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; choose another folder with --out`);
  }
  const color = flags.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const reporter = new ReporterHub(createReporters({ outDir, console: process.stdout, color, verbose: flags.verbose }));
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\nconvotest: interrupted — ending calls and writing reports (press Ctrl-C again to quit now)\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const suites = await loadSuites(paths, process.cwd());
    const options = { suites, target: flags.target, outDir, workers: flags.workers, grep, reporter, signal: interrupt.signal, recordAudio: flags.audio, version: VERSION };
    const plan = await planRun(options);
    if (plan.work.length === 0) return fail(grep ? `no call matches --grep ${flags.grep}` : 'the suites hold no calls to run');
    const result = await run(options, plan);
    return result.exitCode;
  } catch (error) {
    const message = userError(error);
    if (message !== null) return fail(message);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function validateCommand(paths: string[]): Promise<number> {
  try {
    const suites = await loadSuites(paths, process.cwd());
    await planRun({ suites, outDir: '.', workers: 1, reporter: {} });
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
  if (options.protocol !== 'twilio') return fail(`the ${options.protocol} reference bot is not available yet`);
  const bot = await startTwilioBot({ port: options.port, host: options.host });
  process.stdout.write(`convotest reference bot (${options.protocol}) listening on ${bot.url}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bot.close();
  return EXIT.passed;
}
