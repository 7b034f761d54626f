/**
 * `convotest load` (a suite's calls as a load test) and `convotest merge-reports` (the
 * report.json of several shards as one run). User mistakes are one paragraph and exit 2.
 */
import { interruptOnSignals } from './interrupt.ts';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ArrivalError, type ArrivalPlan } from '../engine/load-schedule.ts';
import { location } from '../engine/location.ts';
import type { LoadSpec, Suite } from '../suite/model.ts';
import { runLoad, type LoadProgress } from '../engine/load.ts';
import { mergeReports, MergeError, reportProblem } from '../engine/merge.ts';
import type { RunResult } from '../engine/results.ts';
import { planRun } from '../engine/run.ts';
import { createReporters, formatLatencyLine, formatSummaryLine, JsonReporter, JUnitReporter, HtmlReporter, ReportError, ReporterHub } from '../report/index.ts';
import { formatLoadLine, formatLoadWindows, formatProgressLine } from '../report/load-text.ts';
import { formatThresholdLine, formatThresholdSummary } from '../report/metrics-text.ts';
import { loadSuites } from '../suite/index.ts';
import { describeSelection } from '../engine/selection.ts';
import { fail, userError } from './actions.ts';
import { readCallFlags, type CallFlags } from './call-flags.ts';
import { fileProblem, prepareOutDir } from './safety.ts';
import { VERSION } from './version.ts';

export interface LoadFlags extends CallFlags {
  calls?: number;
  rate?: number;
  ramp?: number;
  duration?: number;
  window?: number;
  keepTimelines?: boolean;
  priority: boolean;
}

/** On a terminal one line redrawn in place; otherwise a line every `everyMs`. */
function progressPrinter(out: NodeJS.WriteStream): { onProgress: (progress: LoadProgress) => void; everyMs: number } {
  if (out.isTTY) {
    return {
      everyMs: 500,
      onProgress: (progress) => out.write(`\r\x1b[2K${formatProgressLine(progress)}${progress.done ? '\n' : ''}`),
    };
  }
  return { everyMs: 10_000, onProgress: (progress) => out.write(`${formatProgressLine(progress)}\n`) };
}

function printOutcome(result: RunResult, color: boolean, outDir: string): void {
  const out = process.stdout;
  if (result.load) out.write(`${formatLoadLine(result.load)}\n`);
  out.write(`${formatSummaryLine(result, color)}\n${formatLatencyLine(result.summary.responseLatency)}\n`);
  if (result.load) for (const line of formatLoadWindows(result.load)) out.write(`${line}\n`);
  if (result.thresholds?.length) {
    for (const threshold of result.thresholds) out.write(`${formatThresholdLine(threshold)}\n`);
    out.write(`${formatThresholdSummary(result.thresholds)}\n`);
  }
  const failures = result.suites.flatMap((suite) => suite.calls).filter((call) => call.status !== 'passed' && call.status !== 'skipped');
  for (const call of failures.slice(0, 5)) out.write(`  ✗ ${call.suite} › ${call.name}: ${call.reason ?? call.status}\n`);
  if (failures.length > 5) out.write(`  … and ${failures.length - 5} more failed calls (report.json has them all)\n`);
  out.write(`reports: ${outDir}/junit.xml, ${outDir}/report.json, ${outDir}/report.html\n`);
}

/**
 * The flags, over the selected suites' `load:` block (they must agree when several have
 * one), over the defaults: 1 call a second, no ramp, each selected call once.
 */
function arrivalPlanFor(flags: LoadFlags, suites: Suite[], selectedCalls: number): ArrivalPlan | { error: string } {
  const blocks = suites.filter((suite) => suite.load).map((suite) => suite.load!);
  const same = (a: LoadSpec, b: LoadSpec) => a.calls === b.calls && a.rate === b.rate && a.rampMs === b.rampMs && a.durationMs === b.durationMs;
  const other = blocks.find((block) => !same(block, blocks[0]!));
  const flagsDecide = flags.rate !== undefined && flags.ramp !== undefined && (flags.calls !== undefined || flags.duration !== undefined);
  if (other && !flagsDecide) {
    return {
      error: `the suites set different \`load:\` plans (${location(blocks[0]!.pos)} and ${location(other.pos)}); load them one at a time, or give --rate, --ramp and --calls or --duration on the command line`,
    };
  }
  const block = blocks[0];
  const calls = flags.calls ?? (flags.duration === undefined ? block?.calls : undefined);
  const durationMs = flags.duration ?? (flags.calls === undefined ? block?.durationMs : undefined);
  return {
    rate: flags.rate ?? block?.rate ?? 1,
    rampMs: flags.ramp ?? block?.rampMs ?? 0,
    ...(calls === undefined && durationMs === undefined ? { calls: selectedCalls } : {}),
    ...(calls !== undefined ? { calls } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

export async function loadCommand(paths: string[], flags: LoadFlags): Promise<number> {
  const checked = await readCallFlags(flags);
  if ('error' in checked) return fail(checked.error);
  const { selection, outDir, color, tls } = checked;
  const reporter = new ReporterHub(createReporters({ outDir, console: null, color }));
  const interrupt = interruptOnSignals();
  try {
    const suites = await loadSuites(paths, process.cwd());
    const base = { ...selection, suites, target: flags.target, outDir, reporter, signal: interrupt.signal, recordAudio: flags.audio, version: VERSION };
    const limits = { call: flags.maxCallDuration, idle: flags.idleTimeout };
    // Checks the selection, targets and prompts before the first call (and tells how many calls there are).
    const plan = await planRun({ ...base, workers: 1, limits, tls });
    if (plan.work.length === 0) {
      const narrowed = describeSelection(selection, false);
      return fail(narrowed ? `no call matches ${narrowed}` : 'the suites hold no calls to run');
    }
    const arrivalPlan = arrivalPlanFor(flags, [...new Set(plan.work.map((item) => item.suite))], plan.work.length);
    if ('error' in arrivalPlan) return fail(arrivalPlan.error);
    const progress = progressPrinter(process.stdout);
    const result = await runLoad({
      ...base,
      plan: arrivalPlan,
      shard: checked.shard,
      windowMs: flags.window,
      keepPassedTimelines: flags.keepTimelines,
      favourPacing: flags.priority,
      onProgress: progress.onProgress,
      progressEveryMs: progress.everyMs,
      limits,
      tls,
      warnings: checked.warnings,
      thresholds: checked.thresholds,
    }, plan);
    printOutcome(result, color, outDir);
    return result.exitCode;
  } catch (error) {
    if (error instanceof ReportError) return fail(`could not write the reports: ${error.message}`);
    if (error instanceof ArrivalError) return fail(error.message);
    const message = userError(error);
    if (message !== null) return fail(message);
    throw error;
  } finally {
    interrupt.dispose();
  }
}

export async function mergeReportsCommand(files: string[], flags: { out: string; color?: boolean }): Promise<number> {
  const reports: RunResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return fail(`cannot read ${file}: ${fileProblem(error)}; pass the report.json each shard wrote`);
    }
    let report: unknown;
    let why: string | null;
    try {
      report = JSON.parse(text);
      why = reportProblem(report);
    } catch (error) {
      why = `it is not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`;
    }
    if (why) return fail(`${file} is not a whole convotest report.json (${why}); pass the report.json each shard wrote, unedited`);
    reports.push(report as RunResult);
  }
  const out = await prepareOutDir(flags.out);
  if ('error' in out) return fail(out.error);
  const { outDir } = out;
  let merged: RunResult;
  try {
    merged = mergeReports(reports);
  } catch (error) {
    if (error instanceof MergeError) return fail(error.message);
    throw error;
  }
  const color = flags.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const reporter = new ReporterHub([new JUnitReporter(resolve(outDir, 'junit.xml')), new JsonReporter(resolve(outDir, 'report.json')), new HtmlReporter(resolve(outDir, 'report.html'))]);
  try {
    await reporter.onRunEnd(merged);
  } catch (error) {
    if (error instanceof ReportError) return fail(`could not write the reports: ${error.message}`);
    throw error;
  }
  process.stdout.write(`merged ${reports.length} report${reports.length === 1 ? '' : 's'}\n`);
  printOutcome(merged, color, outDir);
  return merged.exitCode;
}
