/**
 * What each command does with its options: load, check, run, report, and map outcomes to
 * exit codes. User mistakes print one paragraph to stderr and return 2; never a stack.
 */
import { interruptOnSignals } from './interrupt.ts';
import { PromptError } from '../engine/prompts.ts';
import { EXIT, planRun, run } from '../engine/run.ts';
import { TargetError } from '../engine/targets.ts';
import { describeSelection, SelectionError } from '../engine/selection.ts';
import { startAudioCodesBot } from '../bot/audiocodes-bot.ts';
import { startTwilioBot } from '../bot/twilio-bot.ts';
import { createReporters, ReporterHub, ReportError } from '../report/index.ts';
import { loadSuites, SuiteLoadError } from '../suite/index.ts';
import { readCallFlags, type CallFlags } from './call-flags.ts';
import { readRunControlFlags, type RunControlFlags } from './run-control-flags.ts';
import { fileProblem } from './safety.ts';
import { VERSION } from './version.ts';

export interface RunFlags extends CallFlags {
  workers: number;
  verbose?: boolean;
  /** ms: end the whole run after this long. */
  maxRunDuration?: number;
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
  const checked = await readCallFlags(flags);
  if ('error' in checked) return fail(checked.error);
  const { selection, outDir, color } = checked;
  const reporter = new ReporterHub(createReporters({ outDir, console: process.stdout, color, verbose: flags.verbose }));
  const interrupt = interruptOnSignals();
  try {
    const suites = await loadSuites(paths, process.cwd());
    const options = { ...selection, suites, target: flags.target, outDir, workers: flags.workers, reporter, signal: interrupt.signal, recordAudio: flags.audio, version: VERSION,
      limits: { call: flags.maxCallDuration, idle: flags.idleTimeout }, maxRunMs: flags.maxRunDuration, tls: checked.tls, warnings: checked.warnings, thresholds: checked.thresholds, shard: checked.shard };
    const plan = await planRun(options);
    if (plan.work.length + plan.skipped.length === 0) {
      const narrowed = describeSelection(selection, suites.some((suite) => suite.only || suite.calls.some((call) => call.only)));
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
  let bot: Awaited<ReturnType<typeof start>>;
  try {
    bot = await start({ port: options.port, host: options.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : fileProblem(error);
    return fail(`the reference bot cannot listen on ${options.host}:${options.port}: ${why}; choose another --port (0 = any free port) or --host`);
  }
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
