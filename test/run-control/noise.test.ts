/**
 * Caller noise: mixed at the SNR asked for, the caller's speech end still found under it,
 * inherited suite → call → turn, and sent on the wire (also in place of silence).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mulawDecode } from '../../src/audio/g711.ts';
import { generateNoise, loopNoise, mixNoise, NOMINAL_SPEECH_DBFS, powerDbfs, speechLevelDbfs, type NoiseColor } from '../../src/audio/noise.ts';
import { findSpeech } from '../../src/audio/vad.ts';
import { loadPrompt } from '../../src/audio/wav-read.ts';
import { writeWav } from '../../src/audio/wav-write.ts';
import { planRun, run } from '../../src/engine/run.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import type { Prompt } from '../../src/audio/types.ts';
import { ROOT } from '../helpers/cli.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';
import { folderWith } from './helpers.ts';

const ORDER = join(ROOT, 'audio', 'order-pizza.wav');

/** SNR as defined: speech power over its span against the power of what was added, over the whole prompt. */
function measuredSnr(clean: Prompt, mixed: Int16Array): number {
  const added = Float64Array.from(mixed, (s, i) => s - clean.samples[i]!);
  return speechLevelDbfs(clean, clean.speech) - powerDbfs(added);
}

test('noise is mixed at the SNR asked for, whatever its colour', async () => {
  const clean = await loadPrompt(ORDER, 8000);
  for (const color of ['white', 'pink', 'brown'] as NoiseColor[]) {
    for (const snr of [20, 10, 0]) {
      const mixed = mixNoise(clean, clean.speech, generateNoise(color, clean.samples.length, 42), { snrDb: snr });
      assert.equal(mixed.clipped, 0);
      const measured = measuredSnr(clean, mixed.samples);
      assert.ok(Math.abs(measured - snr) < 0.1, `${color} at ${snr} dB: measured ${measured.toFixed(2)} dB`);
      assert.ok(Math.abs(mixed.noiseDbfs - (speechLevelDbfs(clean, clean.speech) - snr)) < 1e-9);
    }
  }
  // An absolute level instead of an SNR.
  const quiet = mixNoise(clean, clean.speech, generateNoise('white', clean.samples.length, 1), { levelDbfs: -50 });
  const added = Float64Array.from(quiet.samples, (s, i) => s - clean.samples[i]!);
  assert.ok(Math.abs(powerDbfs(added) + 50) < 0.2, `noise at ${powerDbfs(added).toFixed(2)} dBFS`);
});

test('generated noise is the same for the same seed, different for another, and has the spectrum its colour says', () => {
  assert.deepEqual(generateNoise('pink', 1000, 7), generateNoise('pink', 1000, 7));
  assert.notDeepEqual(generateNoise('pink', 1000, 7), generateNoise('pink', 1000, 8));
  // Energy in the lowest sixteenth of the band vs the top half: white is flat, pink and brown lean low.
  const lowShare = (color: NoiseColor) => {
    const n = 8192;
    const x = generateNoise(color, n, 3);
    // A crude spectrum: energy of first differences (high frequencies) vs of 16-sample means (low ones).
    let diff = 0;
    for (let i = 1; i < n; i++) diff += (x[i]! - x[i - 1]!) ** 2;
    let low = 0;
    for (let i = 0; i + 16 <= n; i += 16) {
      let mean = 0;
      for (let j = 0; j < 16; j++) mean += x[i + j]!;
      low += (mean / 16) ** 2 * 16;
    }
    return low / diff;
  };
  const white = lowShare('white');
  const pink = lowShare('pink');
  const brown = lowShare('brown');
  assert.ok(white < pink && pink < brown, `low/high energy: white ${white.toFixed(3)} < pink ${pink.toFixed(3)} < brown ${brown.toFixed(3)}`);
});

test('the end of the caller’s speech is still found under noise', async () => {
  const clean = await loadPrompt(ORDER, 8000);
  const cleanEnd = clean.speech!.endMs;
  for (const color of ['white', 'pink', 'brown'] as NoiseColor[]) {
    for (const [snr, tolerance] of [
      [30, 50],
      [20, 150],
      [10, 250],
    ] as const) {
      const mixed = mixNoise(clean, clean.speech, generateNoise(color, clean.samples.length, 42), { snrDb: snr });
      const found = findSpeech(mixed);
      assert.ok(found, `${color} at ${snr} dB: speech found`);
      assert.ok(Math.abs(found.endMs - cleanEnd) <= tolerance, `${color} at ${snr} dB: end ${found.endMs} ms vs ${cleanEnd} ms clean`);
      assert.ok(Math.abs(found.startMs - clean.speech!.startMs) <= 120, `${color} at ${snr} dB: start ${found.startMs} ms`);
    }
  }
});

test('suite, call and turn noise: inherited, overridden, mixed into prompts before any call; latency still counts from the clean speech end', async () => {
  const dir = await folderWith({});
  // A recording of "noise": a 50 Hz hum, looped under the audio.
  const hum = new Int16Array(4000);
  for (let i = 0; i < hum.length; i++) hum[i] = Math.round(3000 * Math.sin((2 * Math.PI * 50 * i) / 8000));
  await writeWav(join(dir, 'hum.wav'), { sampleRate: 8000, samples: hum });
  const suiteFile = join(dir, 'suite.yaml');
  await import('node:fs/promises').then((fs) =>
    fs.writeFile(
      suiteFile,
      [
        'name: Noisy',
        'target: builtin:reference',
        'noise: { type: pink, snr: 20dB }',
        'calls:',
        '  - name: suite noise',
        '    turns:',
        `      - user: { audio: ${ORDER} }`,
        '  - name: call noise',
        '    noise: { file: hum.wav, snr: 5 }',
        '    turns:',
        `      - user: { audio: ${ORDER} }`,
        `      - user: { audio: ${ORDER}, noise: { type: white, level: "-40dBFS" } }`,
        '      - user: { silence: 500ms }',
        '      - user: { dtmf: "1" }',
        '',
      ].join('\n'),
    ),
  );
  const suite = await loadSuiteFile(suiteFile);
  const [suiteNoise, callNoise] = suite.calls;
  assert.deepEqual(suiteNoise!.turns[0]!.user, {
    kind: 'audio',
    file: ORDER,
    noise: { source: { color: 'pink' }, level: { snrDb: 20 }, pos: { file: suiteFile, line: 3, col: 8 } },
    pos: { file: suiteFile, line: 7, col: 17 },
  });
  const [hummed, white, silence, dtmf] = callNoise!.turns.map((t) => t.user!);
  assert.deepEqual((hummed as { noise?: unknown }).noise, { source: { file: join(dir, 'hum.wav') }, level: { snrDb: 5 }, pos: { file: suiteFile, line: 9, col: 12 } });
  assert.deepEqual((white as { noise?: { level: unknown } }).noise!.level, { levelDbfs: -40 });
  assert.equal((silence as { noise?: unknown }).noise !== undefined, true, 'silence turns take the noise too');
  assert.equal((dtmf as { noise?: unknown }).noise, undefined, 'DTMF has no audio to mix into');

  const planned = await planRun({ suites: [suite], outDir: join(dir, 'out'), workers: 1, reporter: {}, ttsCacheDir: join(dir, 'cache') });
  const prompts = [...planned.prompts.get(suite)!.values()];
  assert.equal(prompts.length, 4, 'pink under the first call, hum and white under the second, noise for the silence');
  const clean = await loadPrompt(ORDER, 8000);
  const [pink, hum5, white40, noiseOnly] = prompts;
  for (const prompt of [pink!, hum5!, white40!]) {
    assert.deepEqual(prompt.speech, clean.speech, 'the speech span is the clean one');
    assert.equal(prompt.samples.length, clean.samples.length);
  }
  assert.ok(Math.abs(measuredSnr(clean, pink!.samples) - 20) < 0.1);
  assert.ok(Math.abs(measuredSnr(clean, hum5!.samples) - 5) < 0.1, 'a looped recording at 5 dB');
  const added = Float64Array.from(white40!.samples, (s, i) => s - clean.samples[i]!);
  assert.ok(Math.abs(powerDbfs(added) + 40) < 0.2);
  assert.equal(noiseOnly!.speech, null);
  assert.equal(noiseOnly!.durationMs, 500);
  assert.ok(Math.abs(powerDbfs(noiseOnly!.samples) - (NOMINAL_SPEECH_DBFS - 5)) < 0.2, 'SNR without speech is against the nominal speech level');
  assert.deepEqual(loopNoise({ sampleRate: 8000, samples: Int16Array.from([1, -1]) }, 4), Float32Array.from([1, -1, 1, -1]));
});

test('on the wire: a silence turn under noise sends that noise, a plain one sends silence', async () => {
  const levels: number[][] = [];
  const bot = await startScriptedBot((connection) => {
    const frames: number[] = [];
    levels.push(frames);
    connection.socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.event === 'media') frames.push(powerDbfs(mulawDecode(Buffer.from(message.media.payload, 'base64'))));
    });
  });
  try {
    const dir = await folderWith({});
    const file = join(dir, 'suite.yaml');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        file,
        [
          'name: Wire',
          `target: ${bot.url}`,
          'calls:',
          '  - name: noisy',
          '    turns:',
          '      - user: { silence: 1s, noise: { type: white, level: "-30dBFS" } }',
          '  - name: quiet',
          '    turns:',
          '      - user: { silence: 1s }',
          '',
        ].join('\n'),
      ),
    );
    const suite = await loadSuiteFile(file);
    const result = await run({ suites: [suite], outDir: join(dir, 'out'), workers: 1, reporter: {}, recordAudio: false, ttsCacheDir: join(dir, 'cache') });
    assert.deepEqual(result.suites[0]!.calls.map((c) => [c.status, c.turns[0]!.action]), [
      ['passed', 'silence 1.00s under white noise at -30 dBFS'],
      ['passed', 'silence 1.00s'],
    ]);
    const [noisy, quiet] = levels;
    const loud = noisy!.filter((db) => Math.abs(db + 30) < 1.5);
    assert.ok(loud.length >= 45, `about 50 frames of noise at -30 dBFS (got ${loud.length} of ${noisy!.length})`);
    assert.equal(quiet!.filter((db) => db > -60).length, 0, 'only silence without noise');
  } finally {
    await bot.close();
  }
});
