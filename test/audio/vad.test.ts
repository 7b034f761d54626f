import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import { alawDecode, mulawDecode } from '../../src/audio/g711.ts';
import type { Pcm } from '../../src/audio/types.ts';
import { SILENCE_DB, findSpeech, frameLevelDb, isAudible } from '../../src/audio/vad.ts';
import { decodeWav } from '../../src/audio/wav-read.ts';
import { noise } from './wav-fixtures.ts';

const dbToAmplitude = (db: number): number => 32768 * 10 ** (db / 20);
/** Uniform noise in [-1, 1) has RMS 1/√3. */
const noiseAmplitudeFor = (rmsDb: number): number => dbToAmplitude(rmsDb) * Math.sqrt(3);

interface Segment {
  ms: number;
  /** RMS level of the speech-like signal, or null for background only. */
  speechDb: number | null;
}

/**
 * Speech-like test signal: each "word" is noise mixed with a 180 Hz buzz, amplitude-modulated
 * at 5 Hz like syllables, with 10 ms raised-cosine edges; background noise everywhere.
 */
function synth(rate: number, segments: Segment[], backgroundDb = -60, seed = 7): Pcm {
  const total = segments.reduce((sum, s) => sum + Math.round((s.ms * rate) / 1000), 0);
  const samples = new Int16Array(total);
  const rand = noise(seed);
  const background = noiseAmplitudeFor(backgroundDb);
  const ramp = Math.round(rate * 0.01);
  let at = 0;
  for (const segment of segments) {
    const n = Math.round((segment.ms * rate) / 1000);
    const peak = segment.speechDb === null ? 0 : dbToAmplitude(segment.speechDb) * 1.6;
    for (let i = 0; i < n; i++) {
      let v = rand() * background;
      if (peak) {
        const edge = Math.min(1, i / ramp, (n - 1 - i) / ramp);
        const envelope = (0.5 - 0.5 * Math.cos(Math.PI * edge)) * (0.6 + 0.4 * Math.sin((2 * Math.PI * 5 * i) / rate));
        const t = (at + i) / rate;
        v += peak * envelope * (0.5 * rand() + 0.5 * Math.sin(2 * Math.PI * 180 * t));
      }
      samples[at + i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    at += n;
  }
  return { sampleRate: rate, samples };
}

/** 300 ms silence, four 240 ms words with 80 ms gaps (1.2 s), 800 ms silence. */
const PHRASE: Segment[] = [
  { ms: 300, speechDb: null },
  { ms: 240, speechDb: -20 },
  { ms: 80, speechDb: null },
  { ms: 240, speechDb: -18 },
  { ms: 80, speechDb: null },
  { ms: 240, speechDb: -24 },
  { ms: 80, speechDb: null },
  { ms: 240, speechDb: -22 },
  { ms: 800, speechDb: null },
];

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ms, expected ${expected} ± ${tolerance}`);
}

describe('findSpeech', () => {
  for (const rate of [8000, 16000, 44100]) {
    it(`finds the words between leading and trailing silence at ${rate} Hz (-60 dBFS noise)`, () => {
      const span = findSpeech(synth(rate, PHRASE));
      assert.ok(span);
      assertNear(span.startMs, 300, 40, 'start');
      assertNear(span.endMs, 1500, 40, 'end');
    });
  }

  it('copes with a noisier line (-40 dBFS background)', () => {
    const span = findSpeech(synth(8000, PHRASE, -40));
    assert.ok(span);
    assertNear(span.startMs, 300, 40, 'start');
    assertNear(span.endMs, 1500, 40, 'end');
  });

  it('works in digital silence (no background at all)', () => {
    const span = findSpeech(synth(8000, PHRASE, -200));
    assert.ok(span);
    assertNear(span.startMs, 300, 40, 'start');
    assertNear(span.endMs, 1500, 40, 'end');
  });

  it('a quiet last word after a 250 ms pause still counts', () => {
    const span = findSpeech(
      synth(8000, [
        { ms: 200, speechDb: null },
        { ms: 400, speechDb: -16 },
        { ms: 250, speechDb: null },
        { ms: 150, speechDb: -34 },
        { ms: 1000, speechDb: null },
      ]),
    );
    assert.ok(span);
    assertNear(span.startMs, 200, 40, 'start');
    assertNear(span.endMs, 1000, 40, 'end');
  });

  it('ignores a 10 ms click in the trailing silence', () => {
    const pcm = synth(8000, PHRASE);
    const click = Math.round(8000 * 2.0);
    for (let i = 0; i < 80; i++) pcm.samples[click + i] = i % 2 ? 20000 : -20000;
    const span = findSpeech(pcm);
    assert.ok(span);
    assertNear(span.endMs, 1500, 40, 'end');
  });

  it('a tightly trimmed prompt (no silence before or after) spans the whole file', () => {
    const span = findSpeech(synth(8000, PHRASE.slice(1, -1), -200));
    assert.ok(span);
    assertNear(span.startMs, 0, 20, 'start');
    assertNear(span.endMs, 1200, 20, 'end');
  });

  it('returns null for digital silence, low noise, and an empty prompt', () => {
    assert.equal(findSpeech({ sampleRate: 8000, samples: new Int16Array(8000) }), null);
    assert.equal(findSpeech(synth(8000, [{ ms: 2000, speechDb: null }], -60)), null);
    assert.equal(findSpeech({ sampleRate: 8000, samples: new Int16Array(0) }), null);
  });

  it('finds the end of speech in the committed order-pizza.wav well before the end of the file', async () => {
    const file = new URL('../../audio/order-pizza.wav', import.meta.url);
    const pcm = decodeWav(await readFile(file), 'audio/order-pizza.wav');
    const span = findSpeech(pcm);
    assert.ok(span);
    const fileMs = (pcm.samples.length * 1000) / pcm.sampleRate;
    assert.ok(span.endMs - span.startMs > 1000, `speech only ${span.endMs - span.startMs} ms`);
    assert.ok(fileMs - span.endMs >= 500, `speech ends at ${span.endMs} of ${fileMs} ms`);
  });
});

describe('isAudible and frameLevelDb', () => {
  const tone = (db: number, n = 160): Int16Array =>
    Int16Array.from({ length: n }, (_, i) => Math.round(dbToAmplitude(db) * Math.SQRT2 * Math.sin((2 * Math.PI * 400 * i) / 8000)));

  it('measures RMS in dBFS', () => {
    assert.ok(Math.abs(frameLevelDb(tone(-3)) - -3) < 0.1, String(frameLevelDb(tone(-3))));
    assert.ok(Math.abs(frameLevelDb(tone(-30)) - -30) < 0.1);
    assert.equal(frameLevelDb(new Int16Array(160)), SILENCE_DB);
    assert.equal(frameLevelDb(new Int16Array(0)), SILENCE_DB);
  });

  it('speech-level audio is audible; -50 dBFS is not', () => {
    assert.equal(isAudible(tone(-20)), true);
    assert.equal(isAudible(tone(-40)), true);
    assert.equal(isAudible(tone(-50)), false);
  });

  it('G.711 silence and a DC offset are not audible', () => {
    assert.equal(isAudible(mulawDecode(new Uint8Array(160).fill(0xff))), false);
    assert.equal(isAudible(mulawDecode(new Uint8Array(160).fill(0x7f))), false);
    assert.equal(isAudible(alawDecode(new Uint8Array(160).fill(0xd5))), false);
    assert.equal(isAudible(new Int16Array(160).fill(3000)), false);
    assert.equal(isAudible(new Int16Array(160)), false);
  });
});
