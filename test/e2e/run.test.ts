/**
 * The README's promise, run as a user runs it: `convotest run suites/` against the built-in
 * reference bot in a child process, with the reports parsed back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { decodeWav } from '../../src/audio/wav-read.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { readReports } from '../helpers/reports.ts';

test('convotest run suites/pizza-line.yaml passes against the reference bot and writes every report', async () => {
  const out = await tempDir();
  const result = await runCli(['run', 'suites/pizza-line.yaml', '--out', out]);
  assert.equal(result.code, 0, `exit 0\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /✓ Pizza line › greets the caller/);
  assert.match(result.stdout, /4 passed \(4 calls\)/);
  assert.equal(result.stderr.replace(/npm warn.*\n/g, ''), '');

  const { junit, report } = await readReports(out);
  const suite = junit.testsuites.testsuite[0];
  assert.equal(suite.name, 'Pizza line');
  assert.equal(Number(suite.tests), 4);
  assert.equal(Number(suite.failures), 0);
  const order = suite.testcase.find((c: any) => c.name === 'takes an order within the latency budget');
  assert.ok(order, 'a testcase per call');
  const properties = Object.fromEntries(order.properties.property.map((p: any) => [p.name, Number(p.value)]));
  // The latency budget itself is the suite's `within:` (the run exited 0); here: JUnit shows what report.json holds.
  const orderCall = report.suites[0].calls.find((c: any) => c.name === 'takes an order within the latency budget');
  assert.ok(properties['responseLatency.turn2'] > 0, `turn 2 latency ${properties['responseLatency.turn2']}`);
  // JUnit properties are whole ms; report.json keeps a decimal.
  assert.equal(properties['responseLatency.turn2'], Math.round(orderCall.turns[1].metrics.responseLatency));
  assert.match(order['system-out'], /\[\[ATTACHMENT\|.*call\.wav\]\]/);

  assert.equal(report.exitCode, 0);
  assert.deepEqual(report.summary.total, 4);
  const call = report.suites[0].calls.find((c: any) => c.name === 'reads the menu on 1 and stops when interrupted');
  const bargeIn = call.turns[2];
  assert.equal(bargeIn.anchor, 'speechStart');
  assert.deepEqual(bargeIn.expectations.map((e: any) => [e.kind, e.status]), [['clear', 'passed'], ['mark', 'passed']]);
  assert.ok(bargeIn.expectations[0].latency >= 0, 'the clear was timed from the caller speech start');
  assert.ok(call.timeline.some((entry: any) => entry.kind === 'clear' && entry.dir === 'in'));

  // Audio: a stereo call recording on one timeline, and one WAV per bot reply.
  const callWav = await readFile(join(out, call.audio.call));
  assert.equal(callWav.readUInt16LE(22), 2, 'call.wav is stereo');
  assert.equal(callWav.readUInt32LE(24), 8000);
  const seconds = (callWav.length - 44) / 4 / 8000;
  assert.ok(Math.abs(seconds - call.durationMs / 1000) < 1, `call.wav is as long as the call (${seconds}s vs ${call.durationMs}ms)`);
  assert.equal(call.audio.replies.length, call.botSpeech.length);
  const reply = decodeWav(await readFile(join(out, call.audio.replies[0])), 'reply');
  assert.ok(reply.samples.length / 8000 > 2, 'the greeting reply holds the greeting');
});

test('a bot that is not there fails every call with a one-line reason, exit 1, reports written', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const out = await tempDir();
  const result = await runCli(['run', 'suites/pizza-line.yaml', '--target', `ws://127.0.0.1:${port}/stream`, '--out', out]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /connection refused \(is the bot running and listening there\?\)/);
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
  const { junit, report } = await readReports(out);
  assert.equal(Number(junit.testsuites.testsuite[0].errors), 4);
  assert.deepEqual(report.suites[0].calls.map((c: any) => c.status), ['errored', 'errored', 'errored', 'errored']);
  assert.equal(report.exitCode, 1);
});

test('an invalid suite exits 2 with file:line:col and runs nothing', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'suites'));
  await writeFile(
    join(dir, 'suites', 'bad.yaml'),
    ['name: Bad', 'target: builtin:reference', 'calls:', '  - name: typo', '    turns:', '      - expect:', '          - botspeech: { within: 1s }', ''].join('\n'),
  );
  const result = await runCli(['run', 'suites/', '--out', join(dir, 'reports')], { cwd: dir });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /suites\/bad\.yaml:7:13: .*botspeech.*did you mean `botSpeech`/);
  await assert.rejects(stat(join(dir, 'reports', 'junit.xml')), 'nothing ran, so no report');
});

test('usage mistakes exit 2 with a message, not a stack', async () => {
  const result = await runCli(['run', '--workers', 'many']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--workers.*whole number/);
  const grep = await runCli(['run', 'suites/pizza-line.yaml', '--grep', 'no such call']);
  assert.equal(grep.code, 2);
  assert.match(grep.stderr, /no call matches --grep/);
});
