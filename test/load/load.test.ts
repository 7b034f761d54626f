/**
 * `convotest load`, `--shard` and `convotest merge-reports` through the real CLI against the
 * built-in reference bot: reports parsed back, no timing assertions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { RunResult } from '../../src/engine/results.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

/** A suite of `names.length` calls that each wait for the reference bot's greeting and hang up. */
async function greetingSuite(names: string[]): Promise<{ dir: string; file: string }> {
  const dir = await tempDir('convotest-load-');
  const file = join(dir, 'greet.yaml');
  const calls = names.flatMap((name) => [`  - name: ${name}`, '    turns:', '      - expect: [ { botSpeech: { within: 5s } } ]', '      - user: { hangup: true }']);
  await writeFile(file, ['name: Greetings', 'target: builtin:reference', 'calls:', ...calls, ''].join('\n'));
  return { dir, file };
}

async function report(dir: string): Promise<RunResult> {
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as RunResult;
}

test('load starts the calls at the rate, cycling through the suite, and reports percentiles over time', async () => {
  const { dir, file } = await greetingSuite(['first', 'second']);
  const out = join(dir, 'reports');
  const result = await runCli(['load', file, '--calls', '5', '--rate', '20/s', '--no-audio', '--out', out]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const run = await report(out);
  const calls = run.suites.flatMap((suite) => suite.calls);
  assert.deepEqual(
    calls.map((call) => call.name),
    ['first #1', 'second #2', 'first #3', 'second #4', 'first #5'],
  );
  assert.ok(calls.every((call) => call.status === 'passed'));
  assert.ok(calls.every((call) => call.timeline.length === 0), 'passed calls drop their timelines');
  assert.equal(run.load?.started, 5);
  assert.equal(run.load?.rate, 20);
  assert.equal(run.load?.calls, 5);
  assert.equal(run.load?.shard, undefined);
  assert.ok(run.load!.peakInFlight >= 1 && run.load!.peakInFlight <= 5);
  const windows = run.load!.windows;
  assert.ok(windows.length >= 1);
  assert.equal(windows.reduce((sum, w) => sum + w.started, 0), 5);
  assert.equal(windows.reduce((sum, w) => sum + w.ended, 0), 5);
  assert.equal(windows.at(-1)!.inFlight, 0);
  // The same calls as JUnit test cases.
  const junit = new XMLParser({ ignoreAttributes: false }).parse(await readFile(join(out, 'junit.xml'), 'utf8'));
  const suites = [junit.testsuites.testsuite].flat();
  assert.equal(suites.flatMap((suite: { testcase: unknown }) => [suite.testcase].flat()).length, 5);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.match(html, /<h2>Load<\/h2>\n<p>load: 5 calls started at 20\/s; peak \d+ in flight<\/p>/);
  // Not a terminal: progress comes as whole lines, then the load line and the windows table.
  assert.match(result.stdout, /\d+\.\ds · 5\/5 started · 0 in flight · 5 passed · 0 failed/);
  assert.match(result.stdout, /^load: 5 calls started at 20\/s; peak \d+ in flight$/m);
  assert.match(result.stdout, /^response latency over time:$/m);
  assert.ok(!result.stdout.includes('\r'), 'no carriage returns when stdout is not a terminal');
});

test('two shards of a load merge back into the whole load', async () => {
  const { dir, file } = await greetingSuite(['only']);
  const outs = [join(dir, 'shard-1'), join(dir, 'shard-2')];
  for (const [i, out] of outs.entries()) {
    const result = await runCli(['load', file, '--calls', '5', '--rate', '25/s', '--shard', `${i + 1}/2`, '--no-audio', '--out', out]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
  }
  const first = await report(outs[0]!);
  const second = await report(outs[1]!);
  assert.equal(first.load?.shard, '1/2');
  assert.deepEqual(first.suites[0]!.calls.map((call) => call.name), ['only #1', 'only #3', 'only #5']);
  assert.deepEqual(second.suites[0]!.calls.map((call) => call.name), ['only #2', 'only #4']);

  const mergedDir = join(dir, 'merged');
  const merged = await runCli(['merge-reports', join(outs[0]!, 'report.json'), join(outs[1]!, 'report.json'), '--out', mergedDir]);
  assert.equal(merged.code, 0, merged.stderr + merged.stdout);
  assert.match(merged.stdout, /^merged 2 reports$/m);
  const whole = await report(mergedDir);
  assert.deepEqual(whole.suites.map((suite) => suite.name), ['Greetings']);
  assert.deepEqual(whole.suites[0]!.calls.map((call) => call.name), ['only #1', 'only #2', 'only #3', 'only #4', 'only #5']);
  assert.equal(whole.summary.total, 5);
  assert.equal(whole.summary.passed, 5);
  assert.equal(whole.load?.started, 5);
  assert.equal(whole.load?.shard, undefined);
  assert.equal(whole.load!.windows.reduce((sum, w) => sum + w.started, 0), 5);
  assert.equal(whole.exitCode, 0);
  const junit = await readFile(join(mergedDir, 'junit.xml'), 'utf8');
  assert.equal(junit.match(/<testcase /g)?.length, 5);
});

test('run --shard i/n runs every n-th selected call, and the shards merge in suite order', async () => {
  const { dir, file } = await greetingSuite(['one', 'two', 'three']);
  const names: string[][] = [];
  for (const shard of ['1/2', '2/2']) {
    const out = join(dir, `run-${shard.replace('/', '-of-')}`);
    const result = await runCli(['run', file, '--shard', shard, '--no-audio', '--out', out]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    names.push((await report(out)).suites[0]!.calls.map((call) => call.name));
  }
  assert.deepEqual(names, [['one', 'three'], ['two']]);
  const mergedDir = join(dir, 'merged');
  const merged = await runCli(['merge-reports', join(dir, 'run-2-of-2', 'report.json'), join(dir, 'run-1-of-2', 'report.json'), '-o', mergedDir]);
  assert.equal(merged.code, 0, merged.stderr);
  const whole = await report(mergedDir);
  assert.deepEqual(whole.suites[0]!.calls.map((call) => call.name), ['one', 'two', 'three']);
  assert.equal(whole.load, undefined);
});

test('load gates on thresholds (exit 99) and refuses bad flags with one line (exit 2)', async () => {
  const { dir, file } = await greetingSuite(['only']);
  const out = join(dir, 'gated');
  const gated = await runCli(['load', file, '--calls', '2', '--rate', '10', '--no-audio', '--out', out, '--threshold', 'timeToFirstSpeech: p(95) < 1ms']);
  assert.equal(gated.code, 99, gated.stderr + gated.stdout);
  const run = await report(out);
  assert.equal(run.summary.passed, 2);
  assert.equal(run.thresholds?.length, 1);
  assert.equal(run.thresholds![0]!.passed, false);
  assert.match(gated.stdout, /thresholds: 1 of 1 breached/);

  for (const [args, message] of [
    [['--shard', '3/2'], /--shard "3\/2" is not a shard: write i\/n/],
    [['--rate', 'fast'], /rate "fast" is not a call rate/],
  ] as const) {
    const result = await runCli(['load', file, '--calls', '1', '--no-audio', '--out', join(dir, 'bad'), ...args]);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  const notReport = join(dir, 'not-a-report.json');
  await writeFile(notReport, '{"hello": 1}');
  const merge = await runCli(['merge-reports', notReport, '--out', join(dir, 'm')]);
  assert.equal(merge.code, 2);
  assert.match(merge.stderr, /not-a-report\.json is not a whole convotest report\.json \(the top level must have required property/);
});
