/**
 * Flaky calls: --retries (a pass on a retry is flaky, not passed), --fail-on-flaky, --repeat
 * with a pass rate and minPassRate, and how attempts land in the console, JSON and JUnit.
 * The bot is scripted to fail chosen connections, so which attempt fails is known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CallAttempts, policyFor } from '../../src/engine/attempts.ts';
import type { CallResult } from '../../src/engine/results.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { runCli } from '../helpers/cli.ts';
import { startScriptedBot, type ScriptedBot } from '../helpers/scripted-bot.ts';
import { folderWith, readReports, speechPayload } from './helpers.ts';

/** Speaks on connections for which `speaks(n)` (0-based) is true, stays silent on the others. */
async function botThat(speaks: (connection: number) => boolean): Promise<ScriptedBot> {
  let count = 0;
  return startScriptedBot(async (connection) => {
    const n = count++;
    const { message } = await connection.waitFor((m) => m.event === 'start');
    if (speaks(n)) connection.send({ event: 'media', streamSid: message.streamSid, media: { payload: speechPayload(200) } });
  });
}

async function suiteFor(url: string, callExtra: string[] = []): Promise<{ dir: string; file: string }> {
  const dir = await folderWith({});
  const file = join(dir, 'suite.yaml');
  await writeFile(
    file,
    ['name: Flaky line', `target: ${url}`, 'calls:', '  - name: greets', ...callExtra.map((l) => `    ${l}`), '    turns:', '      - expect: [ { botSpeech: { within: 1s } } ]', ''].join('\n'),
  );
  return { dir, file };
}

test('--retries: a call that passes on its second attempt is flaky, with both attempts in every report', async () => {
  const bot = await botThat((n) => n >= 1);
  try {
    const { dir, file } = await suiteFor(bot.url);
    const out = join(dir, 'out');
    const result = await runCli(['run', file, '--out', out, '--retries', '2', '--workers', '1']);
    assert.equal(result.code, 0, `flaky passes the run by default\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /↻ Flaky line › greets: attempt 1 failed, retrying — .*turn 1 \(wait\): expected botSpeech within 1\.00s/);
    assert.match(result.stdout, /⚠ Flaky line › greets flaky \(/);
    assert.match(result.stdout, /passed on a retry: 1 of 2 attempts failed; attempt 1 failed: .*turn 1 \(wait\)/);
    assert.match(result.stdout, /0 passed, 1 flaky \(1 call\)/);
    assert.equal(bot.connections.length, 2, 'no third attempt after a pass');

    const { junit, report } = await readReports(out);
    const call = report.suites[0].calls[0];
    assert.equal(call.status, 'flaky');
    assert.deepEqual(
      call.attempts.map((a: any) => [a.attempt, a.repetition, a.retry, a.status]),
      [
        [1, 1, 0, 'failed'],
        [2, 1, 1, 'passed'],
      ],
    );
    assert.match(call.attempts[0].reason, /expected botSpeech within 1\.00s/);
    assert.deepEqual(call.turns.map((t: any) => t.status), ['passed'], 'the call shows the attempt that passed');
    assert.match(call.audio.call, /greets\/attempt-2\/call\.wav$/, "the deciding attempt's recording");
    assert.match(call.attempts[0].audio, /greets\/call\.wav$/);
    assert.deepEqual(call.attemptStats, { attempts: 2, passed: 1, passRate: 0.5, responseLatency: { count: 0 } });
    assert.deepEqual([report.summary.passed, report.summary.flaky, report.summary.failed], [0, 1, 0]);

    const suite = junit.testsuites.testsuite[0];
    assert.deepEqual([suite.tests, suite.failures, suite.errors], ['1', '0', '0']);
    const testcase = suite.testcase[0];
    assert.equal(testcase.failure, undefined, 'a flaky call is not a failure');
    assert.equal(testcase.flakyFailure.length, 1);
    assert.match(testcase.flakyFailure[0].message, /^attempt 1: .*turn 1 \(wait\): expected botSpeech/);
    assert.match(testcase.flakyFailure[0]['system-out'], /\[\[ATTACHMENT\|.*greets\/call\.wav\]\]/);
    const props = Object.fromEntries(testcase.properties.property.map((p: any) => [p.name, p.value]));
    assert.deepEqual([props.flaky, props.attempts, props.passedAttempts, props.passRate], ['true', '2', '1', '0.5']);

  } finally {
    await bot.close();
  }
  const again = await botThat((n) => n >= 1);
  try {
    const { dir, file } = await suiteFor(again.url);
    const strict = await runCli(['run', file, '--out', join(dir, 'strict'), '--retries', '1', '--fail-on-flaky', '--no-audio']);
    assert.equal(strict.code, 1, `--fail-on-flaky makes a flaky call fail the run\n${strict.stdout}`);
    assert.match(strict.stdout, /0 passed, 1 flaky/);
  } finally {
    await again.close();
  }
});

test('without retries the first failure fails the call; with retries used up, every failed attempt is reported', async () => {
  const bot = await botThat(() => false);
  try {
    const { dir, file } = await suiteFor(bot.url);
    const once = await runCli(['run', file, '--out', join(dir, 'once'), '--no-audio']);
    assert.equal(once.code, 1);
    const single = (await readReports(join(dir, 'once'))).report.suites[0].calls[0];
    assert.equal(single.status, 'failed');
    assert.equal(single.attempts.length, 1);
    assert.equal(single.attemptStats, undefined);
    assert.equal(bot.connections.length, 1);

    const out = join(dir, 'retried');
    const retried = await runCli(['run', file, '--out', out, '--retries', '2', '--no-audio']);
    assert.equal(retried.code, 1);
    assert.equal(retried.stdout.match(/↻ Flaky line › greets: attempt \d failed, retrying/g)?.length, 2);
    assert.equal(bot.connections.length, 4, 'three more attempts: the first and two retries');
    const { junit, report } = await readReports(out);
    const call = report.suites[0].calls[0];
    assert.equal(call.status, 'failed');
    assert.deepEqual(call.attempts.map((a: any) => `${a.attempt}:${a.retry}:${a.status}`), ['1:0:failed', '2:1:failed', '3:2:failed']);
    assert.match(call.reason, /^failed all 3 attempts \(pass rate 0%\); attempt 3: .*turn 1 \(wait\): expected botSpeech/);
    const testcase = junit.testsuites.testsuite[0].testcase[0];
    assert.ok(testcase.failure, 'the deciding attempt is the <failure>');
    assert.deepEqual(testcase.rerunFailure.map((f: any) => f.message.slice(0, 9)), ['attempt 1', 'attempt 2']);
  } finally {
    await bot.close();
  }
});

test('--repeat runs every call N times and reports a pass rate; minPassRate (flag or YAML) decides', async () => {
  const bot = await botThat((n) => n % 2 === 0);
  try {
    const { dir, file } = await suiteFor(bot.url);
    const out = join(dir, 'repeat');
    const all = await runCli(['run', file, '--out', out, '--repeat', '4', '--no-audio']);
    assert.equal(all.code, 1, 'by default every repetition must pass');
    assert.match(all.stdout, /✗ Flaky line › greets \(.*\) · 2\/4 attempts passed \(50%\)\n/);
    const { report } = await readReports(out);
    const call = report.suites[0].calls[0];
    assert.equal(call.status, 'failed');
    assert.match(call.reason, /^2 of 4 runs failed \(pass rate 50%\); attempt \d: /);
    assert.deepEqual(call.attempts.map((a: any) => a.repetition).sort(), [1, 2, 3, 4]);
    assert.equal(call.attempts.filter((a: any) => a.status === 'passed').length, 2);
    assert.deepEqual([call.attemptStats.attempts, call.attemptStats.passed, call.attemptStats.passRate], [4, 2, 0.5]);
    assert.equal(call.attemptStats.minPassRate, undefined);

    const lenient = await runCli(['run', file, '--out', join(dir, 'lenient'), '--repeat', '4', '--min-pass-rate', '50%', '--no-audio']);
    assert.equal(lenient.code, 0, lenient.stdout);
    const flaky = (await readReports(join(dir, 'lenient'))).report.suites[0].calls[0];
    assert.equal(flaky.status, 'flaky');
    assert.match(flaky.reason, /^passed 2 of 4 attempts \(50%\), within minPassRate 50%; attempt \d failed: /);
    assert.equal(flaky.attemptStats.minPassRate, 0.5);

    // The same gate written in the suite; the command line still sets the repeat count.
    const gated = await suiteFor(bot.url, ['minPassRate: "75%"']);
    const strict = await runCli(['run', gated.file, '--out', join(gated.dir, 'out'), '--repeat', '4', '--no-audio']);
    assert.equal(strict.code, 1);
    const failed = (await readReports(join(gated.dir, 'out'))).report.suites[0].calls[0];
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason, /^passed 2 of 4 attempts \(50%\), below minPassRate 75%; last failure \(attempt \d\): .*turn 1/);
  } finally {
    await bot.close();
  }
});

/** A finished attempt as runCall would return it. */
function attempt(status: CallResult['status'], latency: number[] = [], reason?: string): CallResult {
  return {
    suite: 's',
    name: 'c',
    location: 's.yaml:1:1',
    status,
    ...(reason ? { reason } : {}),
    startedAt: new Date().toISOString(),
    durationMs: 100,
    turns: [],
    botSpeech: [],
    metrics: { responseLatency: latency, firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 0, violations: 0 },
    timeline: [],
    audio: { replies: [] },
  };
}

/** Runs attempts in order: `outcomes[repetition]` lists each try's status. */
function play(policy: ConstructorParameters<typeof CallAttempts>[0], outcomes: CallResult['status'][][]) {
  const attempts = new CallAttempts(policy);
  const queue = attempts.initial();
  const tries = outcomes.map((list) => [...list]);
  while (queue.length > 0) {
    const slot = queue.shift()!;
    attempts.start(slot);
    const status = tries[slot.repetition - 1]!.shift() ?? 'passed';
    const retry = attempts.record(slot, attempt(status, [100 * slot.attempt!], status === 'passed' ? undefined : `try ${slot.attempt}`), true);
    if (retry) queue.unshift(retry);
  }
  assert.ok(attempts.done);
  return attempts.combine();
}

test('how attempts add up: passed, flaky, failed, errored, and the pass rate gate', () => {
  assert.equal(play({ retries: 0, repeat: 1 }, [['passed']]).status, 'passed');
  assert.equal(play({ retries: 0, repeat: 1 }, [['passed']]).attemptStats, undefined, 'stats only with more than one attempt');
  assert.equal(play({ retries: 0, repeat: 1 }, [['errored']]).status, 'errored');
  assert.equal(play({ retries: 2, repeat: 1 }, [['errored', 'passed']]).status, 'flaky', 'an error then a pass is flaky too');
  const flaky = play({ retries: 3, repeat: 2 }, [['passed'], ['failed', 'failed', 'passed']]);
  assert.equal(flaky.status, 'flaky');
  assert.deepEqual(flaky.attempts!.map((a) => `${a.repetition}.${a.retry}:${a.status}`), ['1.0:passed', '2.0:failed', '2.1:failed', '2.2:passed']);
  assert.equal(flaky.attemptStats!.passRate, 0.5);
  assert.deepEqual(flaky.attemptStats!.responseLatency, { count: 4, p50: 200, p95: 400, p99: 400, max: 400 }, 'latency over every attempt');
  assert.match(flaky.reason!, /^passed on a retry: 2 of 4 attempts failed; attempt 2 failed: try 2/);

  const failed = play({ retries: 1, repeat: 3 }, [['passed'], ['failed', 'failed'], ['passed']]);
  assert.equal(failed.status, 'failed');
  assert.match(failed.reason!, /^1 of 3 runs failed \(pass rate 50%\); attempt 3: try 3$/);

  assert.equal(play({ retries: 0, repeat: 10, minPassRate: 0.9 }, [['failed'], ...Array(9).fill(['passed'])]).status, 'flaky');
  const below = play({ retries: 0, repeat: 10, minPassRate: 0.9 }, [['failed'], ['failed'], ...Array(8).fill(['passed'])]);
  assert.equal(below.status, 'failed');
  assert.match(below.reason!, /^passed 8 of 10 attempts \(80%\), below minPassRate 90%; last failure \(attempt 2\): try 2$/);
  assert.equal(play({ retries: 0, repeat: 3, minPassRate: 0.5 }, [['passed'], ['passed'], ['passed']]).status, 'passed');
});

test('an interrupted run reports a partly repeated call as interrupted', () => {
  const attempts = new CallAttempts({ retries: 0, repeat: 3 });
  const [first] = attempts.initial();
  attempts.start(first!);
  attempts.record(first!, attempt('passed'), true);
  assert.equal(attempts.done, false);
  const partial = attempts.combine(false);
  assert.equal(partial.status, 'interrupted');
  assert.match(partial.reason!, /the run stopped after 1 of 3 runs of this call/);
});

test('the command line overrides the call, the call the suite defaults', async () => {
  const dir = await folderWith({
    'suite.yaml': [
      'name: P',
      'target: builtin:reference',
      'defaults: { retries: 2, repeat: 3, minPassRate: 0.8 }',
      'calls:',
      '  - name: own',
      '    retries: 1',
      '    minPassRate: "95%"',
      '    turns: [ { user: { hangup: true } } ]',
      '  - name: inherits',
      '    turns: [ { user: { hangup: true } } ]',
      '',
    ].join('\n'),
  });
  const suite = await loadSuiteFile(join(dir, 'suite.yaml'));
  const { retries, repeat, minPassRate } = suite.defaults;
  assert.deepEqual({ retries, repeat, minPassRate }, { retries: 2, repeat: 3, minPassRate: 0.8 });
  const [own, inherits] = suite.calls;
  assert.deepEqual(policyFor(suite, own!), { retries: 1, repeat: 3, minPassRate: 0.95 });
  assert.deepEqual(policyFor(suite, inherits!), { retries: 2, repeat: 3, minPassRate: 0.8 });
  assert.deepEqual(policyFor(suite, own!, { repeat: 1, retries: 0 }), { retries: 0, repeat: 1, minPassRate: 0.95 });
});

test('a repeated call shows its pass rate and latency distribution in the console and JUnit', async () => {
  const { formatCallLine, renderJUnit } = await import('../../src/report/index.ts');
  const call = play({ retries: 0, repeat: 4, minPassRate: 0.75 }, [['passed'], ['failed'], ['passed'], ['passed']]);
  assert.equal(call.status, 'flaky');
  assert.equal(formatCallLine(call, false).replace(/\(\d+ms\)/, '(…)'), '  ⚠ s › c flaky (…) · 3/4 attempts passed (75%) · latency p50 200ms · p95 400ms · max 400ms (n=4)');
  const xmlText = renderJUnit(
    {
      tool: { name: 'convotest', version: '0' },
      startedAt: call.startedAt,
      durationMs: 1,
      interrupted: false,
      suites: [{ file: 's.yaml', name: 's', protocol: 'twilio', target: 'ws://x', calls: [call] }],
      summary: { total: 1, passed: 0, failed: 0, errored: 0, interrupted: 0, skipped: 0, flaky: 1, responseLatency: { count: 0 } },
      exitCode: 0,
    },
    '/reports',
  );
  for (const property of ['attempts" value="4"', 'passedAttempts" value="3"', 'passRate" value="0.75"', 'minPassRate" value="0.75"', 'flaky" value="true"', 'responseLatency.p95" value="400"']) {
    assert.ok(xmlText.includes(`name="${property}`), `${property} in\n${xmlText}`);
  }
  assert.match(xmlText, /<flakyFailure message="attempt 2: try 2" type="expectation">/);
  assert.doesNotMatch(xmlText, /<failure/);
});
