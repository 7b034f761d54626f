/**
 * The suite's `load:` block: loaded into the model (rates in calls per second, durations in
 * ms), refused with file:line:col when wrong, and used by `convotest load` unless flags say
 * otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../../src/engine/results.ts';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

async function suiteWith(load: string[]): Promise<string> {
  const dir = await tempDir('convotest-load-block-');
  const file = join(dir, 'suite.yaml');
  await writeFile(
    file,
    ['name: Loaded', 'target: builtin:reference', ...load, 'calls:', '  - name: greets', '    turns:', '      - expect: [ { botSpeech: { within: 5s } } ]', '      - user: { hangup: true }', ''].join('\n'),
  );
  return file;
}

test('a load: block becomes calls, a rate per second, and ms', async () => {
  const suite = await loadSuiteFile(await suiteWith(['load:', '  calls: 3', '  rate: 120/m', '  ramp: 1.5s', '  duration: 2m']));
  assert.deepEqual({ ...suite.load, pos: undefined }, { calls: 3, rate: 2, rampMs: 1500, durationMs: 120_000, pos: undefined });
  assert.equal(suite.load!.pos.line, 4, 'where the block starts');
  const plain = await loadSuiteFile(await suiteWith([]));
  assert.equal(plain.load, undefined);
});

test('a wrong load: block is refused where it is written', async () => {
  for (const [lines, pattern] of [
    [['load:', '  rate: fast'], /suite\.yaml:4:\d+: .*rate/],
    [['load:', '  calls: 0'], /suite\.yaml:4:\d+: .*calls/],
    [['load:', '  speed: 2'], /suite\.yaml:4:\d+: .*speed/],
  ] as const) {
    const file = await suiteWith([...lines]);
    await assert.rejects(loadSuiteFile(file), (error: Error) => error instanceof SuiteLoadError && pattern.test(error.message), lines.join(' '));
  }
});

test('convotest load follows the suite’s load: block, and flags override it', async () => {
  const file = await suiteWith(['load:', '  calls: 3', '  rate: 30/s']);
  const dir = await tempDir('convotest-load-block-run-');
  const fromSuite = await runCli(['load', file, '--no-audio', '--out', join(dir, 'a')]);
  assert.equal(fromSuite.code, 0, fromSuite.stderr + fromSuite.stdout);
  const a = JSON.parse(await readFile(join(dir, 'a', 'report.json'), 'utf8')) as RunResult;
  assert.deepEqual([a.load?.calls, a.load?.rate, a.summary.total], [3, 30, 3]);
  const overridden = await runCli(['load', file, '--calls', '2', '--rate', '20', '--no-audio', '--out', join(dir, 'b')]);
  assert.equal(overridden.code, 0, overridden.stderr);
  const b = JSON.parse(await readFile(join(dir, 'b', 'report.json'), 'utf8')) as RunResult;
  assert.deepEqual([b.load?.calls, b.load?.rate, b.summary.total], [2, 20, 2]);
});
