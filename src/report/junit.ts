/**
 * reports/junit.xml for CI: one <testsuite> per suite file, one <testcase> per call.
 *
 * The XML is written by hand rather than with junit-report-builder: that library cannot put
 * a message on <skipped> (needed to tell an interrupted call from a skipped one), has no
 * body for <failure>, and no <properties> per testcase, which is where the metrics go. The
 * format is small; escaping is the only hard part, and it is done once, below.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { CallResult, RunResult, SuiteResult, ThresholdResult } from '../engine/results.ts';
import { writeFileAtomic } from './atomic.ts';
import { describeFailure, findFailure, formatTimelineEntry, timelineAround, type CallFailure } from './console.ts';
import { summaryProperties, turnMetricProperties } from './metrics-text.ts';
import type { Reporter, RunInfo } from './reporter.ts';

const EXCERPT_ENTRIES = 10;

/**
 * Characters XML 1.0 cannot carry even as references: C0 controls other than tab/newline/CR,
 * lone surrogates (the `u` flag makes an unpaired one a single code point) and U+FFFE/FFFF.
 * Bot text is untrusted, and one such character makes the whole report unparseable.
 */
const ILLEGAL_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXmlText(value: string): string {
  // Escaping `>` too means a `]]>` in bot text can never close anything.
  return value
    .replace(ILLEGAL_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function escapeXmlAttr(value: string): string {
  // Parsers fold raw tabs and newlines in attributes into spaces; references keep them.
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function secondsAttr(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** CI tools show and link the file path; a repo-relative one with forward slashes reads and links best. */
function displayPath(file: string): string {
  const rel = isAbsolute(file) ? relative(process.cwd(), file) : file;
  return rel.split(sep).join('/');
}

function callProperties(call: CallResult): [string, number][] {
  const props: [string, number][] = [];
  const m = call.metrics;
  if (m.timeToFirstSpeech !== undefined) props.push(['timeToFirstSpeech', m.timeToFirstSpeech]);
  for (const turn of call.turns) {
    const t = turn.metrics;
    if (t.responseLatency !== undefined) props.push([`responseLatency.turn${turn.index}`, t.responseLatency]);
    if (t.firstMediaLatency !== undefined) props.push([`firstMediaLatency.turn${turn.index}`, t.firstMediaLatency]);
    if (t.botSpeechMs !== undefined) props.push([`botSpeechMs.turn${turn.index}`, t.botSpeechMs]);
    props.push(...turnMetricProperties(turn.index, t));
  }
  m.markEchoDelay.forEach((delay, i) => props.push([`markEchoDelay.${i + 1}`, delay]));
  props.push(['botSpeechMs', m.botSpeechMs]);
  props.push(['violations', m.violations]);
  if (m.warnings) props.push(['warnings', m.warnings]);
  if (m.underruns?.length) props.push(['underruns', m.underruns.length], ['underrunMs', m.underruns.reduce((a, b) => a + b, 0)]);
  // Sub-millisecond digits are clock noise in a CI table; report.json keeps the exact values.
  return props.map(([name, value]) => [name, Math.round(value)]);
}

/** Retries and repeats: how many attempts, how many passed, and whether the call was flaky. */
function attemptProperties(call: CallResult): [string, string | number][] {
  const props: [string, string | number][] = [];
  const stats = call.attemptStats;
  if (call.tags && call.tags.length > 0) props.push(['tags', call.tags.join(',')]);
  if (!stats) return props;
  props.push(['attempts', stats.attempts], ['passedAttempts', stats.passed], ['passRate', Math.round(stats.passRate * 1000) / 1000]);
  if (stats.minPassRate !== undefined) props.push(['minPassRate', stats.minPassRate]);
  if (call.status === 'flaky') props.push(['flaky', 'true']);
  const latency = stats.responseLatency;
  for (const key of ['p50', 'p95', 'p99', 'max'] as const) {
    if (latency[key] !== undefined) props.push([`responseLatency.${key}`, Math.round(latency[key]!)]);
  }
  return props;
}

/**
 * The attempts that failed besides the one reported, as Maven Surefire writes reruns: a
 * flaky call gets <flakyFailure>/<flakyError> per failed attempt, a failed call
 * <rerunFailure>/<rerunError> for its other failures. CI tools that know the format show
 * them; the rest ignore them.
 */
function otherAttemptElements(call: CallResult, reportDir: string): string {
  if (!call.attempts || call.attempts.length < 2) return '';
  const failed = call.attempts.filter((a) => a.status === 'failed' || a.status === 'errored');
  // The attempt whose details the testcase already carries (its <failure>).
  const reported = call.status === 'failed' || call.status === 'errored' ? failed.find((a) => a.startedAt === call.startedAt && a.durationMs === call.durationMs) : undefined;
  const prefix = call.status === 'flaky' ? 'flaky' : 'rerun';
  let xml = '';
  for (const attempt of failed) {
    if (attempt === reported || (call.status !== 'flaky' && call.status !== 'failed' && call.status !== 'errored')) continue;
    const tag = `${prefix}${attempt.status === 'errored' ? 'Error' : 'Failure'}`;
    const message = `attempt ${attempt.attempt}: ${attempt.reason ?? attempt.status}`;
    let body = `        <stackTrace>${escapeXmlText(message)}</stackTrace>\n`;
    if (attempt.audio) body += `        <system-out>${escapeXmlText(`[[ATTACHMENT|${resolve(reportDir, attempt.audio)}]]`)}</system-out>\n`;
    xml += `      <${tag}${attrs({ message, type: attempt.status === 'errored' ? 'error' : 'expectation' })}>\n${body}      </${tag}>\n`;
  }
  return xml;
}

function excerpt(call: CallResult, failure: CallFailure): string[] {
  if (call.timeline.length === 0) return [];
  const { entries, skippedBefore, skippedAfter } = timelineAround(call, failure, EXCERPT_ENTRIES);
  const lines = ['', 'Timeline around the failure:'];
  if (skippedBefore > 0) lines.push(`     … ${skippedBefore} earlier`);
  lines.push(...entries.map(formatTimelineEntry));
  if (skippedAfter > 0) lines.push(`     … ${skippedAfter} later`);
  return lines;
}

/** One line for the `message` attribute: what failed, expected vs actual, and where. */
function failureMessage(call: CallResult, failure: CallFailure): string {
  const { turn, expectation } = failure;
  if (turn && expectation) {
    let text = `turn ${turn.index}: ${expectation.description}`;
    if (expectation.expected !== undefined || expectation.actual !== undefined) {
      text += ` — expected ${expectation.expected ?? '?'}, got ${expectation.actual ?? '?'}`;
    } else if (expectation.message) {
      text += ` — ${expectation.message}`;
    }
    return `${text} (${expectation.location})`;
  }
  return call.reason ?? `${call.status} (${turn?.location ?? call.location})`;
}

/**
 * A call that a limit or a broken connection ended (the engine notes it as a `limit` entry and
 * makes it the reason): that is the cause to headline, not the expectation left unmet by it.
 */
function endedByLimit(call: CallResult): boolean {
  return call.reason !== undefined && call.timeline.some((entry) => entry.kind === 'limit' && entry.summary === call.reason);
}

function failureElement(call: CallResult): string {
  const failure = findFailure(call);
  const body = [...describeFailure(call), ...excerpt(call, failure)].join('\n');
  const tag = call.status === 'errored' ? 'error' : 'failure';
  const type = call.status === 'errored' ? 'error' : 'expectation';
  const message = call.status === 'errored' || endedByLimit(call) ? (call.reason ?? failureMessage(call, failure)) : failureMessage(call, failure);
  return `      <${tag}${attrs({ message, type })}>${escapeXmlText(body)}</${tag}>\n`;
}

function skippedElement(call: CallResult): string {
  const message =
    call.status === 'interrupted'
      ? `interrupted: the run was stopped before this call finished${call.reason ? ` (${call.reason})` : ''}`
      : (call.reason ?? 'skipped');
  return `      <skipped${attrs({ message })}/>\n`;
}

function systemOut(call: CallResult, reportDir: string): string {
  const lines = call.timeline.map(formatTimelineEntry);
  // Jenkins (junit-attachments) and GitLab pick these lines up and link the files next to the test.
  const files = [call.audio.call, ...call.audio.replies].filter((p): p is string => !!p);
  for (const file of files) lines.push(`[[ATTACHMENT|${resolve(reportDir, file)}]]`);
  if (lines.length === 0) return '';
  return `      <system-out>${escapeXmlText(lines.join('\n'))}\n</system-out>\n`;
}

function testcase(suite: SuiteResult, call: CallResult, reportDir: string): string {
  let xml = `    <testcase${attrs({
    name: call.name,
    classname: suite.name,
    file: displayPath(suite.file),
    time: secondsAttr(call.durationMs),
  })}>\n`;
  const props: [string, string | number][] = [...callProperties(call), ...attemptProperties(call)];
  if (props.length > 0) {
    xml += '      <properties>\n';
    for (const [name, value] of props) xml += `        <property${attrs({ name, value })}/>\n`;
    xml += '      </properties>\n';
  }
  if (call.status === 'failed' || call.status === 'errored') xml += failureElement(call);
  if (call.status === 'skipped' || call.status === 'interrupted') xml += skippedElement(call);
  xml += otherAttemptElements(call, reportDir);
  xml += systemOut(call, reportDir);
  return `${xml}    </testcase>\n`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(calls: CallResult[]): Counts {
  return {
    tests: calls.length,
    failures: calls.filter((c) => c.status === 'failed').length,
    errors: calls.filter((c) => c.status === 'errored').length,
    // JUnit has no "interrupted"; not-run-to-the-end is closest to skipped, and the message says which.
    skipped: calls.filter((c) => c.status === 'skipped' || c.status === 'interrupted').length,
  };
}

function testsuite(suite: SuiteResult, reportDir: string, fallbackTimestamp: string, warnings: string[] = []): string {
  const time = suite.calls.reduce((sum, c) => sum + c.durationMs, 0);
  let xml = `  <testsuite${attrs({
    name: suite.name,
    file: suite.file ? displayPath(suite.file) : undefined,
    ...count(suite.calls),
    time: secondsAttr(time),
    timestamp: suite.calls[0]?.startedAt ?? fallbackTimestamp,
  })}>\n`;
  xml += '    <properties>\n';
  xml += `      <property${attrs({ name: 'protocol', value: suite.protocol })}/>\n`;
  xml += `      <property${attrs({ name: 'target', value: suite.target })}/>\n`;
  // JUnit has no run-level properties; each suite repeats what a reader of any of them must know.
  for (const warning of warnings) xml += `      <property${attrs({ name: 'warning', value: warning })}/>\n`;
  for (const [name, value] of summaryProperties(suite.metrics)) xml += `      <property${attrs({ name, value })}/>\n`;
  xml += '    </properties>\n';
  for (const call of suite.calls) xml += testcase(suite, call, reportDir);
  return `${xml}  </testsuite>\n`;
}

/** A "thresholds" testsuite: one testcase per threshold, failed when breached, with the value and limit. */
function thresholdSuite(thresholds: readonly ThresholdResult[], timestamp: string): string {
  const failures = thresholds.filter((t) => !t.passed).length;
  let xml = `  <testsuite${attrs({ name: 'thresholds', tests: thresholds.length, failures, errors: 0, skipped: 0, time: '0.000', timestamp })}>\n`;
  for (const t of thresholds) {
    const name = `${t.metric}: ${t.expression}${t.scope === 'suite' ? ` (${t.suite})` : ''}`;
    xml += `    <testcase${attrs({ name, classname: 'thresholds', file: t.location === '--threshold' ? undefined : displayPath(t.location.replace(/:\d+:\d+$/, '')), time: '0.000' })}>\n`;
    xml += '      <properties>\n';
    if (t.value !== null) xml += `        <property${attrs({ name: 'value', value: t.value })}/>\n`;
    xml += `        <property${attrs({ name: 'limit', value: t.limit })}/>\n`;
    xml += `        <property${attrs({ name: 'samples', value: t.samples })}/>\n`;
    xml += '      </properties>\n';
    if (!t.passed) xml += `      <failure${attrs({ message: t.message, type: 'threshold' })}>${escapeXmlText(`${t.message}\nat ${t.location}`)}</failure>\n`;
    xml += '    </testcase>\n';
  }
  return `${xml}  </testsuite>\n`;
}

/**
 * The JUnit document for a run. Attachment paths in the result are relative to the report
 * folder; they are written absolute so Jenkins and GitLab find them whatever their cwd.
 */
export function renderJUnit(result: RunResult, reportDir: string): string {
  const all = result.suites.flatMap((s) => s.calls);
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  const totals = count(all);
  const thresholds = result.thresholds ?? [];
  totals.tests += thresholds.length;
  totals.failures += thresholds.filter((t) => !t.passed).length;
  xml += `<testsuites${attrs({ name: 'convotest', ...totals, time: secondsAttr(result.durationMs), timestamp: result.startedAt })}>\n`;
  for (const suite of result.suites) xml += testsuite(suite, reportDir, result.startedAt, result.warnings);
  if (thresholds.length > 0) xml += thresholdSuite(thresholds, result.startedAt);
  return `${xml}</testsuites>\n`;
}

/** Writes the run as JUnit XML; the report folder (for attachment paths) defaults to the XML's folder. */
export async function writeJUnit(result: RunResult, path: string, reportDir: string = dirname(resolve(path))): Promise<void> {
  await writeFileAtomic(path, renderJUnit(result, reportDir));
}

export class JUnitReporter implements Reporter {
  private reportDir: string | undefined;

  constructor(private readonly path: string) {}

  onRunStart(info: RunInfo): void {
    this.reportDir = info.outDir;
  }

  async onRunEnd(result: RunResult): Promise<void> {
    await writeJUnit(result, this.path, this.reportDir);
  }
}
