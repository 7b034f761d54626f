/**
 * The reports folder: one that cannot be written is an error before any call runs; a report
 * that cannot be written at the end is a clear error (exit 2), never a stack or a green run,
 * and the other reports are still written whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';

const SUITE = ['name: Output', 'target: builtin:reference', 'calls:', '  - name: greets', '    turns:', '      - expect: [ { botSpeech: { within: 5s } } ]', ''].join('\n');

async function suiteIn(dir: string): Promise<string> {
  const file = join(dir, 'suite.yaml');
  await writeFile(file, SUITE);
  return file;
}

test('a file where the folder should be: exit 2 before anything runs', async () => {
  const dir = await tempDir('convotest-out-');
  await writeFile(join(dir, 'taken'), 'a file');
  const result = await runCli(['run', await suiteIn(dir), '--out', join(dir, 'taken', 'reports')]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /^convotest: cannot write reports to .*taken\/reports: a file is in the way of the folder; .*--out\n$/);
  assert.doesNotMatch(result.stdout, /Running/);
});

test('a read-only folder: exit 2 before anything runs', { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false }, async () => {
  const dir = await tempDir('convotest-out-');
  const out = join(dir, 'readonly');
  await mkdir(out);
  await chmod(out, 0o500);
  try {
    const result = await runCli(['run', await suiteIn(dir), '--out', out]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /^convotest: cannot write reports to .*readonly: (EACCES|permission denied)/);
    assert.doesNotMatch(result.stdout, /Running/);
  } finally {
    await chmod(out, 0o700);
  }
});

test('a file system that refuses new folders (/proc): exit 2 naming the folder, not a hang', { skip: process.platform !== 'linux' && 'needs /proc', timeout: 60_000 }, async () => {
  const dir = await tempDir('convotest-out-');
  const out = `/proc/convotest-reports-${process.pid}`;
  const result = await runCli(['run', await suiteIn(dir), '--out', join(out, 'nested')], { timeoutMs: 50_000 });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.equal(result.stderr.trim(), `convotest: cannot write reports to ${join(out, 'nested')}: no such file or folder; free space, fix permissions or choose another folder with --out`);
});

test('a report that cannot be written at the end: exit 2 naming it, the others still whole', async () => {
  const dir = await tempDir('convotest-out-');
  const out = join(dir, 'reports');
  // A folder (with something in it) where junit.xml goes: the final rename cannot replace it.
  await mkdir(join(out, 'junit.xml'), { recursive: true });
  await writeFile(join(out, 'junit.xml', 'keep'), 'x');
  const result = await runCli(['run', await suiteIn(dir), '--out', out]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /^convotest: could not write the reports: 1 reporter failed in onRunEnd: JUnitReporter: E[A-Z]+/m);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack');
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  assert.equal(report.summary.passed, 1);
  assert.match(await readFile(join(out, 'report.html'), 'utf8'), /<\/html>\n$/);
  assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.tmp')), [], 'the failed write left no temp file');
});
