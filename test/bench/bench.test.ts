/**
 * `npm run bench` runs to completion at a small level and writes a complete results file.
 * No timing assertions (figures on a shared CI machine mean nothing): the structure, the
 * counts, and that every figure was measured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LevelFigures } from '../../bench/measure.ts';
import { ROOT, runNode, tempDir } from '../helpers/cli.ts';

function runBench(args: string[]) {
  return runNode(['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args], { timeoutMs: 170_000 });
}

test('the benchmark runs 5 calls of each design and the startup check, and writes results.json', async () => {
  const out = join(await tempDir('convotest-bench-'), 'results.json');
  const result = await runBench(['--levels', '5', '--quick', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const results = JSON.parse(await readFile(out, 'utf8')) as {
    machine: { cpus: number; node: string };
    config: { levels: number[]; quick: boolean };
    rows: LevelFigures[];
    highestWithinTarget: Record<string, number>;
    startup?: { firstFrameMs: number; runs: number };
    errors: unknown[];
  };
  assert.deepEqual(results.errors, []);
  assert.ok(results.machine.cpus >= 1);
  assert.deepEqual(results.config.levels, [5]);
  assert.deepEqual(
    results.rows.map((row) => [row.design, row.calls]),
    [
      ['convotest', 5],
      ['baseline', 5],
    ],
  );
  for (const row of results.rows) {
    assert.equal(row.failed, 0, `${row.design}: ${row.firstFailure ?? ''}`);
    for (const figure of [row.send.p50, row.send.p99, row.arrival.p99, row.driftPct.max, row.latencyError.p99, row.cpuMsPerCallSecond]) {
      assert.ok(Number.isFinite(figure) && figure >= 0, `${row.design}: every figure is measured`);
    }
    // 5 calls of 2 tone turns each: every reply was matched with what the bot did.
    assert.equal(row.latencyError.samples, 10, row.design);
  }
  assert.equal(results.rows[0]!.earError?.samples, 10, 'convotest also reports the latency at the ear');
  assert.ok(results.rows[0]!.pacer!.ticks > 0);
  assert.equal(typeof results.highestWithinTarget.convotest, 'number');
  assert.equal(results.startup?.runs, 1);
  assert.ok(Number.isFinite(results.startup!.firstFrameMs) && results.startup!.firstFrameMs > 0, 'the first frame reached the bot');
  // The printed table has a row per design and the ratios.
  assert.match(result.stdout, /^\| 5 +\| convotest /m);
  assert.match(result.stdout, /^\| 5 +\| baseline /m);
  assert.match(result.stdout, /^ +5 calls: send p99 ×[\d.]+/m);
  assert.match(result.stdout, /^startup \(median of 1, ms from spawn\): first media frame at the bot \d+/m);
});
