/** The benchmark's printed table (also pasted into the README). */
import type { LevelFigures, Spread } from './measure.ts';
import type { StartupFigures } from './startup.ts';

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const spread = (s: Spread) => `${fixed(s.p50)}/${fixed(s.p99)}/${fixed(s.max)}`;

const COLUMNS: [string, number][] = [
  ['calls', 5],
  ['design', 9],
  ['send p50/p99/max', 18],
  ['arrive p50/p99/max', 20],
  ['drift max', 9],
  ['lat err p50/p99', 15],
  ['ear err p99', 11],
  ['CPU ms/call-s', 13],
  ['bot CPU', 7],
  ['RSS MB/call', 11],
  ['queued B', 8],
  ['stalls', 6],
  ['failed', 6],
];

const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(COLUMNS[i]![1])).join(' | ')} |`;

export const HEADER = [line(COLUMNS.map(([name]) => name)), line(COLUMNS.map(([, width]) => '-'.repeat(width)))].join('\n');

export function formatRow(row: LevelFigures): string {
  return line([
    String(row.calls),
    row.design,
    spread(row.send),
    spread(row.arrival),
    `${fixed(row.driftPct.max, 3)}%`,
    `${fixed(row.latencyError.p50)}/${fixed(row.latencyError.p99)}`,
    row.earError ? fixed(row.earError.p99) : 'n/a',
    fixed(row.cpuMsPerCallSecond, 2),
    fixed(row.botCpuMsPerCallSecond, 2),
    fixed(row.rssMbPerCall, 2),
    String(row.maxQueuedBytes),
    row.pacer ? String(row.pacer.stalls) : 'n/a',
    String(row.failed),
  ]);
}

/** One line per level where both designs ran: convotest's figure divided by the baseline's. */
export function formatRatios(rows: LevelFigures[]): string[] {
  const lines: string[] = [];
  const ratio = (ours: number, theirs: number) => (theirs > 0 && Number.isFinite(ours) ? `×${(ours / theirs).toFixed(2)}` : '—');
  for (const ours of rows.filter((row) => row.design === 'convotest')) {
    const theirs = rows.find((row) => row.design === 'baseline' && row.calls === ours.calls);
    if (!theirs) continue;
    lines.push(
      `  ${String(ours.calls).padStart(4)} calls: send p99 ${ratio(ours.send.p99, theirs.send.p99)}, arrival p99 ${ratio(ours.arrival.p99, theirs.arrival.p99)}, ` +
        `drift ${ratio(ours.driftPct.max, theirs.driftPct.max)}, latency error p99 ${ratio(ours.latencyError.p99, theirs.latencyError.p99)}, ` +
        `CPU ${ratio(ours.cpuMsPerCallSecond, theirs.cpuMsPerCallSecond)}, RSS ${ratio(ours.rssMbPerCall, theirs.rssMbPerCall)}`,
    );
  }
  return lines;
}

export function formatStartup(startup: StartupFigures): string {
  return (
    `startup (median of ${startup.runs}, ms from spawn): first media frame at the bot ${fixed(startup.firstFrameMs, 0)} ` +
    `(connected ${fixed(startup.connectMs, 0)}; runs ${startup.firstFrameAll.join(', ')}) · ` +
    `floors: node ${fixed(startup.nodeExitMs, 0)}, node+tsx ${fixed(startup.tsxExitMs, 0)}, convotest --version ${fixed(startup.cliVersionExitMs, 0)}, the same bundled by esbuild ${fixed(startup.bundledVersionExitMs, 0)}`
  );
}
