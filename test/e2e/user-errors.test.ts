/**
 * User mistakes through the real CLI: each one is a single paragraph on stderr that names
 * the place (file:line:col, the flag, the path) and what to do, exit 2, and no stack trace.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';

let dir: string;

const GOOD = ['name: Good', 'target: builtin:reference', 'calls:', '  - name: hello', '    turns:', '      - expect: [ { botSpeech: { within: 5s } } ]', ''].join('\n');

/** One mistake per line, each with its own position. */
const BAD = [
  'name: Bad',
  'target: builtin:reference',
  'load: { rate: fast }',
  'thresholds:',
  '  responseLatency: p(95) < soon',
  'calls:',
  '  - name: a',
  '    timeout: 5 parsecs',
  '    turns:',
  '      - user: { audio: nope.wav }',
  '        expect:',
  '          - botSpeech: { within: 1s, bogus: 1 }',
  'tagz: [x]',
  '',
].join('\n');

before(async () => {
  dir = await tempDir();
  await writeFile(join(dir, 'good.yaml'), GOOD);
  await writeFile(join(dir, 'bad.yaml'), BAD);
  await writeFile(join(dir, 'syntax.yaml'), 'name: x\ntarget: builtin:reference\ncalls:\n  - name: a\n\t  turns: []\n');
  await writeFile(join(dir, 'env.yaml'), GOOD.replace('builtin:reference', '${CONVOTEST_TEST_UNSET_VAR}'));
  await writeFile(join(dir, 'not-a-cert.pem'), 'hello\n');
  await writeFile(join(dir, 'other.json'), '{"results": []}\n');
});

/** Runs the CLI in `dir` and checks the shape every user error must have; returns stderr. */
async function userError(args: string[]): Promise<string> {
  const result = await runCli(args, { cwd: dir });
  const stderr = result.stderr.replace(/npm warn.*\n/g, '');
  assert.equal(result.code, 2, `exit 2 for ${args.join(' ')}\n${result.stdout}\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace for ${args.join(' ')}:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s*\n/, 'one paragraph, no blank lines');
  assert.ok(stderr.trim() !== '', 'something is said');
  return stderr;
}

describe('suite mistakes name file:line:col', () => {
  test('every problem of a file is listed once, at its position, in the words that say what to write', async () => {
    const stderr = await userError(['validate', 'bad.yaml']);
    const lines = stderr.trim().replace(/^convotest: /, '').split('\n');
    assert.deepEqual(lines, [
      'bad.yaml:3:15: rate "fast" is not a call rate: write calls per second or minute, e.g. 20/s or 300/m',
      'bad.yaml:5:20: "p(95) < soon" is not a threshold: write an aggregation, a comparison and a limit, like "p(95) < 900ms", "max < 2s", "avg <= 1s" or "count == 0" (aggregations: p(N), avg, min, max, med, count, sum)',
      'bad.yaml:8:14: "5 parsecs" is not a duration: write a number with a unit (ms, s, m, h), like "800ms" or "1.5s"',
      `bad.yaml:10:24: audio file not found: ${join(dir, 'nope.wav')} (paths are relative to the suite's folder)`,
      'bad.yaml:12:38: unknown key `bogus` — expected one of: within, from, count, atLeast, atMost, minDuration',
      'bad.yaml:13:1: unknown key `tagz` — did you mean `tags`?',
    ]);
  });

  test('a YAML syntax error, an unset variable and a missing path', async () => {
    assert.match(await userError(['run', 'syntax.yaml', '-o', 'out']), /^convotest: syntax\.yaml:5:1: Tabs are not allowed as indentation: indent with spaces\n$/);
    assert.match(await userError(['run', 'env.yaml', '-o', 'out']), /^convotest: env\.yaml:2:9: `\$\{CONVOTEST_TEST_UNSET_VAR\}` is not set: export CONVOTEST_TEST_UNSET_VAR or write/);
    assert.match(await userError(['load', 'nothere.yaml', '-o', 'out']), /^convotest: no suite files found at nothere\.yaml\n$/);
  });
});

describe('flag mistakes name the flag', () => {
  test('values that do not parse', async () => {
    assert.match(await userError(['run', 'good.yaml', '--threshold', 'responseLatency: p(95) < soon']), /--threshold "responseLatency: p\(95\) < soon": .*not a threshold/);
    assert.match(await userError(['load', 'good.yaml', '--threshold', 'latency: max < 1s']), /--threshold "latency: max < 1s": unknown metric `latency`/);
    assert.match(await userError(['run', 'good.yaml', '--shard', '3/2']), /--shard "3\/2" is not a shard: write i\/n/);
    assert.match(await userError(['load', 'good.yaml', '--rate', 'fast']), /--rate <rate>' argument 'fast' is invalid\. rate "fast" is not a call rate/);
    assert.match(await userError(['run', 'good.yaml', '--idle-timeout', '5x']), /--idle-timeout <duration>' argument '5x' is invalid\. "5x" is not a duration/);
    assert.match(await userError(['run', 'good.yaml', '--min-pass-rate', '120%']), /--min-pass-rate <rate>' argument '120%' is invalid/);
    assert.match(await userError(['bot', '--port', '70000']), /^convotest: option '--port <port>' argument '70000' is invalid\. expected a port number/);
    assert.match(await userError(['run', '--bogus']), /^convotest: unknown option '--bogus'/);
  });

  test('files the flags name: --ca, -o, merge-reports inputs', async () => {
    assert.match(await userError(['run', 'good.yaml', '--ca', 'missing.pem']), /cannot read the --ca file missing\.pem: no such file or folder; give the path of the CA certificate/);
    assert.match(await userError(['load', 'good.yaml', '--ca', 'not-a-cert.pem']), /--ca not-a-cert\.pem holds no PEM certificate/);
    assert.match(await userError(['run', 'good.yaml', '-o', 'good.yaml']), /cannot write reports to .*good\.yaml: a file is in the way of the folder; .*--out/);
    assert.match(await userError(['merge-reports', 'missing.json']), /cannot read missing\.json: no such file or folder; pass the report\.json each shard wrote/);
    assert.match(await userError(['merge-reports', 'good.yaml']), /good\.yaml is not a whole convotest report\.json \(it is not JSON: .*\); pass the report\.json/);
    assert.match(await userError(['merge-reports', 'other.json']), /other\.json is not a whole convotest report\.json \(the top level must have required property '\w+'\); pass the report\.json each shard wrote, unedited/);
  });

  test('a reference bot that cannot listen says so', async () => {
    assert.match(await userError(['bot', '--protocol', 'audiocodes', '--host', '256.0.0.1', '--port', '0']), /cannot listen on 256\.0\.0\.1:0: no such address on this machine; choose another --port/);
    assert.match(await userError(['bot', '--protocol', 'twilio', '--host', '256.0.0.1', '--port', '0']), /cannot listen on 256\.0\.0\.1:0: no such address on this machine; choose another --port/);
  });
});

test('a bare 0 switches the limits off, as --help says, for run and load alike', async () => {
  const run = await runCli(['run', 'good.yaml', '-o', 'out-run', '--idle-timeout', '0', '--max-call-duration', '0'], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const load = await runCli(['load', 'good.yaml', '-o', 'out-load', '-n', '1', '--max-call-duration', '0'], { cwd: dir });
  assert.equal(load.code, 0, load.stdout + load.stderr);
  const report = JSON.parse(await readFile(join(dir, 'out-load', 'report.json'), 'utf8'));
  assert.equal(report.summary.passed, 1);
});
