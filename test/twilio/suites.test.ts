/**
 * The Twilio features as a suite uses them, through the engine (and the real CLI where the
 * reports matter): webhook targets, per-call options, compliance severities, "the bot never
 * answered", underruns and their bound, and the auth token kept out of every output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { run } from '../../src/engine/run.ts';
import type { CallResult } from '../../src/engine/results.ts';
import { twilioSignature } from '../../src/protocols/twilio/signature.ts';
import { startScriptedBot, type ScriptedConnection } from '../helpers/scripted-bot.ts';
import { ROOT, runCli, tempDir } from '../helpers/cli.ts';
import { startHttp, twiml } from './helpers.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

/** Writes the suite (its `target` and the lines after `calls:`) and runs it in-process; returns each call's result. */
async function runSuite(head: string[], calls: string[], env: Record<string, string> = {}): Promise<CallResult[]> {
  const dir = await tempDir();
  const file = join(dir, 'suite.yaml');
  await writeFile(file, ['name: Twilio', ...head, 'calls:', ...calls, ''].join('\n'));
  const suite = await loadSuiteFile(file, { env });
  const result = await run({ suites: [suite], outDir: join(dir, 'reports'), workers: 1, reporter: {}, recordAudio: false });
  return result.suites[0]!.calls;
}

/** A scripted bot that runs `script` once each call's start has arrived. */
async function scripted(t: { after(fn: () => unknown): void }, script: (connection: ScriptedConnection, streamSid: string) => void) {
  const bot = await startScriptedBot(async (connection) => {
    const { message } = await connection.waitFor((m) => m.event === 'start');
    script(connection, message.streamSid);
  });
  t.after(() => bot.close());
  return bot;
}

/** Loud μ-law (a square wave) the speech detector hears. */
const speech = (ms: number) => {
  const bytes = Buffer.alloc(ms * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(i / 10) % 2 ? 0x10 : 0x90;
  return bytes.toString('base64');
};

/**
 * 200 ms chunks every 300 ms: the buffer runs dry for ~100 ms between them. The 300 ms are
 * counted in the caller's 20 ms frames (one per playback slot), so a loaded machine that
 * delays timers cannot blur the gaps away.
 */
function choppy(chunks: number) {
  return (connection: ScriptedConnection, streamSid: string) => {
    let frames = 0;
    let sent = 0;
    connection.socket.on('message', (data) => {
      if (sent >= chunks || !String(data).includes('"event":"media"')) return;
      if (++frames % 15 !== 5) return;
      connection.send({ event: 'media', streamSid, media: { payload: speech(200) } });
      if (++sent === chunks) connection.send({ event: 'mark', streamSid, mark: { name: 'done' } });
    });
  };
}

test('a webhook target in a suite: TwiML first, then the stream, all on the timeline', async (t) => {
  const bot = await scripted(t, (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(300) } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'hello' } });
  });
  const hook = await startHttp(() => twiml(`<Say>Hi</Say><Connect><Stream url="${bot.url}"><Parameter name="tenant" value="t1"/></Stream></Connect>`));
  t.after(() => hook.close());
  const [call] = await runSuite([`target: ${hook.url}/voice`], ['  - name: greets', '    turns:', '      - expect: [ { botSpeech: { within: 3s } }, { mark: { name: hello } } ]']);
  assert.equal(call!.status, 'passed', call!.reason);
  const kinds = call!.timeline.map((e) => e.kind);
  assert.ok(kinds.indexOf('webhook') < kinds.indexOf('twiml') && kinds.indexOf('twiml') < kinds.indexOf('start'));
  assert.ok(call!.timeline.some((e) => e.summary === 'TwiML before the stream: <Say> "Hi" (not played)'));
  const start = call!.timeline.find((e) => e.kind === 'start')!.data as { start: { customParameters: Record<string, string> } };
  assert.deepEqual(start.start.customParameters, { tenant: 't1' });
});

test('a call’s own twilio block; signature: wrong expects the bot to refuse, and an accepting bot fails that call', async (t) => {
  const token = 'suite-token-abcdef0123456789';
  let refuse = true;
  const bot = await scripted(t, () => {});
  const hook = await startHttp((request) => {
    const valid = request.headers['x-twilio-signature'] === twilioSignature(token, `http://${request.headers['host']}${request.url}`, request.form);
    return valid || !refuse ? twiml(`<Connect><Stream url="${bot.url}"/></Connect>`) : { status: 403, type: 'text/plain', body: 'forged' };
  });
  t.after(() => hook.close());
  const head = [`target: ${hook.url}/voice`, 'twilio:', '  authToken: ${TOKEN}', '  parameters: { shared: "1" }'];
  const calls = [
    '  - name: signed',
    '    turns:',
    '      - expect: [ { message: { match: { event: never }, within: 200ms } } ]',
    '  - name: forged',
    '    twilio: { signature: wrong }',
    '    turns:',
    '      - expect: [ { hangup: { within: 2s, reason: "/refused .* HTTP 403/" } } ]',
  ];
  const [signed, forged] = await runSuite(head, calls, { TOKEN: token });
  assert.equal(signed!.status, 'failed', 'the signed call reached the bot (which then said nothing)');
  assert.match(signed!.reason!, /the bot never answered/);
  assert.equal(forged!.status, 'passed', forged!.reason);
  assert.ok(forged!.timeline.some((e) => e.kind === 'hangup' && /refused the wrongly signed webhook with HTTP 403/.test(e.summary)));

  refuse = false;
  const [, accepted] = await runSuite(head, calls, { TOKEN: token });
  assert.equal(accepted!.status, 'failed');
  assert.match(accepted!.reason!, /expected hangup matching .* within 2\.00s/);
});

test('compliance severities: warn is reported and passes, off is not recorded, error (the default) fails', async (t) => {
  const bot = await scripted(t, (connection, streamSid) => {
    connection.send('not json');
    connection.send({ event: 'mark', stream_sid: streamSid, mark: { name: 'snake' } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'ok' } });
  });
  const turns = ['    turns:', '      - expect: [ { mark: { name: ok } } ]'];
  const [relaxed] = await runSuite([`target: ${bot.url}`, 'compliance:', '  stream-sid-snake-case: warn', '  invalid-json: off'], ['  - name: relaxed', ...turns]);
  assert.equal(relaxed!.status, 'passed', relaxed!.reason);
  assert.equal(relaxed!.metrics.violations, 0);
  assert.equal(relaxed!.metrics.warnings, 1);
  const local = relaxed!.timeline.filter((e) => e.kind === 'violation').map((e) => e.summary);
  assert.deepEqual(local, ['protocol warning [stream-sid-snake-case]: bot mark uses `stream_sid`; Twilio expects `streamSid`']);
  const offending = relaxed!.timeline.find((e) => e.kind === 'violation')!.data as Record<string, unknown>;
  assert.deepEqual(offending, { event: 'mark', stream_sid: offending['stream_sid'], mark: { name: 'snake' } }, 'the offending message is on the violation');
  assert.match(String(offending['stream_sid']), /^MZ[0-9a-f]{32}$/);

  const [strict] = await runSuite([`target: ${bot.url}`], ['  - name: strict', ...turns]);
  assert.equal(strict!.status, 'failed');
  assert.equal(strict!.metrics.violations, 2);
  assert.match(strict!.reason!, /^2 protocol violations; first at .*: bot sent a frame that is not JSON/);
});

test('an unknown compliance rule or a signature with nothing to sign with is a suite error at its line', async () => {
  const dir = await tempDir();
  const file = join(dir, 'suite.yaml');
  await writeFile(
    file,
    ['name: Bad', 'target: ws://127.0.0.1:9/s', 'compliance:', '  after-clr: warn', 'twilio:', '  signature: valid', 'calls:', '  - name: c', '    turns: [ { user: { hangup: true } } ]', ''].join('\n'),
  );
  await assert.rejects(loadSuiteFile(file), (error: Error) => {
    assert.match(error.message, /suite\.yaml:4:3: unknown compliance rule `after-clr` — did you mean `after-clear`\?/);
    assert.match(error.message, /suite\.yaml:6:14: `signature: valid` needs `authToken`/);
    return true;
  });
});

test('underruns: a bot sending 200 ms chunks every 300 ms stutters 4 times in 5 chunks, per turn and per call, in every report', async (t) => {
  const bot = await scripted(t, choppy(5));
  const dir = await tempDir();
  const out = join(dir, 'reports');
  await writeFile(
    join(dir, 'suite.yaml'),
    [
      'name: Choppy',
      `target: ${bot.url}`,
      'calls:',
      '  - name: stutters',
      '    turns:',
      '      - expect: [ { botSpeech: { within: 3s } }, { mark: { name: done, within: 5s } } ]',
      '  - name: stutters within its bound',
      '    underruns: { max: 4, maxTotal: 2s }',
      '    turns:',
      '      - expect: [ { mark: { name: done, within: 5s } } ]',
      '  - name: must not stutter',
      '    underruns: { max: 0 }',
      '    turns:',
      '      - expect: [ { mark: { name: done, within: 5s } } ]',
      '',
    ].join('\n'),
  );
  const result = await runCli(['run', 'suite.yaml', '--out', out, '--no-audio', '--workers', '1'], { cwd: dir });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(report), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  const [stutters, bounded, strict] = report.suites[0].calls;
  for (const call of [stutters, bounded, strict]) {
    assert.equal(call.metrics.underruns.length, 4, `${call.name}: 4 gaps between 5 chunks`);
    assert.ok(call.metrics.underruns.every((ms: number) => ms > 0 && ms < 300 && ms % 20 === 0), call.metrics.underruns.join(','));
    assert.equal(call.turns[0].metrics.underruns, 4);
    assert.equal(call.botSpeech.length, 1, 'one reply, not five');
  }
  assert.equal(stutters.status, 'passed');
  assert.equal(bounded.status, 'passed');
  assert.equal(strict.status, 'failed');
  assert.match(strict.reason, /^the bot's audio ran dry 4 times inside its replies \(\d+ms of silence in all, first at \S+\); at most 0 allowed \(underruns at suite\.yaml:12:16\)$/);

  const junit = xml.parse(await readFile(join(out, 'junit.xml'), 'utf8'));
  const props = Object.fromEntries(junit.testsuites.testsuite[0].testcase[0].properties.property.map((p: { name: string; value: string }) => [p.name, Number(p.value)]));
  assert.equal(props['underruns'], 4);
  assert.equal(props['underruns.turn1'], 4);
  assert.equal(props['underrunMs'], stutters.metrics.underruns.reduce((a: number, b: number) => a + b, 0));
  assert.match(result.stdout, /✓ Choppy › stutters .*· 4 underruns \(\d+ms\)/);
});

test('a bot that answers in real time has no underruns', async (t) => {
  const bot = await scripted(t, (connection, streamSid) => {
    connection.send({ event: 'media', streamSid, media: { payload: speech(1000) } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'done' } });
  });
  const [call] = await runSuite([`target: ${bot.url}`, 'defaults: { underruns: { max: 0 } }'], ['  - name: smooth', '    turns:', '      - expect: [ { mark: { name: done, within: 3s } } ]']);
  assert.equal(call!.status, 'passed', call!.reason);
  assert.deepEqual(call!.metrics.underruns, []);
});

test('the auth token never reaches the console, report.json, junit.xml or the timeline', async (t) => {
  const token = 'sekrit-7c1d2e3f4a5b6c7d8e9f';
  const bot = await scripted(t, (connection, streamSid) => connection.send({ event: 'mark', streamSid, mark: { name: 'x' } }));
  const hook = await startHttp(() => twiml(`<Connect><Stream url="${bot.url}"/></Connect>`));
  t.after(() => hook.close());
  const dir = await tempDir();
  const out = join(dir, 'reports');
  await writeFile(
    join(dir, 'suite.yaml'),
    [
      'name: Secret',
      `target: ${hook.url}/voice`,
      'twilio: { authToken: "${TWILIO_AUTH_TOKEN}", restApi: true, statusCallback: "' + hook.url + '/status" }',
      'calls:',
      '  - name: signed',
      '    turns: [ { expect: [ { mark: { name: nope, within: 300ms } } ] } ]',
      '',
    ].join('\n'),
  );
  const result = await runCli(['run', 'suite.yaml', '--out', out, '--no-audio', '--verbose'], { cwd: dir, env: { TWILIO_AUTH_TOKEN: token } });
  assert.equal(result.code, 1, 'the call fails, so every failure path prints');
  assert.ok(hook.requests.some((r) => r.headers['x-twilio-signature'] === twilioSignature(token, `${hook.url}/voice`, r.form)), 'the token was used');
  for (const [name, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
    ['report.json', await readFile(join(out, 'report.json'), 'utf8')],
    ['junit.xml', await readFile(join(out, 'junit.xml'), 'utf8')],
  ] as const) {
    assert.ok(!text.includes(token), `${name} does not contain the token`);
  }
});
