import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesForMs, decodeBytes, encodeSamples, mediaFormat, StreamDecoder, wavAudioOffset, wavHeader, MEDIA_FORMAT_NAMES } from '../../src/protocols/audiocodes/formats.ts';
import { StreamResampler } from '../../src/audio/stream-resampler.ts';
import { concat, frequencyOf, tone } from './scripted-bot.ts';

describe('AudioCodes media formats', () => {
  it('knows the rate and encoding of every Bot API format', () => {
    assert.deepEqual(
      MEDIA_FORMAT_NAMES.map((name) => [name, mediaFormat(name)!.rate, mediaFormat(name)!.encoding]),
      [
        ['raw/lpcm16', 16000, 'lpcm16'],
        ['raw/lpcm16_8', 8000, 'lpcm16'],
        ['raw/lpcm16_24', 24000, 'lpcm16'],
        ['raw/mulaw', 8000, 'mulaw'],
        ['wav/mulaw', 8000, 'mulaw'],
      ],
    );
    assert.equal(mediaFormat('raw/alaw'), undefined);
    assert.equal(mediaFormat('toString'), undefined);
    assert.equal(bytesForMs(mediaFormat('raw/lpcm16')!, 20), 640);
    assert.equal(bytesForMs(mediaFormat('raw/mulaw')!, 20), 160);
    assert.equal(bytesForMs(mediaFormat('raw/lpcm16_24')!, 100), 4800);
  });

  it('writes linear PCM little-endian and reads it back', () => {
    const format = mediaFormat('raw/lpcm16')!;
    const bytes = encodeSamples(Int16Array.from([1, -2, 0x1234]), format);
    assert.deepEqual([...bytes], [0x01, 0x00, 0xfe, 0xff, 0x34, 0x12]);
    assert.deepEqual([...decodeBytes(bytes, format)], [1, -2, 0x1234]);
  });

  it('finds the audio behind a WAV header, and reports none when there is no header', () => {
    const header = wavHeader(mediaFormat('wav/mulaw')!);
    const bytes = new Uint8Array([...header, 1, 2, 3]);
    assert.equal(wavAudioOffset(bytes), 44);
    assert.equal(wavAudioOffset(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), 0);
  });

  it('steps over an odd-sized chunk and its pad byte before the audio', () => {
    const header = wavHeader(mediaFormat('wav/mulaw')!);
    // RIFF/WAVE, fmt (24 bytes), a 3-byte LIST chunk + 1 pad byte, then data.
    const list = [...Buffer.from('LIST'), 3, 0, 0, 0, 0x61, 0x62, 0x63, 0];
    const bytes = new Uint8Array([...header.subarray(0, 36), ...list, ...header.subarray(36), 5, 6]);
    assert.equal(wavAudioOffset(bytes), 36 + list.length + 8);
  });
});

describe('StreamResampler', () => {
  it('gives the same output however the input is cut', () => {
    const input = tone(8000, 300, 440);
    const whole = new StreamResampler(8000, 16000);
    const reference = concat([whole.push(input), whole.flush()]);
    const pieces = new StreamResampler(8000, 16000);
    const out: Int16Array[] = [pieces.push(new Int16Array(0))];
    let at = 0;
    const sizes = [1, 7, 160, 33, 500, 2, 999];
    for (let i = 0; at < input.length; i++) {
      const size = sizes[i % sizes.length]!;
      out.push(pieces.push(input.subarray(at, at + size)));
      at += size;
    }
    out.push(pieces.flush());
    assert.deepEqual([...concat(out)], [...reference]);
    assert.equal(reference.length, 4800);
  });

  it('keeps a tone at its frequency from 8 kHz and 24 kHz to 16 kHz', () => {
    for (const rate of [8000, 24000]) {
      const resampler = new StreamResampler(rate, 16000);
      const out = concat([resampler.push(tone(rate, 1000, 440)), resampler.flush()]);
      assert.equal(out.length, 16000);
      assert.ok(Math.abs(frequencyOf(out, 16000) - 440) <= 2, `${rate}: ${frequencyOf(out, 16000)} Hz`);
    }
  });
});

describe('StreamDecoder', () => {
  it('decodes linear PCM cut in the middle of a sample', () => {
    const format = mediaFormat('raw/lpcm16')!;
    const bytes = encodeSamples(Int16Array.from([100, -200, 300, -400]), format);
    const decoder = new StreamDecoder(format);
    const out = concat([decoder.push(bytes.subarray(0, 3)), decoder.push(bytes.subarray(3, 5)), decoder.push(bytes.subarray(5)), decoder.end()]);
    assert.deepEqual([...out], [100, -200, 300, -400]);
  });

  it('skips a WAV header at the start of a wav/mulaw stream and decodes the μ-law behind it', () => {
    const format = mediaFormat('wav/mulaw')!;
    const audio = encodeSamples(tone(8000, 200), format);
    const decoder = new StreamDecoder(format);
    const out = concat([decoder.push(new Uint8Array([...wavHeader(format), ...audio.subarray(0, 100)])), decoder.push(audio.subarray(100)), decoder.end()]);
    assert.equal(out.length, 3200);
    assert.ok(Math.abs(frequencyOf(out, 16000) - 440) <= 10);
  });
});
