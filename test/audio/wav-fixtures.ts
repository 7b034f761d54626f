// Test helpers: builds WAV bytes by hand (independently of src/audio) with known content.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import alawmulaw from 'alawmulaw';

export type Encoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

const ENCODINGS: Record<Encoding, { tag: number; bits: number }> = {
  pcm8: { tag: 1, bits: 8 },
  pcm16: { tag: 1, bits: 16 },
  pcm24: { tag: 1, bits: 24 },
  pcm32: { tag: 1, bits: 32 },
  float32: { tag: 3, bits: 32 },
  float64: { tag: 3, bits: 64 },
  alaw: { tag: 6, bits: 8 },
  mulaw: { tag: 7, bits: 8 },
};

export interface WavSpec {
  encoding: Encoding;
  sampleRate: number;
  /** One array per channel, values in [-1, 1]. */
  channels: Float64Array[];
  /** Write a WAVE_FORMAT_EXTENSIBLE fmt chunk whose sub-format is the encoding's tag. */
  extensible?: boolean;
  /** Override the data chunk's declared size (e.g. 0xFFFFFFFF like a streaming writer). */
  declaredDataSize?: number;
  /** Put a LIST chunk between fmt and data, as many editors do. */
  listChunk?: boolean;
}

function encodeSample(view: DataView, at: number, encoding: Encoding, v: number): void {
  const c = Math.max(-1, Math.min(1, v));
  switch (encoding) {
    case 'pcm8':
      view.setUint8(at, Math.round(c * 127) + 128);
      break;
    case 'pcm16':
      view.setInt16(at, Math.round(c * 32767), true);
      break;
    case 'pcm24': {
      const s = Math.round(c * 8388607);
      view.setUint8(at, s & 0xff);
      view.setUint8(at + 1, (s >> 8) & 0xff);
      view.setUint8(at + 2, (s >> 16) & 0xff);
      break;
    }
    case 'pcm32':
      view.setInt32(at, Math.round(c * 2147483647), true);
      break;
    case 'float32':
      view.setFloat32(at, c, true);
      break;
    case 'float64':
      view.setFloat64(at, c, true);
      break;
    case 'alaw':
      view.setUint8(at, alawmulaw.alaw.encodeSample(Math.round(c * 32767)) & 0xff);
      break;
    case 'mulaw':
      view.setUint8(at, alawmulaw.mulaw.encodeSample(Math.round(c * 32767)) & 0xff);
      break;
  }
}

export function buildWav(spec: WavSpec): Uint8Array {
  const { tag, bits } = ENCODINGS[spec.encoding];
  const channelCount = spec.channels.length;
  const frames = spec.channels[0]!.length;
  const bytesPerSample = bits / 8;
  const dataBytes = frames * channelCount * bytesPerSample;
  const fmtSize = spec.extensible ? 40 : 16;
  const list = spec.listChunk ? [...'LIST', 4, 0, 0, 0, ...'INFO'] : [];
  const total = 12 + 8 + fmtSize + list.length + 8 + dataBytes;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, spec.extensible ? 0xfffe : tag, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, spec.sampleRate, true);
  view.setUint32(28, spec.sampleRate * channelCount * bytesPerSample, true);
  view.setUint16(32, channelCount * bytesPerSample, true);
  view.setUint16(34, bits, true);
  let at = 36;
  if (spec.extensible) {
    view.setUint16(36, 22, true); // cbSize
    view.setUint16(38, bits, true); // valid bits
    view.setUint32(40, channelCount === 2 ? 3 : 4, true); // channel mask
    // KSDATAFORMAT_SUBTYPE_xxx: {0000TTTT-0000-0010-8000-00aa00389b71}
    const guid = [tag & 0xff, tag >> 8, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
    bytes.set(guid, 44);
    at = 60;
  }
  for (const item of list) {
    bytes[at++] = typeof item === 'string' ? item.charCodeAt(0) : item;
  }
  text(at, 'data');
  view.setUint32(at + 4, spec.declaredDataSize ?? dataBytes, true);
  at += 8;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channelCount; c++, at += bytesPerSample) {
      encodeSample(view, at, spec.encoding, spec.channels[c]![f]!);
    }
  }
  return bytes;
}

/** A sine of `hz` at `amplitude` (fraction of full scale) lasting `seconds`. */
export function sine(hz: number, sampleRate: number, seconds: number, amplitude = 0.5): Float64Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return out;
}

/** RMS of int16 samples in dBFS (full-scale sine = -3 dB), over [from, to). */
export function rmsDb(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return 10 * Math.log10(sum / (to - from) / (32768 * 32768));
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'convotest-audio-'));
}

export async function writeTemp(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Deterministic pseudo-random numbers in [-1, 1) so noise-based tests never flake. */
export function noise(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x80000000 - 1;
  };
}
