/**
 * The console reporter: one line per call as calls finish, details only for the calls that
 * need attention, and a summary a person can read at a glance. Also holds the small text
 * helpers (timeline lines, where a call failed) that the JUnit and HTML reporters reuse, so
 * every output describes a failure and a timeline the same way.
 */
import { join, relative } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { formatMs } from '../clock/duration.ts';
import type {
  AttemptResult,
  CallResult,
  CallStatus,
  ExpectationResult,
  Percentiles,
  RunResult,
  SuiteResult,
  TimelineEntry,
  TurnResult,
} from '../engine/results.ts';
import { callMetricParts, formatMetricsTable, formatThresholdLine, formatThresholdSummary } from './metrics-text.ts';
import type { Reporter, RunInfo } from './reporter.ts';

export interface ConsoleReporterOptions {
  color: boolean;
  /** Also print the timeline entries around each failure. */
  verbose?: boolean;
  /**
   * Report paths to list at the end (absolute or cwd-relative); a trailing `/` marks the
   * audio folder, listed only when the run saved audio. Defaults to junit.xml, report.json
   * and audio/ in the run's outDir; pass it when other reporters are configured.
   */
  reports?: string[];
}

const VERBOSE_TIMELINE_ENTRIES = 5;

/** Colour only for a terminal, and never when the user opted out (https://no-color.org). */
export function shouldColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return (stream as { isTTY?: boolean }).isTTY === true && env.TERM !== 'dumb';
}

function palette(color: boolean): ChalkInstance {
  // Every colour used here is in the basic 16, so level 1 is enough and works in CI logs.
  return new Chalk({ level: color ? 1 : 0 });
}

/**
 * Bot text ends up in these lines; an escape sequence in it must not drive the terminal,
 * and a newline must not break the one-line-per-call layout.
 */
export function oneLine(text: string): string {
  return text.replace(/\r\n|[\r\n]/g, ' ⏎ ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

const MARKS: Record<CallStatus, { mark: string; paint: (c: ChalkInstance, s: string) => string }> = {
  passed: { mark: '✓', paint: (c, s) => c.green(s) },
  flaky: { mark: '⚠', paint: (c, s) => c.yellow(s) },
  failed: { mark: '✗', paint: (c, s) => c.red(s) },
  errored: { mark: '!', paint: (c, s) => c.red(s) },
  skipped: { mark: '–', paint: (c, s) => c.yellow(s) },
  interrupted: { mark: '◌', paint: (c, s) => c.yellow(s) },
};

/** `  ✓ Pizza line › greets (2.31s) · latency 640ms, 812ms` */
export function formatCallLine(call: CallResult, color: boolean): string {
  const c = palette(color);
  const { mark, paint } = MARKS[call.status];
  const title = `${oneLine(call.suite)} › ${oneLine(call.name)}`;
  const parts = [`  ${paint(c, mark)} ${call.status === 'passed' ? title : paint(c, title)}`];
  if (call.status === 'skipped' || call.status === 'interrupted' || call.status === 'flaky') parts.push(c.yellow(call.status));
  if (call.status === 'skipped' && call.reason?.startsWith('skipped: ')) parts.push(c.dim(`— ${oneLine(call.reason.slice(9))}`));
  if (call.status !== 'skipped') parts.push(c.dim(`(${formatMs(call.durationMs)})`));
  const stats = call.attemptStats;
  if (stats) {
    // Over many attempts the per-reply list would be the deciding attempt's only; the distribution says more.
    const rate = `${Math.round(stats.passRate * 1000) / 10}%`;
    parts.push(c.dim(`· ${stats.passed}/${stats.attempts} attempts passed (${rate})`));
    if (stats.responseLatency.count > 0) parts.push(c.dim(`· ${formatLatencyLine(stats.responseLatency).replace(/^response /, '')}`));
    return parts.join(' ');
  }
  const latencies = call.metrics.responseLatency;
  if (latencies.length > 0) parts.push(c.dim(`· latency ${latencies.map(formatMs).join(', ')}`));
  for (const part of callMetricParts(call.metrics)) parts.push(c.dim(`· ${part}`));
  return parts.join(' ');
}

export interface CallFailure {
  turn?: TurnResult;
  expectation?: ExpectationResult;
}

/** The first thing that went wrong in a call: the first failed expectation, else the first failed turn. */
export function findFailure(call: CallResult): CallFailure {
  for (const turn of call.turns) {
    const expectation = turn.expectations.find((e) => e.status === 'failed');
    if (expectation) return { turn, expectation };
  }
  const turn = call.turns.find((t) => t.status === 'failed');
  return turn ? { turn } : {};
}

/**
 * The timeline entries worth reading next to a failure. A late match is centred on the match;
 * a missing one starts just before the turn's anchor, because the window that stayed empty
 * runs from there. Without a failed turn (a crash), the last entries tell what happened.
 */
export function timelineAround(call: CallResult, failure: CallFailure, size: number): {
  entries: TimelineEntry[];
  skippedBefore: number;
  skippedAfter: number;
} {
  const timeline = call.timeline;
  const focus = failure.expectation?.matchedAt ?? failure.turn?.anchorAt;
  let start: number;
  if (focus === undefined) {
    start = Math.max(0, timeline.length - size);
  } else {
    let at = timeline.findIndex((e) => e.t >= focus);
    if (at === -1) at = timeline.length;
    start = Math.max(0, Math.min(at - Math.floor(size * 0.3), timeline.length - size));
  }
  const entries = timeline.slice(start, start + size);
  return { entries, skippedBefore: start, skippedAfter: timeline.length - start - entries.length };
}

/** Arrows point from the bot's side (←) or to it (→); `·` is something convotest observed. */
export const TIMELINE_ARROWS: Record<TimelineEntry['dir'], string> = { in: '←', out: '→', local: '·' };

/** A time on a call's timeline: seconds to the millisecond, so a column of them lines up. */
export function timelineTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** What a collapsed run of entries adds: `×12 until 3.400s`; empty for a single entry. */
export function timelineExtras(entry: TimelineEntry): string {
  const extra: string[] = [];
  if (entry.count !== undefined) extra.push(`×${entry.count}`);
  if (entry.until !== undefined) extra.push(`until ${timelineTime(entry.until)}`);
  return extra.join(' ');
}

/** `  1.234s ← mark "greeting" echoed`, with `(×12 until 3.400s)` for a collapsed run. */
export function formatTimelineEntry(entry: TimelineEntry): string {
  const extra = timelineExtras(entry);
  return `${timelineTime(entry.t).padStart(8)} ${TIMELINE_ARROWS[entry.dir]} ${oneLine(entry.summary)}${extra ? ` (${extra})` : ''}`;
}

/**
 * Why a call failed, in at most six lines (one of each kind below, each flattened to one
 * line): reason, which turn and expectation, expected, actual, message, where.
 */
export function describeFailure(call: CallResult): string[] {
  const lines: string[] = [];
  const { turn, expectation } = findFailure(call);
  if (call.reason) lines.push(call.reason);
  if (turn && expectation) {
    if (!call.reason) lines.push(`turn ${turn.index} (${turn.action}): ${expectation.description}`);
    if (expectation.expected !== undefined) lines.push(`expected: ${expectation.expected}`);
    if (expectation.actual !== undefined) lines.push(`actual:   ${expectation.actual}`);
    if (expectation.message && expectation.message !== call.reason) lines.push(expectation.message);
    lines.push(`at ${expectation.location}`);
  } else if (turn) {
    lines.push(`turn ${turn.index} (${turn.action}) at ${turn.location}`);
  } else {
    lines.push(`at ${call.location}`);
  }
  return lines.map(oneLine);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `3 passed, 1 failed (4 calls) in 12.30s` */
export function formatSummaryLine(result: RunResult, color: boolean): string {
  const c = palette(color);
  const s = result.summary;
  const counts = [c.green(`${s.passed} passed`)];
  if (s.failed) counts.push(c.red(`${s.failed} failed`));
  if (s.errored) counts.push(c.red(`${s.errored} errored`));
  if (s.interrupted) counts.push(c.yellow(`${s.interrupted} interrupted`));
  if (s.flaky) counts.push(c.yellow(`${s.flaky} flaky`));
  if (s.skipped) counts.push(c.yellow(`${s.skipped} skipped`));
  return `${counts.join(', ')} (${plural(s.total, 'call')}) in ${formatMs(result.durationMs)}`;
}

/** `response latency p50 640ms · p95 900ms · max 1.10s (n=7)` */
export function formatLatencyLine(latency: Percentiles): string {
  if (latency.count === 0) return 'response latency: no samples';
  const parts: string[] = [];
  if (latency.p50 !== undefined) parts.push(`p50 ${formatMs(latency.p50)}`);
  if (latency.p95 !== undefined) parts.push(`p95 ${formatMs(latency.p95)}`);
  if (latency.max !== undefined) parts.push(`max ${formatMs(latency.max)}`);
  return `response latency ${parts.join(' · ')} (n=${latency.count})`;
}

export class ConsoleReporter implements Reporter {
  private readonly c: ChalkInstance;
  private outDir: string | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly options: ConsoleReporterOptions,
  ) {
    this.c = palette(options.color);
  }

  onRunStart(info: RunInfo): void {
    this.outDir = info.outDir;
    this.print(this.c.dim(`Running ${plural(info.totalCalls, 'call')} from ${plural(info.suites.length, 'suite file')}`));
  }

  onAttemptEnd(_suite: SuiteResult, attempt: AttemptResult, info: { call: string; retrying: boolean }): void {
    if (!info.retrying) return;
    const title = `${oneLine(_suite.name)} › ${oneLine(info.call)}`;
    this.print(this.c.yellow(`  ↻ ${title}: attempt ${attempt.attempt} ${attempt.status}, retrying`) + this.c.dim(` — ${oneLine(attempt.reason ?? '')}`));
  }

  onCallEnd(_suite: SuiteResult, call: CallResult): void {
    const lines = [formatCallLine(call, this.options.color)];
    if (call.status === 'flaky' && call.reason) lines.push(this.c.yellow(`      ${oneLine(call.reason)}`));
    if (call.status === 'failed' || call.status === 'errored') {
      const failure = findFailure(call);
      lines.push(...describeFailure(call).map((l) => `      ${l}`));
      if (this.options.verbose && call.timeline.length > 0) {
        const excerpt = timelineAround(call, failure, VERBOSE_TIMELINE_ENTRIES);
        lines.push(...excerpt.entries.map((e) => this.c.dim(`    ${formatTimelineEntry(e)}`)));
      }
    }
    this.print(lines.join('\n'));
  }

  onRunEnd(result: RunResult): void {
    const lines = ['', formatSummaryLine(result, this.options.color), formatLatencyLine(result.summary.responseLatency)];
    lines.push(...formatMetricsTable(result.summary.metrics).map((line) => this.c.dim(line)));
    if (result.thresholds?.length) {
      const breached = result.thresholds.some((t) => !t.passed);
      lines.push(breached ? this.c.red(formatThresholdSummary(result.thresholds)) : formatThresholdSummary(result.thresholds));
      for (const t of result.thresholds) lines.push(`  ${t.passed ? this.c.green(formatThresholdLine(t)) : this.c.red(formatThresholdLine(t))}`);
    }
    if (result.interrupted) lines.push(this.c.yellow('Interrupted: the reports hold the calls that finished.'));
    for (const warning of result.warnings ?? []) lines.push(this.c.yellow(`Warning: ${oneLine(warning)}`));
    const reports = this.reportPaths(result);
    if (reports.length > 0) lines.push(this.c.dim(`reports: ${reports.join(', ')}`));
    this.print(lines.join('\n'));
  }

  private reportPaths(result: RunResult): string[] {
    const hasAudio = result.suites.some((s) => s.calls.some((c) => c.audio.call || c.audio.replies.length > 0));
    let paths = this.options.reports;
    if (!paths) {
      if (!this.outDir) return [];
      paths = [join(this.outDir, 'junit.xml'), join(this.outDir, 'report.json'), `${join(this.outDir, 'audio')}/`];
    }
    return paths
      .filter((p) => hasAudio || !p.endsWith('/'))
      .map((p) => {
        const rel = relative(process.cwd(), p) || '.';
        // relative() drops the trailing slash that tells a folder from a file.
        return p.endsWith('/') && !rel.endsWith('/') ? `${rel}/` : rel;
      });
  }

  private print(text: string): void {
    this.out.write(`${text}\n`);
  }
}
