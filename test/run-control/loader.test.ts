/** The run-control keys in suites: how they load, and the errors for what cannot work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { fakeTtsCommand, folderWith } from './helpers.ts';

async function problems(yaml: string, files: Record<string, string> = {}): Promise<string[]> {
  const dir = await folderWith({ 'suite.yaml': yaml, ...files });
  const error = await loadSuiteFile(join(dir, 'suite.yaml')).then(
    () => assert.fail('expected the suite to be rejected'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SuiteLoadError, String(error));
  return error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
}

const head = ['name: t', 'target: builtin:reference'];
const oneCall = (...turnLines: string[]) => [...head, 'calls:', '  - name: c', '    turns:', ...turnLines.map((l) => `      ${l}`), ''].join('\n');

test('say:, voice and tts: load into the model', async () => {
  const log = join(await folderWith({}), 'log');
  const dir = await folderWith({
    'suite.yaml': [
      ...head,
      'tts:',
      `  command: ${fakeTtsCommand(log)}`,
      '  voice: robot',
      '  rate: 180',
      'tags: [speech]',
      'calls:',
      '  - name: c',
      '    only: true',
      '    skip: true',
      '    retries: 1',
      '    repeat: 5',
      '    turns:',
      '      - user: { say: "Large pepperoni", voice: en-gb }',
      '      - user: { say: "Stop", bargeIn: 300ms }',
      '',
    ].join('\n'),
  });
  const file = join(dir, 'suite.yaml');
  const suite = await loadSuiteFile(file);
  const at = (line: number, col: number) => ({ file, line, col });
  assert.deepEqual(suite.tts, { command: JSON.parse(fakeTtsCommand(log)), voice: 'robot', wordsPerMinute: 180, pos: at(4, 3) });
  const call = suite.calls[0]!;
  assert.deepEqual(call.turns[0]!.user, { kind: 'say', text: 'Large pepperoni', voice: 'en-gb', pos: at(15, 17) });
  assert.equal(call.turns[1]!.user!.kind, 'say');
  assert.ok((call.turns[1]!.user as { bargeIn?: unknown }).bargeIn, 'say: can barge in like audio');
  assert.deepEqual([call.only, call.skip, call.retries, call.repeat], [at(10, 5), { pos: at(11, 5) }, 1, 5]);
  assert.equal(suite.only, undefined);
});

test('keys that only make sense with some actions say which', async () => {
  assert.deepEqual(await problems(oneCall('- user: { dtmf: "1", bargeIn: 300ms, noise: { type: white, snr: 10 } }', '- user: { silence: 1s, voice: en-gb }')), [
    "6:28: `bargeIn` only works with `audio` or `say`: it delays the caller's speech to talk over the bot",
    '6:44: `noise` only works with `audio`, `say` or `silence`: it is mixed under what the caller sends',
    '7:30: `voice` only works with `say`: it picks the voice the text is spoken in',
  ]);
  assert.deepEqual(await problems(oneCall('- user: { say: "hi", dtmf: "1" }', '- user: {}')), [
    '6:15: `user` takes one action, got `say` and `dtmf`: put them in separate turns',
    '7:15: `user` needs one action: `audio`, `say`, `dtmf`, `silence` or `hangup`',
  ]);
});

test('noise must say what and how loud', async () => {
  const turn = (noise: string) => oneCall(`- user: { silence: 1s, noise: ${noise} }`);
  assert.deepEqual(await problems(turn('{ type: pink }')), ['6:37: `noise` needs `snr` (how far below the caller\'s speech, like "10dB") or `level` (like "-45dBFS")']);
  assert.deepEqual(await problems(turn('{ snr: 10dB }')), ['6:37: `noise` needs `type` (white, pink or brown) or `file` (a WAV recording of noise)']);
  assert.deepEqual(await problems(turn('{ type: pink, file: n.wav, snr: 3 }'), { 'n.wav': 'RIFF' }), ['6:37: `noise` takes `type` (generated noise) or `file` (a recording), not both']);
  assert.deepEqual(await problems(turn('{ type: pink, snr: 3, level: "-40dBFS" }')), ["6:37: `noise` takes `snr` (relative to the caller's speech) or `level` (absolute), not both"]);
  assert.deepEqual(await problems(turn('{ type: purple, snr: "10 decibels" }')), [
    '6:45: `type` must be one of white, pink, brown, got "purple"',
    '6:58: `snr` must be decibels like "10dB" (or a number), got "10 decibels"',
  ]);
  assert.deepEqual(await problems(turn('{ type: white, level: "-45dB" }')), ['6:59: `level` must be a level below full scale like "-45dBFS" (or a negative number), got "-45dB"']);
  const missing = await problems(turn('{ file: missing.wav, snr: 5 }'));
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /^6:45: audio file not found: .*missing\.wav \(paths are relative to the suite's folder\)$/);
});

test('tts.command mistakes are caught when the suite loads', async () => {
  const say = ['calls:', '  - name: c', '    turns:', '      - user: { say: "hi" }', ''];
  assert.deepEqual(await problems([...head, 'tts: { command: "piper --model m.onnx > {out}" }', ...say].join('\n')), [
    '3:17: `tts.command`: the command runs one program without a shell, so `>` would not do what it does in a shell: use {out} (or write the WAV to stdout) instead of redirection, or put the pipeline in a script and run that',
  ]);
  assert.deepEqual(await problems([...head, `tts: { command: ${JSON.stringify([process.execPath, '{voice}.js'])} }`, ...say].join('\n')), [
    '7:17: `tts.command` uses {voice}, but this turn has no voice: set `tts.voice` or `voice:` on the turn',
  ]);
  assert.deepEqual(await problems([...head, 'tts: { comand: "say {text}" }', ...say].join('\n')), ['3:8: unknown key `comand` — did you mean `command`?']);
});

test('run-policy and focus keys are checked', async () => {
  const call = (...lines: string[]) => [...head, 'calls:', '  - name: c', ...lines.map((l) => `    ${l}`), '    turns: [ { user: { hangup: true } } ]', ''].join('\n');
  assert.deepEqual(await problems(call('retries: -1', 'repeat: 0', 'minPassRate: 1.5')), [
    '5:14: `retries` must be a whole number from 0 to 10, got -1',
    '6:13: `repeat` must be a whole number from 1 to 1000, got 0',
    '7:18: `minPassRate` must be a share from 0 to 1 like 0.9, or a percentage like "90%", got 1.5',
  ]);
  assert.deepEqual(await problems(call('minPassRate: "150%"')), ['5:18: `minPassRate` cannot be more than 100%, got "150%"']);
  assert.deepEqual(await problems(call('only: "yes"', 'skip: ""')), ['5:11: `only` must be true or false, got "yes"', '6:11: `skip` must not be empty']);
});
