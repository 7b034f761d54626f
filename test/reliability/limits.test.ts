/**
 * The `limits:` suite key and the command-line flags over it: parsed, checked with positions,
 * and resolved per call with where each value came from.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callLimits, DEFAULT_LIMITS } from '../../src/engine/limits.ts';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

async function suiteWith(limits: string[]): Promise<string> {
  const file = join(await tempDir('convotest-limits-key-'), 'suite.yaml');
  await writeFile(file, ['name: Limits', 'target: builtin:reference', ...limits, 'calls:', '  - name: a', '    turns:', '      - expect: [ { botSpeech: {} } ]', ''].join('\n'));
  return file;
}

describe('limits: in a suite', () => {
  test('durations are read into milliseconds; only what is written is kept', async () => {
    const suite = await loadSuiteFile(await suiteWith(['limits: { call: 2m, connect: 5s, idle: 0, recording: 1.5s }']));
    assert.deepEqual(suite.limits, { call: 120_000, connect: 5_000, idle: 0, recording: 1_500 });
    const partial = await loadSuiteFile(await suiteWith(['limits: { idle: 10s }']));
    assert.deepEqual(partial.limits, { idle: 10_000 });
    assert.equal((await loadSuiteFile(await suiteWith([]))).limits, undefined);
  });

  test('mistakes are problems at their position', async () => {
    const file = await suiteWith(['limits:', '  call: forever', '  idel: 1s']);
    await assert.rejects(loadSuiteFile(file), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      assert.deepEqual(
        error.problems.map((p) => [p.line, p.col, p.message]),
        [
          [4, 9, '"forever" is not a duration: write a number with a unit (ms, s, m, h), like "800ms" or "1.5s"'],
          [5, 3, 'unknown key `idel` — did you mean `idle`?'],
        ],
      );
      return true;
    });
  });
});

describe('limits per call', () => {
  test('the command line beats the suite, the suite beats the defaults, and each says where it came from', async () => {
    const suite = await loadSuiteFile(await suiteWith(['limits: { call: 1m, idle: 5s }']));
    assert.deepEqual(callLimits(suite), {
      call: { ms: 60_000, source: 'limits.call' },
      connect: { ms: DEFAULT_LIMITS.connect, source: 'the default limits.connect' },
      idle: { ms: 5_000, source: 'limits.idle' },
      recording: { ms: DEFAULT_LIMITS.recording, source: 'the default limits.recording' },
    });
    const overridden = callLimits(suite, { call: 2_000, idle: 0 });
    assert.deepEqual(overridden.call, { ms: 2_000, source: '--max-call-duration' });
    assert.deepEqual(overridden.idle, { ms: 0, source: '--idle-timeout' });
  });

  test('a flag that is not a duration is exit 2 with what to write', async () => {
    const file = await suiteWith([]);
    const bad = await runCli(['run', file, '--max-call-duration', 'soon', '--out', await tempDir()]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /option '--max-call-duration <duration>' argument 'soon' is invalid\. "soon" is not a duration/);
    const zero = await runCli(['run', file, '--max-run-duration', '0s', '--out', await tempDir()]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /expected a duration above zero/);
  });
});
