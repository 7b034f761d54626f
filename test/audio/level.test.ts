import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { powerDbfs } from '../../src/audio/level.ts';
import { SILENCE_DB, frameLevelDb } from '../../src/audio/vad.ts';

const tone = (rmsDb: number, n = 160, dc = 0): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(dc + 32768 * 10 ** (rmsDb / 20) * Math.SQRT2 * Math.sin((2 * Math.PI * 400 * i) / 8000)));

describe('powerDbfs', () => {
  it('is RMS in dBFS: a full-scale square wave is 0, a sine at -20 dBFS RMS reads -20', () => {
    assert.equal(powerDbfs(Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 32767 : -32768))) > -0.001, true);
    assert.ok(Math.abs(powerDbfs(tone(-20)) - -20) < 0.05, String(powerDbfs(tone(-20))));
  });

  it('ignores a DC offset, and measures only [from, to)', () => {
    assert.ok(Math.abs(powerDbfs(tone(-30, 160, 4000)) - -30) < 0.05);
    const loudThenSilent = new Int16Array(320);
    loudThenSilent.set(tone(-10));
    assert.equal(powerDbfs(loudThenSilent, 160, 320), -Infinity);
    assert.ok(Math.abs(powerDbfs(loudThenSilent, 0, 160) - -10) < 0.05);
    assert.equal(powerDbfs(loudThenSilent, 5, 5), -Infinity);
  });

  it('is the level the speech detector uses, which floors silence at SILENCE_DB', () => {
    for (const db of [-3, -30, -60]) assert.equal(frameLevelDb(tone(db)), powerDbfs(tone(db)));
    assert.equal(frameLevelDb(new Int16Array(160).fill(-7)), SILENCE_DB);
  });
});
