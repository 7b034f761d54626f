/**
 * `convotest load` relaunches itself in a child Node with a larger first old-generation budget
 * (bin/relaunch.js). The child really runs with the flag, and the launcher passes signals on
 * and ends the way the child ended, so Ctrl-C and a CI job's SIGTERM still write the reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOAD_HEAP_MB, relaunchFlags } from '../../bin/relaunch.js';
import { runCli, startCli, tempDir } from '../helpers/cli.ts';

const FLAG = `--initial-old-space-size=${LOAD_HEAP_MB}`;

test('only load is relaunched, once, with the heap flag; CONVOTEST_LOAD_HEAP_MB sizes it or turns it off', () => {
  assert.deepEqual(relaunchFlags(['load', 'suites/'], [], {}), [FLAG]);
  assert.equal(relaunchFlags(['run', 'suites/'], [], {}), null);
  assert.equal(relaunchFlags(['validate'], [], {}), null);
  assert.equal(relaunchFlags([], [], {}), null);
  // The child (or a user who chose a size) already has it.
  assert.equal(relaunchFlags(['load'], ['--initial-old-space-size=64'], {}), null);
  assert.deepEqual(relaunchFlags(['load'], [], { CONVOTEST_LOAD_HEAP_MB: '512' }), ['--initial-old-space-size=512']);
  assert.equal(relaunchFlags(['load'], [], { CONVOTEST_LOAD_HEAP_MB: '0' }), null);
  assert.deepEqual(relaunchFlags(['load'], [], { CONVOTEST_LOAD_HEAP_MB: '-1' }), { error: 'CONVOTEST_LOAD_HEAP_MB must be a whole number of MB (0 = off), got "-1"' });
});

test('a bad CONVOTEST_LOAD_HEAP_MB is refused with one line and exit 2', async () => {
  const result = await runCli(['load', 'suites/', '--calls', '1'], { env: { CONVOTEST_LOAD_HEAP_MB: 'lots' } });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim(), 'convotest: CONVOTEST_LOAD_HEAP_MB must be a whole number of MB (0 = off), got "lots"');
});

/** `pid`'s child processes and their command lines (Linux /proc). */
function childProcesses(pid: number): { pid: number; args: string[] }[] {
  const lines: { pid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent pid is the 2nd field after the parenthesised command name.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) lines.push({ pid: Number(entry), args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // The process ended while we looked.
    }
  }
  return lines;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`load runs in a child Node with the heap flag; ${signal} to the launcher ends it with reports and exit 130`, { skip: process.platform !== 'linux' && 'reads /proc', timeout: 120_000 }, async () => {
    const dir = await tempDir('convotest-relaunch-');
    const suite = join(dir, 'long.yaml');
    await writeFile(
      suite,
      ['name: Long', 'target: builtin:reference', 'calls:', '  - name: waits', '    turns:', '      - user: { silence: 10m }', ''].join('\n'),
    );
    const out = join(dir, 'reports');
    const launcher = startCli(['load', suite, '--calls', '2', '--rate', '10/s', '--no-audio', '--out', out]);
    // Progress lines start once the calls are placed: the child is up by then.
    await launcher.stdoutMatches(/2\/2 started/);
    const children = childProcesses(launcher.child.pid!);
    assert.equal(children.length, 1, `one child Node: ${JSON.stringify(children)}`);
    const child = children[0]!;
    assert.ok(child.args.includes(FLAG), `the child runs with ${FLAG}: ${child.args.join(' ')}`);
    assert.ok(child.args.includes('load'));

    launcher.child.kill(signal);
    // A terminal's Ctrl-C goes to the whole process group: the child gets it too, besides the forwarded one.
    if (signal === 'SIGINT') process.kill(child.pid, signal);
    const code = await launcher.exited;
    assert.equal(code, 130, launcher.stdout + launcher.stderr);
    assert.match(launcher.stderr, /interrupted/);
    assert.match(launcher.stdout, /· 0 in flight · 0 passed · 0 failed · 2 interrupted\n/, 'the last progress line counts the calls cut short as interrupted');
    // Written, so the SIGINT that reached the child twice read as one press, not as "quit now".
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.interrupted, true);
    assert.equal(report.exitCode, 130);
    const calls = report.suites[0].calls as { status: string; durationMs: number }[];
    assert.deepEqual(
      calls.map((call) => call.status),
      ['interrupted', 'interrupted'],
    );
    // The interruption ends the silent turn too, instead of the calls sitting out their 10 minutes.
    assert.ok(calls.every((call) => call.durationMs < 5 * 60_000), `calls ended with the interruption: ${calls.map((call) => call.durationMs)}`);
  });
}

test('the launcher exits with the child’s code: a failing load exits 1 through it', async () => {
  const dir = await tempDir('convotest-relaunch-');
  const suite = join(dir, 'fails.yaml');
  // The reference bot greets; expecting a hang-up within 1 s fails.
  await writeFile(suite, ['name: Fails', 'target: builtin:reference', 'calls:', '  - name: no hangup', '    turns:', '      - expect: [ { hangup: { within: 1s } } ]', ''].join('\n'));
  const result = await runCli(['load', suite, '--calls', '1', '--rate', '10/s', '--no-audio', '--out', join(dir, 'reports')]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const report = JSON.parse(await readFile(join(dir, 'reports', 'report.json'), 'utf8'));
  assert.equal(report.suites[0].calls[0].status, 'failed');
});
