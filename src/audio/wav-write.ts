import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';

import type { Pcm } from './types.ts';

export const WAV_HEADER_BYTES = 44;
const HEADER_BYTES = WAV_HEADER_BYTES;
/** Batch size for disk writes: a 20 ms frame is a few hundred bytes, one syscall each would be waste. */
const BUFFER_BYTES = 64 * 1024;
/** Header sizes while recording: "unknown length", which tolerant players read to end of file if we never get to patch it. */
const STREAMING_SIZE = 0xffffffff;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Write buffers are recycled: hundreds of recording calls would otherwise allocate a fresh
 * 64 KB buffer per call-second, and V8 counts that churn as external memory, which makes it
 * collect the old generation every few seconds, pausing every call's frames. Spares are kept
 * for as many writers as are open, so a steady load never lets a buffer go and never makes
 * a new one; when writers close, the spares shrink with them.
 */
const spareBuffers: Buffer[] = [];
const MIN_SPARE_BUFFERS = 64;
let openWriters = 0;
const spareLimit = () => Math.max(MIN_SPARE_BUFFERS, openWriters);
/** The samples view of each write buffer, made once: a view per write was garbage too. */
const samplesViews = new WeakMap<Buffer, Int16Array>();

let buffersMade = 0;

/** How many write buffers exist and how many of them are spare: for tests of the recycling. */
export function writeBufferCounts(): { made: number; spare: number } {
  return { made: buffersMade, spare: spareBuffers.length };
}

function takeBuffer(): Buffer {
  const spare = spareBuffers.pop();
  if (spare) return spare;
  buffersMade++;
  // Larger than Node's pool slab, so it owns its memory from offset 0: the view is aligned.
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  samplesViews.set(buffer, new Int16Array(buffer.buffer, buffer.byteOffset, BUFFER_BYTES / 2));
  return buffer;
}

function giveBack(buffer: Buffer): void {
  if (spareBuffers.length < spareLimit() && samplesViews.has(buffer)) spareBuffers.push(buffer);
}

/** The `dataBytes` of a header written before the length is known (a stream): tolerant readers read to the end. */
export const WAV_UNKNOWN_LENGTH = STREAMING_SIZE;

/**
 * A 44-byte WAV header: 16-bit PCM, or 8-bit G.711 μ-law (format 7) for streams that carry
 * it. Sizes above 4 GB, and WAV_UNKNOWN_LENGTH, are written as 0xFFFFFFFF.
 */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number, encoding: 'lpcm16' | 'mulaw' = 'lpcm16'): Buffer {
  const width = encoding === 'mulaw' ? 1 : 2;
  const h = Buffer.alloc(HEADER_BYTES);
  const riffSize = dataBytes === STREAMING_SIZE ? STREAMING_SIZE : Math.min(STREAMING_SIZE, dataBytes + 36);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(riffSize, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(encoding === 'mulaw' ? 7 : 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * width, 28);
  h.writeUInt16LE(channels * width, 32);
  h.writeUInt16LE(width * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(Math.min(STREAMING_SIZE, dataBytes), 40);
  return h;
}

/**
 * Streams 16-bit PCM to a WAV file. `write` is synchronous so a 20 ms pacer tick never
 * awaits the disk: samples are copied into a 64 KB buffer, and a full buffer is handed to
 * one chain of positional writes. Memory is one buffer plus whatever the disk has not yet
 * absorbed, whatever the length of the call. A disk error surfaces from `close()`.
 *
 * The header travels in the first buffer (marked "unknown length" until close), so a short
 * file — most bot replies — costs one open, one write and one close: every file operation
 * is a trip to the thread pool, and hundreds of calls make thousands of them a second.
 */
export class WavWriter {
  private buffer = takeBuffer();
  private bufferSamples = samplesViews.get(this.buffer)!;
  private used = HEADER_BYTES;
  private fileOffset = 0;
  private dataBytes = 0;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly sampleRate: number,
    readonly channels: number,
  ) {
    wavHeader(sampleRate, channels, STREAMING_SIZE).copy(this.buffer, 0);
    openWriters++;
  }

  /** `createDir: false` when the folder is known to exist, saving a file-system call. */
  static async open(path: string, sampleRate: number, channels: number, options: { createDir?: boolean } = {}): Promise<WavWriter> {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new RangeError(`WavWriter: sample rate must be a positive integer, got ${sampleRate}`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 2) {
      throw new RangeError(`WavWriter: channels must be 1 or 2, got ${channels}`);
    }
    if (options.createDir !== false) await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'w');
    return new WavWriter(handle, path, sampleRate, channels);
  }

  /** Bytes of audio written so far (header excluded). */
  get bytesWritten(): number {
    return this.dataBytes;
  }

  /** Appends samples; interleaved L,R,L,R… when stereo. */
  write(samples: Int16Array): void {
    if (this.closed) throw new Error(`WavWriter: write after close (${this.path})`);
    if (samples.length % this.channels !== 0) {
      throw new RangeError(
        `WavWriter: ${samples.length} samples is not a whole number of ${this.channels}-channel frames`,
      );
    }
    // Samples go in through an Int16Array view of the buffer (offsets stay even: the header is 44 bytes).
    const le = LITTLE_ENDIAN_HOST ? samples : toLittleEndian(samples);
    let from = 0;
    while (from < le.length) {
      const n = Math.min(le.length - from, (BUFFER_BYTES - this.used) / 2);
      this.bufferSamples.set(n === le.length ? le : le.subarray(from, from + n), this.used / 2);
      this.used += n * 2;
      from += n;
      if (this.used === BUFFER_BYTES) this.flush();
    }
    this.dataBytes += le.length * 2;
  }

  private flush(): void {
    if (this.used === 0) return;
    const chunk = this.buffer;
    const length = this.used;
    const position = this.fileOffset;
    this.buffer = takeBuffer();
    this.bufferSamples = samplesViews.get(this.buffer)!;
    this.used = 0;
    this.fileOffset += length;
    this.pending = this.pending.then(async () => {
      if (this.failure) return giveBack(chunk);
      try {
        await this.handle.write(chunk, 0, length, position);
      } catch (error) {
        this.failure = error;
      }
      giveBack(chunk);
    });
  }

  /** Flushes, patches the header's sizes, closes the file. Safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      openWriters--;
      if (spareBuffers.length > spareLimit()) spareBuffers.length = spareLimit();
      const final = wavHeader(this.sampleRate, this.channels, this.dataBytes);
      // Nothing written yet: the header is still in the buffer and goes out with the data.
      const headerInBuffer = this.fileOffset === 0;
      if (headerInBuffer) final.copy(this.buffer, 0);
      this.flush();
      giveBack(this.buffer);
      this.buffer = Buffer.alloc(0);
      await this.pending;
      try {
        if (this.failure) throw this.failure;
        if (!headerInBuffer) await this.handle.write(final, 0, HEADER_BYTES, 0);
      } finally {
        await this.handle.close();
      }
    })();
    return this.closed;
  }
}

/** On a big-endian host: the samples with their bytes swapped, so that in memory they read as little-endian. */
function toLittleEndian(samples: Int16Array): Int16Array {
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i]!, i * 2);
  return new Int16Array(bytes.buffer, bytes.byteOffset, samples.length);
}

/** Writes a whole mono PCM buffer as a WAV file (parent folders created). */
export async function writeWav(path: string, pcm: Pcm): Promise<void> {
  const writer = await WavWriter.open(path, pcm.sampleRate, 1);
  writer.write(pcm.samples);
  await writer.close();
}

/**
 * A two-channel call recording on one timeline: caller left, bot right. The caller of
 * `frame` supplies one slot per pacer tick, so both sides stay aligned even when one is
 * silent (null) or sends a short frame.
 */
export class StereoRecorder {
  private scratch = new Int16Array(0);

  private constructor(private readonly writer: WavWriter) {}

  static async open(path: string, sampleRate: number): Promise<StereoRecorder> {
    return new StereoRecorder(await WavWriter.open(path, sampleRate, 2));
  }

  get path(): string {
    return this.writer.path;
  }

  /**
   * Records one slot of `samplesPerFrame` samples per side. null is silence; a side shorter
   * than the slot is padded with silence, a longer one is cut to the slot.
   */
  frame(left: Int16Array | null, right: Int16Array | null, samplesPerFrame: number): void {
    if (this.scratch.length !== samplesPerFrame * 2) this.scratch = new Int16Array(samplesPerFrame * 2);
    else this.scratch.fill(0);
    const out = this.scratch;
    if (left) {
      const n = Math.min(left.length, samplesPerFrame);
      for (let i = 0; i < n; i++) out[2 * i] = left[i]!;
    }
    if (right) {
      const n = Math.min(right.length, samplesPerFrame);
      for (let i = 0; i < n; i++) out[2 * i + 1] = right[i]!;
    }
    // Safe to reuse the scratch next tick: write() copies before returning.
    this.writer.write(out);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
