/**
 * `npm run bench`: convotest's precision and cost at increasing concurrency, against the
 * obvious design, with the bot in a separate process. For each level it runs convotest (the
 * real engine) and the baseline in fresh processes against a fresh bench bot, prints a row
 * each and the ratios, stops a design early once a level clearly breaches the pacing target,
 * measures time to the first frame, and writes everything to bench/results.json.
 *
 *   npm run bench                          levels 1, 50, 200, 500, 1000
 *   npm run bench -- --levels 1,50         chosen levels
 *   npm run bench -- --quick               short calls, levels 1 and 50 unless --levels (CI)
 *   options: --turns N  --rate R  --out FILE  --no-baseline  --no-startup  --no-record
 *            --keep-going (run every level even after a clear breach, e.g. on a busy machine)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeToneWav } from './call-shape.ts';
import { runRunner, startBot } from './children.ts';
import { figures, pacingP99, type LevelFigures } from './measure.ts';
import type { Design } from './protocol.ts';
import { measureStartup, type StartupFigures } from './startup.ts';
import { formatRatios, formatRow, formatStartup, HEADER } from './table.ts';

const TARGET_PACING_P99_MS = 5;
/** A level "clearly" breaches when p99 pacing is over twice the target or a tenth of calls fail. */
const CLEAR_BREACH_MS = 2 * TARGET_PACING_P99_MS;

const { values } = parseArgs({
  options: {
    levels: { type: 'string' },
    quick: { type: 'boolean', default: false },
    turns: { type: 'string' },
    rate: { type: 'string' },
    out: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    'no-startup': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
  },
});

const levels = (values.levels ?? (values.quick ? '1,50' : '1,50,200,500,1000')).split(',').map((level) => {
  const n = Number(level.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`--levels: "${level}" is not a whole number of calls`);
  return n;
});
const turns = Number(values.turns ?? (values.quick ? 2 : 10));
const rate = Number(values.rate ?? 200);
const record = !values['no-record'];
const designs: Design[] = values['no-baseline'] ? ['convotest'] : ['convotest', 'baseline'];
const outFile = resolve(values.out ?? fileURLToPath(new URL('./results.json', import.meta.url)));

const workRoot = await mkdtemp(join(tmpdir(), 'convotest-bench-'));
const tonePath = join(workRoot, 'tone.wav');
await writeToneWav(tonePath);

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  platform: `${platform()} ${release()}`,
  node: process.version,
  loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
};
process.stdout.write(
  `convotest bench · ${machine.cpus} cores (${machine.cpuModel}) · node ${machine.node} · load average ${machine.loadAverageAtStart.join(' ')}\n` +
    `calls of ${turns} turns (1 s tone → reply after 190 ms), started at ${rate}/s, recording ${record ? 'on' : 'off'}\n\n${HEADER}\n`,
);

const rows: LevelFigures[] = [];
const errors: { design: Design; calls: number; error: string }[] = [];
const stopped = new Set<Design>();
for (const calls of levels) {
  for (const design of designs) {
    if (stopped.has(design)) continue;
    const workDir = join(workRoot, `${design}-${calls}`);
    await mkdir(workDir, { recursive: true });
    const bot = await startBot();
    try {
      // Generous: arrivals, the calls themselves (~2 s a turn), and a slow machine.
      const timeoutMs = 60_000 + (calls / rate) * 1000 * 3 + turns * 2000 * 5;
      const runner = await runRunner({ design, botUrl: bot.url, calls, turns, rate, record, workDir, tonePath }, timeoutMs);
      const row = figures(design, calls, runner, await bot.report());
      rows.push(row);
      process.stdout.write(`${formatRow(row)}\n`);
      if (!values['keep-going'] && (pacingP99(row) > CLEAR_BREACH_MS || row.failed > calls / 10)) {
        stopped.add(design);
        process.stdout.write(`  ${design}: stopping here, ${calls} calls clearly breach the target (p99 pacing ${pacingP99(row).toFixed(1)} ms, ${row.failed} failed)\n`);
      }
    } catch (error) {
      errors.push({ design, calls, error: (error as Error).message });
      stopped.add(design);
      process.stdout.write(`  ${design} at ${calls} calls did not finish: ${(error as Error).message}\n`);
    } finally {
      await bot.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  }
}

const ratioLines = formatRatios(rows);
if (ratioLines.length) process.stdout.write(`\nconvotest ÷ baseline (below 1 = convotest better):\n${ratioLines.join('\n')}\n`);
const highest = (design: Design) =>
  rows.filter((row) => row.design === design && pacingP99(row) <= TARGET_PACING_P99_MS && row.failed === 0).reduce((max, row) => Math.max(max, row.calls), 0);
const highestWithinTarget = Object.fromEntries(designs.map((design) => [design, highest(design)]));
process.stdout.write(
  `\nhighest concurrency with p99 pacing ≤ ${TARGET_PACING_P99_MS} ms and no failed call: ${designs.map((d) => `${d} ${highestWithinTarget[d] || 'none'}`).join(', ')}\n`,
);

let startup: StartupFigures | undefined;
if (!values['no-startup']) {
  const bot = await startBot();
  try {
    startup = await measureStartup(bot, workRoot, tonePath, values.quick ? 1 : 3);
    process.stdout.write(`\n${formatStartup(startup)}\n`);
  } catch (error) {
    errors.push({ design: 'convotest', calls: 1, error: `startup: ${(error as Error).message}` });
  } finally {
    await bot.stop();
  }
}

await rm(workRoot, { recursive: true, force: true });
await mkdir(dirname(outFile), { recursive: true });
await writeFile(
  outFile,
  `${JSON.stringify(
    {
      startedAt: new Date().toISOString(),
      machine,
      loadAverageAtEnd: loadavg().map((n) => Math.round(n * 100) / 100),
      config: { levels, turns, rate, record, designs, quick: values.quick, keepGoing: values['keep-going'] },
      targets: { pacingP99Ms: TARGET_PACING_P99_MS, driftPct: 0.2, latencyErrorP99MsAt200: 3, rssMbPerCall: 2, firstFrameMs: 500 },
      rows,
      highestWithinTarget,
      startup,
      errors,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`\nresults: ${outFile}\n`);
process.exitCode = errors.length > 0 ? 1 : 0;
