import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { decodeWav } from '../../src/audio/wav-read.ts';
import { mulawDecode, mulawEncode } from '../../src/audio/g711.ts';
import { StereoRecorder, WAV_UNKNOWN_LENGTH, WavWriter, wavHeader, writeBufferCounts, writeWav } from '../../src/audio/wav-write.ts';
import { tempDir } from './wav-fixtures.ts';

function header(bytes: Uint8Array): { riff: number; channels: number; rate: number; bits: number; data: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    riff: view.getUint32(4, true),
    channels: view.getUint16(22, true),
    rate: view.getUint32(24, true),
    bits: view.getUint16(34, true),
    data: view.getUint32(40, true),
  };
}

describe('WavWriter', () => {
  it('streams many small frames (several 64 KB batches) and patches the header on close', async () => {
    const path = join(await tempDir(), 'nested', 'deeper', 'mono.wav');
    const writer = await WavWriter.open(path, 16000, 1);
    const frames = 500; // 10 s of 20 ms frames at 16 kHz: 320 KB, five batches
    for (let f = 0; f < frames; f++) {
      writer.write(Int16Array.from({ length: 320 }, (_, i) => ((f * 320 + i) % 65536) - 32768));
    }
    assert.equal(writer.bytesWritten, frames * 640);
    await writer.close();

    const bytes = await readFile(path);
    assert.equal(bytes.length, 44 + frames * 640);
    assert.deepEqual(header(bytes), { riff: 36 + frames * 640, channels: 1, rate: 16000, bits: 16, data: frames * 640 });
    const pcm = decodeWav(bytes, path);
    assert.equal(pcm.sampleRate, 16000);
    assert.equal(pcm.samples.length, frames * 320);
    for (const i of [0, 1, 319, 320, 32767, 65535, 65536, 159999]) {
      assert.equal(pcm.samples[i], (i % 65536) - 32768, `sample ${i}`);
    }
  });

  it('writes interleaved stereo that reads back downmixed', async () => {
    const path = join(await tempDir(), 'stereo.wav');
    const writer = await WavWriter.open(path, 8000, 2);
    const interleaved = new Int16Array(400);
    for (let i = 0; i < 200; i++) {
      interleaved[2 * i] = 1000;
      interleaved[2 * i + 1] = 3000;
    }
    writer.write(interleaved);
    await writer.close();
    const bytes = await readFile(path);
    assert.equal(header(bytes).channels, 2);
    const pcm = decodeWav(bytes, path);
    assert.equal(pcm.samples.length, 200);
    assert.ok(pcm.samples.every((s) => s === 2000));
  });

  it('an empty recording is a valid header with no data', async () => {
    const path = join(await tempDir(), 'empty.wav');
    const writer = await WavWriter.open(path, 8000, 1);
    await writer.close();
    const bytes = await readFile(path);
    assert.equal(bytes.length, 44);
    assert.equal(header(bytes).data, 0);
    assert.equal(header(bytes).riff, 36);
  });

  it('rejects a partial stereo frame, writes after close, and bad parameters', async () => {
    const dir = await tempDir();
    const writer = await WavWriter.open(join(dir, 'x.wav'), 8000, 2);
    assert.throws(() => writer.write(new Int16Array(3)), RangeError);
    await writer.close();
    await writer.close(); // twice is harmless
    assert.throws(() => writer.write(new Int16Array(2)), /after close/);
    await assert.rejects(WavWriter.open(join(dir, 'y.wav'), 8000, 3), RangeError);
    await assert.rejects(WavWriter.open(join(dir, 'z.wav'), 0, 1), RangeError);
  });
});

describe('write buffers', () => {
  it('a steady load of many writers makes no new buffers once running, and the spares shrink when the writers close', async () => {
    const dir = await tempDir();
    // More writers than the spares kept when few are open, as in a load test.
    const writers = await Promise.all(Array.from({ length: 150 }, (_, i) => WavWriter.open(join(dir, `w${i}.wav`), 8000, 2)));
    const chunk = new Int16Array(32_000); // 2 s of stereo at 8 kHz: 64 000 bytes, about one buffer
    const round = async () => {
      for (const writer of writers) writer.write(chunk);
      // Let the flushed buffers come back, as they do between one buffer's worth and the next.
      await new Promise((resolve) => setTimeout(resolve, 200));
    };
    // Every writer has flushed by now (the first buffer also holds the header).
    for (let i = 0; i < 3; i++) await round();
    const running = writeBufferCounts().made;
    for (let i = 0; i < 5; i++) await round();
    assert.equal(writeBufferCounts().made, running, 'buffers made after the load was running');
    await Promise.all(writers.map((writer) => writer.close()));
    assert.ok(writeBufferCounts().spare <= 64, `${writeBufferCounts().spare} spare buffers kept after every writer closed`);
    const first = await readFile(join(dir, 'w0.wav'));
    assert.equal(header(first).data, 8 * 64_000);
  });
});

describe('writeWav', () => {
  it('writes a mono file that decodes to the same samples', async () => {
    const path = join(await tempDir(), 'a', 'one.wav');
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    await writeWav(path, { sampleRate: 22050, samples });
    assert.equal((await stat(path)).size, 44 + 12);
    const pcm = decodeWav(await readFile(path), path);
    assert.equal(pcm.sampleRate, 22050);
    assert.deepEqual(Array.from(pcm.samples), Array.from(samples));
  });
});

describe('StereoRecorder', () => {
  it('puts caller left and bot right on one timeline, null and short frames as silence', async () => {
    const path = join(await tempDir(), 'calls', 'call.wav');
    const recorder = await StereoRecorder.open(path, 8000);
    const spf = 160;
    const caller = new Int16Array(spf).fill(1000);
    const bot = new Int16Array(spf).fill(3000);
    recorder.frame(caller, null, spf); // slot 0: caller only
    recorder.frame(null, bot, spf); // slot 1: bot only
    recorder.frame(caller, bot, spf); // slot 2: both
    recorder.frame(null, null, spf); // slot 3: silence
    recorder.frame(caller.subarray(0, 40), bot, spf); // slot 4: short caller frame
    recorder.frame(new Int16Array(500).fill(-2000), null, spf); // slot 5: long frame is cut
    await recorder.close();

    const bytes = await readFile(path);
    assert.equal(header(bytes).channels, 2);
    assert.equal(header(bytes).data, 6 * spf * 4);
    const raw = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
    const left = (slot: number, i: number): number => raw[2 * (slot * spf + i)]!;
    const right = (slot: number, i: number): number => raw[2 * (slot * spf + i) + 1]!;
    assert.deepEqual([left(0, 5), right(0, 5)], [1000, 0]);
    assert.deepEqual([left(1, 5), right(1, 5)], [0, 3000]);
    assert.deepEqual([left(2, 159), right(2, 159)], [1000, 3000]);
    assert.deepEqual([left(3, 0), right(3, 0)], [0, 0]);
    assert.deepEqual([left(4, 39), left(4, 40), right(4, 40)], [1000, 0, 3000]);
    assert.deepEqual([left(5, 159), right(5, 159)], [-2000, 0]);

    const pcm = decodeWav(bytes, path);
    assert.equal(pcm.samples.length, 6 * spf);
    assert.deepEqual(
      [0, 1, 2, 3, 5].map((slot) => pcm.samples[slot * spf + 10]),
      [500, 1500, 2000, 0, -1000],
    );
  });
});

describe('wavHeader', () => {
  it('a streaming μ-law header in front of μ-law bytes reads back as that audio, to the end of the bytes', () => {
    const samples = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const bytes = Buffer.concat([wavHeader(8000, 1, WAV_UNKNOWN_LENGTH, 'mulaw'), mulawEncode(samples)]);
    assert.deepEqual(header(bytes), { riff: 0xffffffff, channels: 1, rate: 8000, bits: 8, data: 0xffffffff });
    const pcm = decodeWav(bytes, 'stream.wav');
    assert.equal(pcm.sampleRate, 8000);
    assert.deepEqual([...pcm.samples], [...mulawDecode(mulawEncode(samples))]);
  });

  it('16-bit PCM by default, with the sizes of a finished file', () => {
    const h = wavHeader(24000, 2, 4800);
    assert.deepEqual(header(h), { riff: 4836, channels: 2, rate: 24000, bits: 16, data: 4800 });
    assert.equal(new DataView(h.buffer, h.byteOffset).getUint32(28, true), 24000 * 2 * 2, 'byte rate');
  });
});
