/**
 * The AudioCodes side end to end through the real CLI, as a user or CI runs it: the example
 * suite against the built-in reference bot with its reports parsed back, a run with a token
 * that must appear nowhere in what convotest writes, and `convotest bot --protocol audiocodes`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startAudioCodesBot } from '../../src/bot/audiocodes-bot.ts';
import { ROOT, runCli, tempDir } from '../helpers/cli.ts';
import { readReports } from '../helpers/reports.ts';
import { Harness } from './scripted-bot.ts';

const BIN = join(ROOT, 'bin', 'convotest.js');
const SUITE = 'suites/audiocodes-pizza.yaml';

const dirs: string[] = [];
async function outDir(): Promise<string> {
  const dir = await tempDir('convotest-ac-');
  dirs.push(dir);
  return dir;
}
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** Every report file the run wrote, as text (junit.xml, report.json, and report.html where there is one). */
async function reports(dir: string): Promise<string[]> {
  const files = ['junit.xml', 'report.json', 'report.html'].map((name) => join(dir, name)).filter((file) => existsSync(file));
  return Promise.all(files.map((file) => readFile(file, 'utf8')));
}

describe('AudioCodes through the CLI', () => {
  it('runs the example suite against the reference bot and reports every call passed', async () => {
    const out = await outDir();
    const run = await runCli(['run', SUITE, '--out', out], { env: { BOT_TOKEN: '', AC_BOT_URL: '' } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /5 passed \(5 calls\)/);

    const { junit, report } = await readReports(out);
    const cases: { name: string; failure?: unknown; error?: unknown }[] = junit.testsuites.testsuite.flatMap((suite: { testcase: unknown[] }) => suite.testcase);
    assert.deepEqual(cases.map((c) => c.name).sort(), [
      'greets the caller',
      'reads the menu on 1 and stops when interrupted',
      'says goodbye and hangs up on star',
      'takes an order within the latency budget',
      'transfers to an agent on 0',
    ]);
    assert.ok(cases.every((c) => c.failure === undefined && c.error === undefined));

    assert.equal(report.exitCode, 0);
    const [suite] = report.suites;
    assert.equal(suite.protocol, 'audiocodes');
    const call = (name: string) => suite.calls.find((c: { name: string }) => c.name === name);
    for (const c of suite.calls) {
      assert.equal(c.status, 'passed', `${c.name}: ${c.reason}`);
      const kinds = c.timeline.map((e: { kind: string }) => e.kind);
      assert.equal(kinds.indexOf('session.initiate') < kinds.indexOf('session.accepted'), true);
      assert.ok(existsSync(join(out, c.audio.call)), `${c.name} has call.wav`);
    }
    const order = call('takes an order within the latency budget');
    assert.equal(order.metrics.responseLatency.length, 2);
    // How fast is the suite's own `latency` expectation's business (it passed); here: measured, once per reply.
    assert.ok(order.metrics.responseLatency.every((ms: number) => ms > 0));
    assert.ok(order.timeline.some((e: { kind: string; summary: string }) => e.kind === 'recognition' && e.summary.includes('I would like a pizza')));
    const star = call('says goodbye and hangs up on star');
    const end = star.timeline.find((e: { kind: string }) => e.kind === 'session.end');
    assert.equal(end.data.reasonCode, 'bot-disconnected');
    const menu = call('reads the menu on 1 and stops when interrupted');
    assert.ok(menu.timeline.some((e: { kind: string }) => e.kind === 'clear'));
  });

  it('sends the suite’s token and never writes it to the console, junit.xml or report.json', async () => {
    const token = 'ct-token-5f0e9c2b71a4';
    const bot = await startAudioCodesBot({ port: 0, token });
    try {
      const out = await outDir();
      const accepted = await runCli(['run', SUITE, '--out', out, '--target', bot.url, '--grep', 'greets'], { env: { BOT_TOKEN: token } });
      assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
      const written = [accepted.stdout, accepted.stderr, ...(await reports(out))];
      assert.equal(written.length >= 4, true);
      assert.ok(written.every((text) => !text.includes(token)), 'the token is in the output');

      const wrongOut = await outDir();
      const rejected = await runCli(['run', SUITE, '--out', wrongOut, '--target', bot.url, '--grep', 'greets'], { env: { BOT_TOKEN: `${token}-wrong` } });
      assert.equal(rejected.code, 1);
      const report = await readFile(join(wrongOut, 'report.json'), 'utf8');
      const call = JSON.parse(report).suites[0].calls[0];
      assert.equal(call.status, 'errored');
      assert.match(call.reason, /authentication rejected/);
      const all = [rejected.stdout, rejected.stderr, ...(await reports(wrongOut))];
      assert.ok(all.every((text) => !text.includes(token)), 'the token is in the output of the rejected run');
    } finally {
      await bot.close();
    }
  });

  it('serves the reference bot with `convotest bot --protocol audiocodes`', async () => {
    const child = spawn(process.execPath, [BIN, 'bot', '--protocol', 'audiocodes', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk) => {
          text += chunk;
          const match = /listening on (ws:\/\/\S+)/.exec(text);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`the bot exited with ${code}`)));
      });
      const harness = new Harness(url);
      await harness.session.connect();
      const text = await harness.waitFor('text');
      assert.match(text.text, /Welcome to the pizza line/);
      await harness.session.hangup();
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});
