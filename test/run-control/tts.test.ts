/**
 * `say:` turns: speech synthesised offline (espeak-ng, or a user's command), cached by text
 * and voice, checked at load time, and safe from shell injection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { findSpeech } from '../../src/audio/vad.ts';
import { powerDbfs } from '../../src/audio/noise.ts';
import { parseCommand } from '../../src/audio/tts/index.ts';
import { PromptError } from '../../src/engine/prompts.ts';
import { planRun } from '../../src/engine/run.ts';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { runCli } from '../helpers/cli.ts';
import { fakeTtsCommand, folderWith, HIDE_ESPEAK, logLines, readReports } from './helpers.ts';

async function plan(file: string, cache: string) {
  const suite = await loadSuiteFile(file);
  const planned = await planRun({ suites: [suite], outDir: join(cache, 'reports'), workers: 1, reporter: {}, ttsCacheDir: cache });
  return { suite, planned, prompts: [...planned.prompts.get(suite)!.values()] };
}

test('say: speaks the text with espeak-ng: audible speech of plausible length, cached, and not synthesised again', async () => {
  const dir = await folderWith({
    'suite.yaml': [
      'name: Spoken',
      'target: builtin:reference',
      'calls:',
      '  - name: orders',
      '    turns:',
      '      - user: { say: "I\'d like a large pepperoni" }',
      '      - user: { say: "I\'d like a large pepperoni" }', // the same line twice is one prompt
      '      - user: { say: "Yes", voice: en-gb }',
      '',
    ].join('\n'),
  });
  const cache = join(dir, 'cache');
  const first = await plan(join(dir, 'suite.yaml'), cache);
  assert.deepEqual(first.planned.speech, { synthesized: 2, cached: 0 });
  assert.equal(first.prompts.length, 2);
  const order = first.prompts.find((p) => p.durationMs > 1500)!;
  assert.equal(order.sampleRate, 8000, 'at the Twilio line rate');
  assert.ok(order.speech, 'speech is found in the synthesised audio');
  const spoken = order.speech.endMs - order.speech.startMs;
  // Five words at 165 words per minute: about two seconds, not a click and not a minute.
  assert.ok(spoken > 1000 && spoken < 3500, `speech lasts ${spoken} ms`);
  assert.ok(order.speech.startMs >= 100 && order.durationMs - order.speech.endMs >= 500, 'room before and after the words, as recorded prompts have');
  const from = Math.floor((order.speech.startMs * 8000) / 1000);
  const to = Math.floor((order.speech.endMs * 8000) / 1000);
  const level = powerDbfs(order.samples, from, to);
  assert.ok(level > -30 && level < -6, `speech level ${level.toFixed(1)} dBFS is a normal speaking level`);

  const files = (await readdir(cache)).filter((name) => name.endsWith('.wav'));
  assert.equal(files.length, 2, 'one cache file per text and voice');
  assert.ok(files.some((name) => name.startsWith('i-d-like-a-large-pepperoni-')), `readable names: ${files}`);
  const before = await Promise.all(files.map(async (name) => (await stat(join(cache, name))).mtimeMs));

  const second = await plan(join(dir, 'suite.yaml'), cache);
  assert.deepEqual(second.planned.speech, { synthesized: 0, cached: 2 }, 'the second run reads the cache');
  const after = await Promise.all(files.map(async (name) => (await stat(join(cache, name))).mtimeMs));
  assert.deepEqual(after, before, 'cache files are not rewritten');
  assert.deepEqual((await readdir(cache)).filter((name) => name.endsWith('.wav')).sort(), [...files].sort());
  const again = second.prompts.find((p) => p.durationMs > 1500)!;
  assert.deepEqual(again.speech, order.speech);
});

test('a say: turn against the reference bot: the bot hears it and replies, a second run synthesises nothing', async () => {
  const dir = await folderWith({
    'suite.yaml': [
      'name: Spoken',
      'target: builtin:reference',
      'calls:',
      '  - name: orders by text',
      '    turns:',
      '      - expect: [ { botSpeech: { within: 3s } } ]',
      '      - user: { say: "A large pepperoni, please." }',
      '        expect: [ { botSpeech: { within: 1500ms } } ]',
      '',
    ].join('\n'),
  });
  const cache = join(dir, 'tts');
  const runOnce = async () => {
    const out = join(dir, `out-${Date.now()}`);
    const result = await runCli(['run', join(dir, 'suite.yaml'), '--out', out, '--tts-cache', cache, '--no-audio']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    return readReports(out);
  };
  const { report } = await runOnce();
  const turn = report.suites[0].calls[0].turns[1];
  assert.match(turn.action, /^say "A large pepperoni, please\."$/);
  assert.equal(turn.anchor, 'speechEnd');
  assert.ok(turn.callerSpeech.end - turn.callerSpeech.start > 800, 'the caller spoke for a while');
  const [file] = await readdir(cache);
  const mtime = (await stat(join(cache, file!))).mtimeMs;
  await runOnce();
  assert.deepEqual(await readdir(cache), [file], 'no new cache entry');
  assert.equal((await stat(join(cache, file!))).mtimeMs, mtime, 'the cached speech was reused');
});

test('tts.command: the text is one argument however it is written, runs are cached, stdin and stdout work', async () => {
  const log = join(await folderWith({}), 'runs.log');
  const sneaky = `it's $(touch pwned); rm -rf / "quoted" \`echo hi\` | cat > x`;
  const dir = await folderWith({
    'suite.yaml': [
      'name: Command',
      'target: builtin:reference',
      `tts: { command: ${fakeTtsCommand(log)}, voice: robot }`,
      'calls:',
      '  - name: c',
      '    turns:',
      `      - user: { say: ${JSON.stringify(sneaky)} }`,
      '      - user: { say: "short" }',
      '',
    ].join('\n'),
  });
  const cache = join(dir, 'cache');
  const first = await plan(join(dir, 'suite.yaml'), cache);
  assert.deepEqual(first.planned.speech, { synthesized: 2, cached: 0 });
  const runs = await logLines(log);
  assert.equal(runs.length, 2);
  assert.equal(runs[0]!.argv.length, 3, `log, out and the text as exactly one argument: ${JSON.stringify(runs[0]!.argv)}`);
  assert.equal(runs[0]!.argv[2], sneaky, 'the text arrives verbatim');
  assert.match(runs[0]!.argv[1]!, /\.wav$/, '{out} is a WAV path');
  assert.deepEqual(await readdir(dir).then((names) => names.filter((n) => n === 'pwned' || n === 'x')), [], 'nothing the text "says" ran');
  const long = first.prompts.find((p) => p.durationMs > 2000)!;
  assert.ok(long.speech && long.speech.endMs - long.speech.startMs > 2500, 'the command output is used as the prompt');

  await plan(join(dir, 'suite.yaml'), cache);
  assert.equal((await logLines(log)).length, 2, 'the second run does not run the command');

  // Without {text} the text goes to stdin; without {out} the WAV comes from stdout.
  const log2 = join(dir, 'runs2.log');
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(
      join(dir, 'stdio.yaml'),
      ['name: Stdio', 'target: builtin:reference', `tts: { command: ${fakeTtsCommand(log2, '-', null)} }`, 'calls:', '  - name: c', '    turns:', '      - user: { say: "via stdin" }', ''].join('\n'),
    ),
  );
  const stdio = await plan(join(dir, 'stdio.yaml'), cache);
  assert.equal(stdio.planned.speech.synthesized, 1);
  assert.deepEqual((await logLines(log2)).map((run) => run.text), ['via stdin']);
  assert.ok(stdio.prompts[0]!.speech);
});

test('a failing TTS command or voice is reported before any call, with where the turn is', async () => {
  const log = join(await folderWith({}), 'runs.log');
  const dir = await folderWith({
    'suite.yaml': ['name: Bad', 'target: builtin:reference', `tts: { command: ${fakeTtsCommand(log)} }`, 'calls:', '  - name: c', '    turns:', '      - user: { say: "hello" }', ''].join('\n'),
    'voice.yaml': ['name: Voice', 'target: builtin:reference', 'calls:', '  - name: c', '    turns:', '      - user: { say: "hello", voice: xx-nowhere }', ''].join('\n'),
  });
  process.env.FAKE_TTS_FAIL = '1';
  try {
    const error = await plan(join(dir, 'suite.yaml'), join(dir, 'cache')).catch((e: unknown) => e);
    assert.ok(error instanceof PromptError, String(error));
    assert.match(error.message, /suite\.yaml:7:17: could not speak "hello": tts command `.*fake-tts\.mjs .*` exited with code 3: fake-tts: no voice called robot/);
  } finally {
    delete process.env.FAKE_TTS_FAIL;
  }
  const voice = await plan(join(dir, 'voice.yaml'), join(dir, 'cache')).catch((e: unknown) => e);
  assert.ok(voice instanceof PromptError, String(voice));
  assert.match(voice.message, /voice\.yaml:6:17: could not speak "hello": espeak-ng could not speak with voice "xx-nowhere": .*voice/);
  assert.deepEqual((await readdir(join(dir, 'cache'))).filter((n) => !n.startsWith('.')), [], 'nothing half-written is cached');
});

test('say: without any engine is a load-time error that says how to get one', async () => {
  const dir = await folderWith({
    'suite.yaml': ['name: No engine', 'target: builtin:reference', 'calls:', '  - name: c', '    turns:', '      - user: { say: "hello" }', ''].join('\n'),
  });
  // The real CLI, with module resolution of the optional package failing as when it is not installed.
  const result = await runCli(['validate', join(dir, 'suite.yaml')], { env: { NODE_OPTIONS: `--import ${HIDE_ESPEAK}` } });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /suite\.yaml:6:17: `say:` needs a speech synthesiser, and the built-in one \(the optional espeak-ng package\) is not installed: install it with `npm install espeak-ng` \(GPL-3\.0, optional\), or set `tts: \{ command: "…" \}`/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');

  // A command whose program is not there is caught at load time too, at the command.
  const missing = await folderWith({
    'suite.yaml': ['name: Missing', 'target: builtin:reference', 'tts:', '  command: "no-such-tts-program -o {out} {text}"', 'calls:', '  - name: c', '    turns:', '      - user: { say: "hello" }', ''].join('\n'),
  });
  const error = await loadSuiteFile(join(missing, 'suite.yaml')).catch((e: unknown) => e);
  assert.ok(error instanceof SuiteLoadError);
  assert.deepEqual(
    error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`),
    ['4:12: `tts.command`: program "no-such-tts-program" not found on PATH, so the `say:` turns cannot be spoken; install it or give its full path'],
  );
});

test('tts.command is split like a shell line but never run by one', () => {
  assert.deepEqual(parseCommand('say -v "Daniel Jones" -o {out} {text}'), { argv: ['say', '-v', 'Daniel Jones', '-o', '{out}', '{text}'] });
  assert.deepEqual(parseCommand(`tts --text='{text}' --x "a\\"b" c\\ d`), { argv: ['tts', '--text={text}', '--x', 'a"b', 'c d'] });
  assert.deepEqual(parseCommand(['piper', '--output_file', '{out}']), { argv: ['piper', '--output_file', '{out}'] });
  assert.match((parseCommand('piper --model m.onnx > {out}') as { error: string }).error, /without a shell, so `>` would not do what it does in a shell/);
  assert.match((parseCommand('tts {txt}') as { error: string }).error, /unknown placeholder \{txt\} in the command: use \{text\}, \{out\}, \{voice\}/);
  assert.match((parseCommand('say "unclosed') as { error: string }).error, /unclosed double quote/);
  assert.match((parseCommand('   ') as { error: string }).error, /empty/);
});

test('the speech span of a synthesised prompt is where its words are', async () => {
  // A plain check on the shaped output: speech found, and it is most of the file but not all of it.
  const dir = await folderWith({
    'suite.yaml': ['name: S', 'target: builtin:reference', 'calls:', '  - name: c', '    turns:', '      - user: { say: "Sorry, wait, stop." }', ''].join('\n'),
  });
  const { prompts } = await plan(join(dir, 'suite.yaml'), join(dir, 'cache'));
  const prompt = prompts[0]!;
  const found = findSpeech(prompt)!;
  assert.deepEqual(prompt.speech, found);
  assert.ok(found.endMs < prompt.durationMs - 500);
});
