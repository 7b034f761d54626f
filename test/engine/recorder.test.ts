/**
 * The call recorder on a real disk: reply WAVs hold the bot's frames, a long call does not
 * pile up finished file work, and a reply file that cannot be written fails close() — never
 * an unhandled rejection in between.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeWav } from '../../src/audio/wav-read.ts';
import { CallRecorder } from '../../src/engine/recorder.ts';
import { run } from '../../src/engine/run.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';
import { speech } from './scripted-call.ts';

const SLOT = 160;
const loud = new Int16Array(SLOT).fill(8000);

/** Reply file work the recorder still holds on to. */
const held = (recorder: CallRecorder) => (recorder as unknown as { writes: Set<unknown> }).writes.size;

/** Waits (generously) for the recorder's file work to finish; false if it is still held after that. */
async function settle(recorder: CallRecorder): Promise<boolean> {
  for (let i = 0; i < 500 && held(recorder) > 0; i++) await sleep(10);
  return held(recorder) === 0;
}

test('each reply gets its own WAV; finished reply files are not held until close', async () => {
  const dir = join(await tempDir(), 'call');
  const recorder = await CallRecorder.open(dir, 8000);
  for (let reply = 1; reply <= 12; reply++) {
    recorder.startReply(reply);
    for (let slot = 0; slot < reply; slot++) recorder.frame(null, loud, SLOT);
    recorder.endReply();
    // Only work still under way is kept: a reply that has been written leaves nothing behind.
    assert.ok(await settle(recorder), `reply ${reply}: ${held(recorder)} finished writes still held`);
  }
  await recorder.close();
  assert.equal(recorder.replyFiles.length, 12);
  const twelfth = decodeWav(await readFile(recorder.replyFiles[11]!), recorder.replyFiles[11]!);
  assert.equal(twelfth.samples.length, 12 * SLOT, 'the twelfth reply holds its twelve slots');
  assert.equal(decodeWav(await readFile(recorder.callFile), recorder.callFile).samples.length, (12 * 13) / 2 * SLOT, "call.wav holds every slot");
});

test('a reply file that cannot be written fails close(), and the rejection is not left unhandled', async () => {
  const dir = join(await tempDir(), 'call');
  const recorder = await CallRecorder.open(dir, 8000);
  // The folder disappears under the recorder: the reply WAV cannot be created.
  await rm(dir, { recursive: true, force: true });
  recorder.startReply(1);
  recorder.frame(null, loud, SLOT);
  recorder.endReply();
  // The open fails now, long before close(): it used to be an unhandled rejection, which ends the process.
  await sleep(300);
  recorder.startReply(2);
  recorder.endReply();
  await sleep(300);
  await assert.rejects(recorder.close(), (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.message.includes('reply-01.wav'));
});

test('a call whose audio cannot be saved keeps what it found, and errors naming the file', async () => {
  const dir = await tempDir();
  const out = join(dir, 'reports');
  const callAudio = join(out, 'audio', 'lost-audio', 'greets');
  const bot = await startScriptedBot(async (connection) => {
    const { message } = await connection.waitFor((m) => m.event === 'start');
    // The recording folder goes away before the bot's first reply: reply-01.wav cannot be created.
    await rm(callAudio, { recursive: true, force: true });
    connection.send({ event: 'media', streamSid: message.streamSid, media: { payload: speech(300) } });
    connection.send({ event: 'mark', streamSid: message.streamSid, mark: { name: 'done' } });
  });
  try {
    const file = join(dir, 'suite.yaml');
    await writeFile(file, ['name: Lost audio', `target: ${bot.url}`, 'calls:', '  - name: greets', '    turns:', '      - expect: [ { botSpeech: { within: 3s } }, { mark: { name: done } } ]', ''].join('\n'));
    const result = await run({ suites: [await loadSuiteFile(file)], outDir: out, workers: 1, reporter: {} });
    const call = result.suites[0]!.calls[0]!;
    assert.equal(call.status, 'errored');
    assert.match(call.reason!, /^the call passed, but its audio could not be saved: ENOENT: .*reply-01\.wav/);
    assert.deepEqual(call.turns[0]!.expectations.map((e) => e.status), ['passed', 'passed'], 'the turns are still reported');
    assert.equal(result.exitCode, 1);
  } finally {
    await bot.close();
  }
});
