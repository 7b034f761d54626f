/**
 * No-input: a `silence:` turn's expectations count from the start of the turn, so "the bot
 * reprompts within 3 s of the caller going quiet" is one line of YAML.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../src/engine/run.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';
import { folderWith, speechPayload } from './helpers.ts';

/** A bot that greets at once, then reprompts 2.5 s after the caller's silence begins (here: after the greeting's mark). */
async function repromptingBot() {
  return startScriptedBot(async (connection) => {
    const { message } = await connection.waitFor((m) => m.event === 'start');
    const streamSid = message.streamSid;
    connection.send({ event: 'media', streamSid, media: { payload: speechPayload(300) } });
    connection.send({ event: 'mark', streamSid, mark: { name: 'greeting' } });
    await connection.waitFor((m) => m.event === 'mark' && m.mark.name === 'greeting');
    setTimeout(() => {
      if (connection.socket.readyState !== connection.socket.OPEN) return;
      connection.send({ event: 'media', streamSid, media: { payload: speechPayload(300) } });
      connection.send({ event: 'mark', streamSid, mark: { name: 'reprompt' } });
    }, 2500);
  });
}

async function runSuite(url: string, within: string) {
  const dir = await folderWith({});
  const file = join(dir, 'suite.yaml');
  await writeFile(
    file,
    [
      'name: No input',
      `target: ${url}`,
      'calls:',
      '  - name: reprompts',
      '    turns:',
      '      - expect: [ { botSpeech: { within: 2s } }, { mark: { name: greeting } } ]',
      '      - user: { silence: 2s }',
      `        expect: [ { botSpeech: { within: ${within} } }, { mark: { name: reprompt } } ]`,
      '',
    ].join('\n'),
  );
  const suite = await loadSuiteFile(file);
  const result = await run({ suites: [suite], outDir: join(dir, 'out'), workers: 1, reporter: {}, recordAudio: false });
  return result.suites[0]!.calls[0]!;
}

test('the bot reprompts within the window of a silence turn, counted from the start of the turn', async () => {
  const bot = await repromptingBot();
  try {
    const call = await runSuite(bot.url, '4s');
    assert.equal(call.status, 'passed', call.reason);
    const turn = call.turns[1]!;
    assert.equal(turn.action, 'silence 2.00s');
    assert.equal(turn.anchor, 'turnStart');
    assert.equal(turn.anchorAt, turn.startedAt);
    assert.equal(turn.callerSpeech, undefined, 'silence is not caller speech');
    const reprompt = turn.expectations[0]!;
    assert.equal(reprompt.status, 'passed');
    assert.ok(reprompt.matchedAt! > turn.startedAt && reprompt.latency! > 0, 'heard during the silence turn, measured from its start');
    assert.equal(turn.expectations[1]!.status, 'passed', 'the reprompt mark follows');
  } finally {
    await bot.close();
  }
});

test('a reprompt that comes too late fails, naming the start of the turn as the anchor', async () => {
  const bot = await repromptingBot();
  try {
    const call = await runSuite(bot.url, '1500ms');
    assert.equal(call.status, 'failed');
    assert.match(call.reason!, /^turn 2 \(silence 2\.00s\): expected botSpeech within 1\.50s of the start of the turn/);
    assert.equal(call.turns[1]!.expectations[0]!.status, 'failed');
  } finally {
    await bot.close();
  }
});
