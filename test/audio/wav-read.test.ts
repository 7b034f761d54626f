import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { AudioFileError } from '../../src/audio/types.ts';
import { clearPromptCache, decodeWav, loadPrompt, resample } from '../../src/audio/wav-read.ts';
import { buildWav, type Encoding, rmsDb, sine, tempDir, writeTemp } from './wav-fixtures.ts';

const SINE_DB = 20 * Math.log10(0.5 / Math.SQRT2); // RMS of a sine at half full scale: -9.03 dBFS

/** Largest decoding error we accept per encoding, relative to the ideal 16-bit value. */
function tolerance(encoding: Encoding, expected: number): number {
  if (encoding === 'pcm8') return 260; // one 8-bit step is 256 on the 16-bit scale
  if (encoding === 'alaw' || encoding === 'mulaw') return Math.abs(expected) * 0.07 + 40;
  return 2;
}

describe('decodeWav: formats', () => {
  const cases: { encoding: Encoding; extensible?: boolean }[] = [
    { encoding: 'pcm8' },
    { encoding: 'pcm16' },
    { encoding: 'pcm24' },
    { encoding: 'pcm32' },
    { encoding: 'float32' },
    { encoding: 'float64' },
    { encoding: 'alaw' },
    { encoding: 'mulaw' },
    { encoding: 'pcm16', extensible: true },
    { encoding: 'pcm24', extensible: true },
    { encoding: 'float32', extensible: true },
    { encoding: 'mulaw', extensible: true },
  ];
  for (const { encoding, extensible } of cases) {
    it(`${encoding}${extensible ? ' (extensible)' : ''} mono decodes to the right length and values`, () => {
      const wave = sine(440, 16000, 0.5);
      const pcm = decodeWav(buildWav({ encoding, sampleRate: 16000, channels: [wave], extensible }), 'x.wav');
      assert.equal(pcm.sampleRate, 16000);
      assert.equal(pcm.samples.length, 8000);
      for (const i of [0, 9, 10, 100, 1234, 4000, 7999]) {
        const expected = Math.round(wave[i]! * 32767);
        const got = pcm.samples[i]!;
        assert.ok(
          Math.abs(got - expected) <= tolerance(encoding, expected),
          `sample ${i}: got ${got}, expected ${expected}`,
        );
      }
      assert.ok(Math.abs(rmsDb(pcm.samples) - SINE_DB) < 0.3, `RMS ${rmsDb(pcm.samples)} dB`);
    });
  }

  for (const encoding of ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'mulaw', 'alaw'] as Encoding[]) {
    it(`${encoding} stereo is downmixed by averaging`, () => {
      const left = new Float64Array(320).fill(1000 / 32767);
      const right = new Float64Array(320).fill(3000 / 32767);
      const pcm = decodeWav(buildWav({ encoding, sampleRate: 8000, channels: [left, right] }), 's.wav');
      assert.equal(pcm.samples.length, 320);
      for (const i of [0, 1, 159, 319]) {
        assert.ok(Math.abs(pcm.samples[i]! - 2000) <= tolerance(encoding, 2000), `got ${pcm.samples[i]}`);
      }
    });
  }

  it('16-bit stereo averages exactly, including opposite signs', () => {
    const left = Float64Array.from([1000, -20000, 32767, 5].map((v) => v / 32767));
    const right = Float64Array.from([3000, 20000, 32767, -6].map((v) => v / 32767));
    const pcm = decodeWav(buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [left, right] }), 's.wav');
    assert.deepEqual(Array.from(pcm.samples), [2000, 0, 32767, 0]);
  });

  it('more than two channels are averaged too', () => {
    const ch = [300, 600, 900].map((v) => new Float64Array(10).fill(v / 32767));
    const pcm = decodeWav(buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: ch }), 'c.wav');
    assert.equal(pcm.samples.length, 10);
    assert.equal(pcm.samples[5], 600);
  });

  it('skips chunks other than fmt and data (LIST)', () => {
    const pcm = decodeWav(
      buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.1)], listChunk: true }),
      'l.wav',
    );
    assert.equal(pcm.samples.length, 800);
    assert.equal(pcm.samples[0], 0);
  });

  it('float samples beyond ±1 are clipped, not wrapped, and NaN is silence', () => {
    const bytes = buildWav({ encoding: 'float32', sampleRate: 8000, channels: [new Float64Array(4)] });
    const view = new DataView(bytes.buffer);
    [0.5, 2.5, -3, Number.NaN].forEach((v, i) => view.setFloat32(bytes.length - 16 + 4 * i, v, true));
    assert.deepEqual(Array.from(decodeWav(bytes, 'f.wav').samples), [16384, 32767, -32768, 0]);
  });
});

describe('decodeWav: sizes from streaming writers and cut-short files', () => {
  const wave = sine(440, 8000, 0.25); // 2000 samples
  it('data size 0xFFFFFFFF decodes the bytes that are there', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [wave], declaredDataSize: 0xffffffff });
    assert.equal(decodeWav(bytes, 'x.wav').samples.length, 2000);
  });
  it('data size 0 with audio after it decodes that audio', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [wave], declaredDataSize: 0 });
    assert.equal(decodeWav(bytes, 'x.wav').samples.length, 2000);
  });
  it('a file cut mid-data decodes the whole frames present', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [wave, wave] });
    const cut = bytes.subarray(0, bytes.length - 1001); // 44 + 8000 - 1001: 1749.75 stereo frames
    assert.equal(decodeWav(cut, 'x.wav').samples.length, 1749);
  });
});

describe('decodeWav: sample rates and resampling to 8 kHz', () => {
  for (const rate of [8000, 16000, 22050, 44100, 48000]) {
    it(`${rate} Hz: length and 440 Hz amplitude survive`, () => {
      const pcm = decodeWav(buildWav({ encoding: 'pcm16', sampleRate: rate, channels: [sine(440, rate, 1)] }), 'r.wav');
      assert.equal(pcm.sampleRate, rate);
      assert.equal(pcm.samples.length, rate);
      const narrow = resample(pcm, 8000);
      assert.equal(narrow.sampleRate, 8000);
      assert.ok(Math.abs(narrow.samples.length - 8000) <= 160, `length ${narrow.samples.length}`);
      const level = rmsDb(narrow.samples, 400, 7600);
      assert.ok(Math.abs(level - SINE_DB) < 1, `RMS ${level.toFixed(2)} dB, expected ${SINE_DB.toFixed(2)}`);
    });
  }

  it('48 kHz → 8 kHz attenuates a 6 kHz tone (above the new Nyquist) by at least 20 dB', () => {
    const pcm = decodeWav(buildWav({ encoding: 'pcm16', sampleRate: 48000, channels: [sine(6000, 48000, 1)] }), 'a.wav');
    const before = rmsDb(pcm.samples);
    const after = rmsDb(resample(pcm, 8000).samples, 400, 7600);
    assert.ok(before - after >= 20, `only ${(before - after).toFixed(1)} dB down`);
  });

  it('44.1 kHz → 8 kHz attenuates a 4.6 kHz tone by at least 20 dB and keeps 3 kHz within 1 dB', () => {
    const high = resample({ sampleRate: 44100, samples: toInt16(sine(4600, 44100, 1)) }, 8000);
    const band = resample({ sampleRate: 44100, samples: toInt16(sine(3000, 44100, 1)) }, 8000);
    assert.ok(SINE_DB - rmsDb(high.samples, 400, 7600) >= 20);
    assert.ok(Math.abs(rmsDb(band.samples, 400, 7600) - SINE_DB) < 1);
  });

  it('8 kHz → 16 kHz doubles the length and keeps the amplitude', () => {
    const up = resample({ sampleRate: 8000, samples: toInt16(sine(440, 8000, 1)) }, 16000);
    assert.equal(up.samples.length, 16000);
    assert.ok(Math.abs(rmsDb(up.samples, 800, 15200) - SINE_DB) < 0.5);
    // A sample halfway between two input samples lands on the sine, not a straight line.
    const t = 4001 / 16000;
    assert.ok(Math.abs(up.samples[4001]! - 0.5 * 32767 * Math.sin(2 * Math.PI * 440 * t)) < 100);
  });

  it('same rate is the identity and shares the samples', () => {
    const samples = Int16Array.from([1, 2, 3]);
    const out = resample({ sampleRate: 16000, samples }, 16000);
    assert.equal(out.samples, samples);
    assert.equal(out.sampleRate, 16000);
  });
});

function toInt16(wave: Float64Array): Int16Array {
  return Int16Array.from(wave, (v) => Math.round(v * 32767));
}

/** Asserts that `fn` throws an AudioFileError naming `file` whose message matches `pattern`. */
function assertAudioError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AudioFileError, `not an AudioFileError: ${String(error)}`);
    assert.equal(error.file, file);
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('decodeWav: errors name the file and say what is wrong', () => {
  const good = (): Uint8Array => buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.1)] });
  const withTag = (tag: number, bits = 4): Uint8Array => {
    const bytes = good();
    new DataView(bytes.buffer).setUint16(20, tag, true);
    new DataView(bytes.buffer).setUint16(34, bits, true);
    return bytes;
  };

  it('empty file', () => assertAudioError(() => decodeWav(new Uint8Array(0), 'e.wav'), 'e.wav', /empty/));
  it('an MP3 renamed to .wav', () => {
    const mp3 = new TextEncoder().encode('ID3\u0004\u0000junkjunkjunk');
    assertAudioError(() => decodeWav(mp3, 'audio/x.wav'), 'audio/x.wav', /not a WAV file \(starts with "ID3.*MP3.*ffmpeg/);
  });
  it('binary garbage shows its first bytes in hex', () => {
    assertAudioError(() => decodeWav(Uint8Array.from([0, 1, 2, 255, 9]), 'g.wav'), 'g.wav', /bytes 00 01 02 ff/);
  });
  it('a RIFF file that is not WAVE', () => {
    const avi = new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000AVI LIST');
    assertAudioError(() => decodeWav(avi, 'v.wav'), 'v.wav', /RIFF file of type "AVI "/);
  });
  it('truncated before the form type', () => {
    assertAudioError(() => decodeWav(good().subarray(0, 8), 't.wav'), 't.wav', /truncated WAV header \(only 8 bytes\)/);
  });
  it('truncated inside the fmt chunk', () => {
    assertAudioError(() => decodeWav(good().subarray(0, 30), 't.wav'), 't.wav', /truncated WAV header/);
  });
  it('Microsoft ADPCM', () => assertAudioError(() => decodeWav(withTag(2), 'a.wav'), 'a.wav', /Microsoft ADPCM.*convert it to 16-bit PCM/));
  it('IMA ADPCM', () => assertAudioError(() => decodeWav(withTag(0x11), 'a.wav'), 'a.wav', /IMA ADPCM/));
  it('MP3 inside a WAV', () => assertAudioError(() => decodeWav(withTag(0x55), 'a.wav'), 'a.wav', /encoded as MP3/));
  it('an unknown codec by number', () => assertAudioError(() => decodeWav(withTag(0x1234), 'a.wav'), 'a.wav', /format 0x1234/));
  it('bits per sample that do not match the codec', () => {
    assertAudioError(() => decodeWav(withTag(7, 16), 'm.wav'), 'm.wav', /μ-law audio must have 8 bits per sample, this one says 16/);
    assertAudioError(() => decodeWav(withTag(3, 16), 'f.wav'), 'f.wav', /float audio must have 32 or 64 bits/);
    assertAudioError(() => decodeWav(withTag(1, 0), 'p.wav'), 'p.wav', /PCM audio must have 8, 16, 24 or 32 bits/);
  });
  it('an unknown extensible sub-format GUID', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.1)], extensible: true });
    bytes[50] = 0x42;
    assertAudioError(() => decodeWav(bytes, 'x.wav'), 'x.wav', /sub-format/);
  });
  it('sample rates outside 8–48 kHz', () => {
    const at = (rate: number): Uint8Array => buildWav({ encoding: 'pcm16', sampleRate: rate, channels: [new Float64Array(10)] });
    assertAudioError(() => decodeWav(at(96000), 'h.wav'), 'h.wav', /96000 Hz is outside the supported 8000–48000 Hz/);
    assertAudioError(() => decodeWav(at(4000), 'l.wav'), 'l.wav', /4000 Hz/);
  });
  it('no fmt chunk', () => {
    const bytes = good();
    bytes.set(new TextEncoder().encode('junk'), 12);
    assertAudioError(() => decodeWav(bytes, 'n.wav'), 'n.wav', /no "fmt " chunk/);
  });
  it('no data chunk', () => {
    assertAudioError(() => decodeWav(good().subarray(0, 36), 'n.wav'), 'n.wav', /no "data" chunk/);
  });
  it('zero-length data', () => {
    const empty = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [new Float64Array(0)] });
    assertAudioError(() => decodeWav(empty, 'z.wav'), 'z.wav', /holds no audio/);
  });
  it('declared data size larger than the file with nothing there', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [new Float64Array(0)], declaredDataSize: 1_000_000 });
    assertAudioError(() => decodeWav(bytes, 'd.wav'), 'd.wav', /holds no audio/);
  });
  it('a huge declared size with a few bytes present decodes them without allocating the declared size', () => {
    const bytes = buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.01)], declaredDataSize: 0xfffffff0 });
    assert.equal(decodeWav(bytes, 'd.wav').samples.length, 80);
  });
});

describe('loadPrompt', () => {
  it('reads, resamples, finds speech and caches per file and rate', async () => {
    clearPromptCache();
    const dir = await tempDir();
    const rate = 44100;
    const tone = sine(440, rate, 1, 0.3);
    const wave = new Float64Array(Math.round(rate * 2));
    wave.set(tone, Math.round(rate * 0.5)); // 0.5 s silence, 1 s tone, 0.5 s silence
    const file = await writeTemp(dir, 'p.wav', buildWav({ encoding: 'pcm16', sampleRate: rate, channels: [wave, wave] }));

    const prompt = await loadPrompt(file, 8000);
    assert.equal(prompt.file, file);
    assert.equal(prompt.sampleRate, 8000);
    assert.equal(prompt.samples.length, 16000);
    assert.equal(prompt.durationMs, 2000);
    assert.ok(prompt.speech);
    assert.ok(Math.abs(prompt.speech.startMs - 500) <= 20, `start ${prompt.speech.startMs}`);
    assert.ok(Math.abs(prompt.speech.endMs - 1500) <= 20, `end ${prompt.speech.endMs}`);

    assert.equal(await loadPrompt(file, 8000), prompt);
    const wide = await loadPrompt(file, 16000);
    assert.notEqual(wide, prompt);
    assert.equal(wide.samples.length, 32000);
    clearPromptCache();
    assert.notEqual(await loadPrompt(file, 8000), prompt);
  });

  it('a missing file is an AudioFileError naming it', async () => {
    const file = join(await tempDir(), 'nope.wav');
    await assert.rejects(loadPrompt(file, 8000), (error: unknown) => {
      assert.ok(error instanceof AudioFileError);
      assert.equal(error.message, `${file}: audio file not found; check the path in the suite.`);
      return true;
    });
  });

  it('a folder is an AudioFileError', async () => {
    const dir = join(await tempDir(), 'folder.wav');
    await mkdir(dir);
    await assert.rejects(loadPrompt(dir, 8000), (error: unknown) => error instanceof AudioFileError && /is a folder/.test(error.message));
  });

  it('a failed load is not cached, so a fixed file loads', async () => {
    clearPromptCache();
    const dir = await tempDir();
    const file = join(dir, 'later.wav');
    await writeFile(file, new TextEncoder().encode('OggS not yet'));
    await assert.rejects(loadPrompt(file, 8000), /Ogg/);
    await writeFile(file, buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.2)] }));
    assert.equal((await loadPrompt(file, 8000)).samples.length, 1600);
  });

  it('the committed order-pizza.wav prompt ends speech well before the end of the file', async () => {
    const prompt = await loadPrompt(new URL('../../audio/order-pizza.wav', import.meta.url).pathname, 8000);
    assert.ok(prompt.speech, 'no speech found');
    assert.ok(prompt.durationMs > 1000 && prompt.durationMs < 6000, `duration ${prompt.durationMs}`);
    assert.ok(prompt.speech.startMs >= 100 && prompt.speech.startMs <= 250, `start ${prompt.speech.startMs}`);
    assert.ok(prompt.durationMs - prompt.speech.endMs >= 500, `end ${prompt.speech.endMs} of ${prompt.durationMs}`);
  });
});
