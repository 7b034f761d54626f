/**
 * Bots that misbehave in what they send — garbage, binary frames, a 10 MB frame, a flood,
 * audio that never ends — and runs that go on too long: each fails with a precise reason,
 * the well-behaved calls of the same run pass, and every report stays whole.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWav } from '../../src/audio/wav-read.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { GARBAGE, startChaosBot, type ChaosBot } from './chaos-bot.ts';
import { chaosSuite, healthySuite, HEALTHY_CALLS, junitCase, readReports, runWithSiblings } from './chaos-run.ts';

let bot: ChaosBot;
before(async () => {
  bot = await startChaosBot();
});
after(() => bot.close());

const greeting = '- expect: [ { botSpeech: { within: 3s } }, { mark: { name: greeting } } ]';

describe('chaos: what the bot sends', () => {
  test('garbage (not JSON): every frame is a violation, the first one is named', async () => {
    const { call, junit } = await runWithSiblings(chaosSuite(bot.url('garbage'), [greeting]), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.match(call.reason!, new RegExp(`^${GARBAGE.length} protocol violations; first at \\d+ms: bot sent a frame that is not JSON: "this is not json"$`));
    assert.equal(call.metrics.violations, GARBAGE.length);
    assert.equal(junitCase(junit, 'misbehaving').failure.message, call.reason);
  });

  test('binary frames: a violation naming the frame and its size', async () => {
    const { call } = await runWithSiblings(chaosSuite(bot.url('binary'), [greeting]), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.match(call.reason!, /^1 protocol violation; first at \d+ms: bot sent a binary frame \(16 bytes\); Twilio accepts only JSON text/);
  });

  test('a 10 MB frame is refused before it is buffered and fails the call, not the runner', async () => {
    const { call, report } = await runWithSiblings(chaosSuite(bot.url('huge-frame'), [greeting]), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(call.reason, 'the bot sent a WebSocket message larger than 4 MiB, the most convotest accepts; convotest closed the connection');
    assert.ok(call.timeline.some((e) => e.kind === 'closed' && /closed by convotest/.test(e.summary)));
    // Nothing of the 10 MB made it into the report.
    assert.ok(JSON.stringify(report).length < 1_000_000);
  });

  test('10 000 messages a second: the flood is cut off with a reason', async () => {
    const { call } = await runWithSiblings(chaosSuite(bot.url('flood'), ['- expect: [ { hangup: { within: 20s } } ]']), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(
      call.reason,
      'the bot flooded the connection: more than 10000 messages at over 2000 a second; convotest closed it (no telephony platform accepts that)',
    );
  });

  test('audio forever: limits.call hangs up, limits.recording caps the WAVs', async () => {
    const turns = ['- expect: [ { botSpeech: { within: 3s } } ]', '- user: { dtmf: "1" }', '  expect: [ { mark: {} } ]'];
    const { call, out } = await runWithSiblings(chaosSuite(bot.url('audio-forever'), turns, ['call: 2s', 'recording: 1s']), bot.url('healthy'));
    assert.equal(call.status, 'failed');
    assert.equal(call.reason, 'the call ran into its hard time limit of 2.00s (limits.call) and was hung up');
    assert.ok(call.timeline.some((e) => e.dir === 'out' && e.kind === 'stop'), 'convotest hung up with a Twilio stop');
    assert.ok(call.timeline.some((e) => e.kind === 'limit' && e.summary.startsWith('recording stopped')));
    const recorded = decodeWav(await readFile(join(out, call.audio.call!)), 'call.wav');
    assert.equal(recorded.samples.length, 8000, 'call.wav holds exactly 1 s');
    for (const reply of call.audio.replies) {
      assert.ok(decodeWav(await readFile(join(out, reply)), reply).samples.length <= 8000, `${reply} stops at the cap`);
    }
  });
});

describe('chaos: hard limits from the command line', () => {
  test('--max-call-duration ends a call that never stops; siblings pass; exit 1', async () => {
    const dir = await tempDir('convotest-limits-');
    await writeFile(join(dir, 'a-chaos.yaml'), chaosSuite(bot.url('audio-forever'), ['- expect: [ { hangup: { within: 60s } } ]'], ['recording: 500ms']));
    await writeFile(join(dir, 'b-healthy.yaml'), healthySuite(bot.url('healthy')));
    const out = join(dir, 'reports');
    const cli = await runCli(['run', dir, '--out', out, '--max-call-duration', '2s', '--workers', '3']);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const chaos = report.suites.find((s: { name: string }) => s.name === 'Chaos').calls[0];
    assert.equal(chaos.reason, 'the call ran into its hard time limit of 2.00s (--max-call-duration) and was hung up');
    assert.deepEqual(
      report.suites.find((s: { name: string }) => s.name === 'Healthy').calls.map((c: { status: string }) => c.status),
      ['passed', 'passed'],
    );
    assert.match(cli.stdout, /hard time limit of 2\.00s \(--max-call-duration\)/);
    await readReports(out, report);
  });

  test('--max-run-duration ends the call in flight, skips the rest, warns in every report, exit 1', async () => {
    const dir = await tempDir('convotest-limits-');
    await writeFile(join(dir, 'a-healthy.yaml'), healthySuite(bot.url('healthy')));
    await writeFile(
      join(dir, 'b-slow.yaml'),
      ['name: Slow', `target: ${bot.url('never-answers')}`, 'calls:', ...['waits long', 'never started'].flatMap((name) => [`  - name: ${name}`, '    turns:', '      - expect: [ { hangup: { within: 60s } } ]']), ''].join('\n'),
    );
    const out = join(dir, 'reports');
    const cli = await runCli(['run', dir, '--out', out, '--max-run-duration', '8s', '--workers', '1']);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const calls = report.suites.flatMap((s: { calls: unknown[] }) => s.calls) as { name: string; status: string; reason?: string }[];
    assert.deepEqual(
      calls.map((c) => [c.name, c.status, c.reason]),
      [
        [HEALTHY_CALLS[0], 'passed', undefined],
        [HEALTHY_CALLS[1], 'passed', undefined],
        ['waits long', 'interrupted', 'the run reached its hard time limit of 8.00s (--max-run-duration) before this call finished'],
        ['never started', 'skipped', 'not run: the run reached its hard time limit of 8.00s (--max-run-duration) first'],
      ],
    );
    assert.equal(report.interrupted, false, 'a time limit is not a Ctrl-C');
    const warning = 'the run reached its hard time limit of 8.00s (--max-run-duration): calls still running were ended, the others not started';
    assert.ok(report.warnings.includes(warning), JSON.stringify(report.warnings));
    const { junit, html } = await readReports(out, report);
    assert.ok(junit.testsuites.testsuite[0].properties.property.some((p: { name: string; value: string }) => p.name === 'warning' && p.value === warning));
    assert.ok(html.includes(warning));
    assert.match(cli.stdout, /Warning: the run reached its hard time limit/);
  });
});
