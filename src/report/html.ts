/**
 * reports/report.html: one self-contained page for people — the run's summary, then every
 * call with its turns, expectations, metrics, timeline and players for its audio. No script
 * and no outside resource: it opens from a CI artifact as well as from disk.
 *
 * Everything in it that a bot could have influenced (names, text, marks, raw messages) is
 * untrusted, so every value goes through escapeHtml; the Content-Security-Policy forbids
 * scripts as well, so a slip in escaping still cannot run anything.
 */
import { formatMs } from '../clock/duration.ts';
import type { CallResult, RunResult, SuiteResult, TimelineEntry, TurnResult } from '../engine/results.ts';
import { writeFileAtomic } from './atomic.ts';
import { describeFailure, formatLatencyLine, formatSummaryLine, TIMELINE_ARROWS, timelineExtras, timelineTime } from './console.ts';
import type { Reporter } from './reporter.ts';
import { formatLoadLine, loadWindowTable } from './load-text.ts';

/** A call with a flood of messages would make a page nobody can open; report.json keeps them all. */
const MAX_TIMELINE_ROWS = 1500;
const MAX_DATA_CHARS = 400;

/**
 * C0/C1 controls (other than tab, newline, CR), lone surrogates and non-characters: HTML
 * calls them parse errors, and bot text can carry them.
 */
const UNSAFE_CHARS = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(UNSAFE_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A report-relative path as a URL: each segment encoded, so `#`, `?` or `"` in a name stay part of it. */
function fileUrl(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1.5rem;color:#1d232a;background:#fff}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #d8dee4;padding-bottom:.3rem}
h3{font-size:.95rem;margin:1rem 0 .3rem}
.muted{color:#5b6570}.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.warning{background:#fff4d6;border:1px solid #e7c25a;border-radius:6px;padding:.5rem .8rem;margin:.6rem 0}
.badge{display:inline-block;min-width:5.5rem;text-align:center;border-radius:4px;padding:0 .4rem;font-size:12px;font-weight:600;color:#fff}
.passed{background:#1a7f37}.failed,.errored{background:#cf222e}.interrupted,.skipped,.flaky{background:#9a6700}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #eaeef2}
th{font-weight:600;background:#f6f8fa}
details.call{border:1px solid #d8dee4;border-radius:6px;margin:.5rem 0;padding:.3rem .8rem}
details.call>summary{cursor:pointer;font-weight:600}
.reason{white-space:pre-wrap;background:#ffebe9;border-radius:6px;padding:.5rem .8rem}
.expect-failed{color:#cf222e}.expect-passed{color:#1a7f37}.expect-skipped{color:#5b6570}
audio{height:2rem;vertical-align:middle}
td.data{max-width:28rem;overflow-wrap:anywhere}
`;

function badge(status: string): string {
  return `<span class="badge ${escapeHtml(status)}">${escapeHtml(status)}</span>`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '' : escapeHtml(formatMs(value));
}

function metricValue(value: unknown): string {
  if (typeof value === 'number') return escapeHtml(Number.isInteger(value) ? String(value) : value.toFixed(1));
  if (Array.isArray(value)) return value.length === 0 ? '<span class="muted">none</span>' : value.map(metricValue).join(', ');
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${escapeHtml(k)} ${metricValue(v)}`)
      .join(', ');
  }
  return escapeHtml(value ?? '');
}

/** Every metric the result carries, whatever its name: the page follows the results as they grow. */
function metricsTable(metrics: object): string {
  const rows = Object.entries(metrics)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td class="mono">${metricValue(value)}</td></tr>`);
  return rows.length === 0 ? '' : `<table class="metrics">${rows.join('')}</table>`;
}

function expectationsCell(turn: TurnResult): string {
  if (turn.expectations.length === 0) return '<span class="muted">none</span>';
  return turn.expectations
    .map((e) => {
      const parts = [`<span class="expect-${escapeHtml(e.status)}">${escapeHtml(e.status)}</span> ${escapeHtml(e.description)}`];
      if (e.latency !== undefined) parts.push(`<span class="muted">after ${ms(e.latency)}</span>`);
      if (e.expected !== undefined) parts.push(`<br>expected: ${escapeHtml(e.expected)}`);
      if (e.actual !== undefined) parts.push(`<br>actual: ${escapeHtml(e.actual)}`);
      if (e.message && e.status === 'failed') parts.push(`<br><span class="muted">${escapeHtml(e.message)}</span>`);
      parts.push(`<br><span class="muted mono">${escapeHtml(e.location)}</span>`);
      return `<div>${parts.join(' ')}</div>`;
    })
    .join('');
}

function turnsTable(call: CallResult): string {
  if (call.turns.length === 0) return '';
  const rows = call.turns.map(
    (turn) =>
      `<tr><td>${escapeHtml(turn.index)}</td><td>${escapeHtml(turn.action)}<br><span class="muted mono">${escapeHtml(turn.location)}</span></td>` +
      `<td>${badge(turn.status)}</td><td>${expectationsCell(turn)}</td><td>${metricsTable(turn.metrics)}</td></tr>`,
  );
  return `<h3>Turns</h3><table><tr><th>#</th><th>action</th><th>status</th><th>expectations</th><th>metrics</th></tr>${rows.join('')}</table>`;
}

function audioSection(call: CallResult): string {
  const players: string[] = [];
  if (call.audio.call) {
    players.push(`<tr><th>call (caller left, bot right)</th><td><audio controls preload="none" src="${escapeHtml(fileUrl(call.audio.call))}"></audio></td></tr>`);
  }
  call.botSpeech.forEach((speech, i) => {
    if (!speech.audio) return;
    players.push(
      `<tr><th>bot reply ${i + 1} <span class="muted">${ms(speech.start)}–${ms(speech.end)}</span></th>` +
        `<td><audio controls preload="none" src="${escapeHtml(fileUrl(speech.audio))}"></audio></td></tr>`,
    );
  });
  return players.length === 0 ? '' : `<h3>Audio</h3><table>${players.join('')}</table>`;
}

function dataCell(entry: TimelineEntry): string {
  if (entry.data === undefined || entry.kind === 'media') return '';
  let text: string;
  try {
    text = typeof entry.data === 'string' ? entry.data : JSON.stringify(entry.data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    text = String(entry.data);
  }
  if (text.length > MAX_DATA_CHARS) text = `${text.slice(0, MAX_DATA_CHARS)}… (${text.length} characters)`;
  return escapeHtml(text);
}

function timelineTable(call: CallResult): string {
  if (call.timeline.length === 0) return '';
  const shown = call.timeline.slice(0, MAX_TIMELINE_ROWS);
  const rows = shown.map((entry) => {
    const extra = timelineExtras(entry);
    return (
      `<tr><td class="mono">${escapeHtml(timelineTime(entry.t))}</td><td>${TIMELINE_ARROWS[entry.dir] ?? ''}</td><td class="mono">${escapeHtml(entry.kind)}</td>` +
      `<td>${escapeHtml(entry.summary)}${extra ? ` <span class="muted">(${escapeHtml(extra)})</span>` : ''}</td><td class="data mono">${dataCell(entry)}</td></tr>`
    );
  });
  const more = call.timeline.length - shown.length;
  const note = more > 0 ? `<p class="muted">… ${more} more entries in report.json</p>` : '';
  return (
    `<details><summary>Timeline (${call.timeline.length} entries; ← from the bot, → to the bot)</summary>` +
    `<table><tr><th>t</th><th></th><th>kind</th><th>what</th><th>message</th></tr>${rows.join('')}</table>${note}</details>`
  );
}

function callSection(call: CallResult, id: string): string {
  const failed = call.status === 'failed' || call.status === 'errored';
  const reason = failed ? `<div class="reason">${escapeHtml(describeFailure(call).join('\n'))}</div>` : call.reason ? `<p class="muted">${escapeHtml(call.reason)}</p>` : '';
  return (
    `<details class="call" id="${id}"${failed ? ' open' : ''}><summary>${badge(call.status)} ${escapeHtml(call.name)} ` +
    `<span class="muted">(${ms(call.durationMs)})</span></summary>` +
    `<p class="muted mono">${escapeHtml(call.location)} · started ${escapeHtml(call.startedAt)}</p>${reason}` +
    `${turnsTable(call)}<h3>Metrics</h3>${metricsTable(call.metrics)}${audioSection(call)}${timelineTable(call)}</details>`
  );
}

function suiteSection(suite: SuiteResult, index: number): string {
  const rows = suite.calls.map(
    (call, i) =>
      `<tr><td>${badge(call.status)}</td><td><a href="#call-${index}-${i}">${escapeHtml(call.name)}</a></td><td>${ms(call.durationMs)}</td>` +
      `<td class="mono">${(call.metrics.responseLatency ?? []).map((v) => ms(v)).join(', ')}</td></tr>`,
  );
  return (
    `<h2>${escapeHtml(suite.name)}</h2><p class="muted mono">${escapeHtml(suite.file)} · ${escapeHtml(suite.protocol)} · ${escapeHtml(suite.target)}</p>` +
    `<table><tr><th>status</th><th>call</th><th>duration</th><th>response latency</th></tr>${rows.join('')}</table>` +
    suite.calls.map((call, i) => callSection(call, `call-${index}-${i}`)).join('')
  );
}

/** For `convotest load`: the plan and the percentiles over time, as a table. */
function loadSection(result: RunResult): string {
  const load = result.load;
  if (!load) return '';
  const table = loadWindowTable(load);
  const head = table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td class="mono">${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<h2>Load</h2>\n<p>${escapeHtml(formatLoadLine(load))}</p>\n<table><tr>${head}</tr>${rows.join('')}</table>`;
}

export function renderHtml(result: RunResult): string {
  const summary = formatSummaryLine(result, false);
  const warnings = (result.warnings ?? []).map((w) => `<div class="warning">⚠ ${escapeHtml(w)}</div>`);
  if (result.interrupted) warnings.push('<div class="warning">Interrupted: the report holds the calls that finished; the others are marked interrupted or skipped.</div>');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; media-src 'self' file: http: https:">
<title>${escapeHtml(`convotest: ${summary}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>convotest report</h1>
<p><strong>${escapeHtml(summary)}</strong> · exit code ${escapeHtml(result.exitCode)}</p>
<p class="muted">${escapeHtml(formatLatencyLine(result.summary.responseLatency))} · started ${escapeHtml(result.startedAt)} · convotest ${escapeHtml(result.tool.version)}</p>
${warnings.join('\n')}
${loadSection(result)}
${result.suites.map(suiteSection).join('\n')}
</body>
</html>
`;
}

export async function writeHtml(result: RunResult, path: string): Promise<void> {
  await writeFileAtomic(path, renderHtml(result));
}

/** Audio paths in results are relative to the report folder, which is where the page is written. */
export class HtmlReporter implements Reporter {
  constructor(private readonly path: string) {}

  async onRunEnd(result: RunResult): Promise<void> {
    await writeHtml(result, this.path);
  }
}
