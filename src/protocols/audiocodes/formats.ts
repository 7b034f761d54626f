/**
 * The media formats of the AudioCodes Bot API and the conversions between them and the 16 kHz
 * PCM the rest of convotest works in. All are mono; linear PCM is 16-bit little-endian.
 * `wav/*` streams carry a WAV header in front of the audio (sent and accepted on a stream's
 * first chunk).
 */
import { mulawDecode, mulawEncode } from '../../audio/g711.ts';
import { StreamResampler } from '../../audio/stream-resampler.ts';

export type Encoding = 'lpcm16' | 'mulaw';

export interface MediaFormat {
  name: string;
  rate: number;
  encoding: Encoding;
  /** True for wav/*: a WAV header precedes the audio. */
  wav: boolean;
}

const FORMATS: Record<string, MediaFormat> = {
  'raw/lpcm16': { name: 'raw/lpcm16', rate: 16000, encoding: 'lpcm16', wav: false },
  'raw/lpcm16_8': { name: 'raw/lpcm16_8', rate: 8000, encoding: 'lpcm16', wav: false },
  'raw/lpcm16_24': { name: 'raw/lpcm16_24', rate: 24000, encoding: 'lpcm16', wav: false },
  'raw/mulaw': { name: 'raw/mulaw', rate: 8000, encoding: 'mulaw', wav: false },
  'wav/mulaw': { name: 'wav/mulaw', rate: 8000, encoding: 'mulaw', wav: true },
};

export const MEDIA_FORMAT_NAMES = Object.keys(FORMATS);

/** The rate convotest streams and records AudioCodes audio at (PROTOCOL_AUDIO_RATE). */
export const CALL_RATE = 16000;

export function mediaFormat(name: unknown): MediaFormat | undefined {
  return typeof name === 'string' && Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
}

export function bytesPerSample(format: MediaFormat): number {
  return format.encoding === 'lpcm16' ? 2 : 1;
}

/** Bytes of audio in `ms` milliseconds of this format. */
export function bytesForMs(format: MediaFormat, ms: number): number {
  return Math.round((format.rate * ms) / 1000) * bytesPerSample(format);
}

/** Samples (already at the format's rate) to the bytes on the wire. */
export function encodeSamples(samples: Int16Array, format: MediaFormat): Uint8Array {
  if (format.encoding === 'mulaw') return mulawEncode(samples);
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return bytes;
}

/** Whole samples of wire bytes to PCM at the format's rate. */
export function decodeBytes(bytes: Uint8Array, format: MediaFormat): Int16Array {
  if (format.encoding === 'mulaw') return mulawDecode(bytes);
  const samples = new Int16Array(bytes.length >> 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/** Encoded silence of `ms` milliseconds. */
export function silenceBytes(format: MediaFormat, ms: number): Uint8Array {
  return format.encoding === 'mulaw' ? new Uint8Array(bytesForMs(format, ms)).fill(0xff) : new Uint8Array(bytesForMs(format, ms));
}

/** A WAV header for a stream of unknown length (sizes set to the maximum, as streaming writers do). */
export function wavHeader(format: MediaFormat): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, i) => (header[at + i] = c.charCodeAt(0)));
  const width = bytesPerSample(format);
  ascii(0, 'RIFF');
  view.setUint32(4, 0xffffffff, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, format.encoding === 'mulaw' ? 7 : 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, format.rate, true);
  view.setUint32(28, format.rate * width, true);
  view.setUint16(32, width, true);
  view.setUint16(34, width * 8, true);
  ascii(36, 'data');
  view.setUint32(40, 0xffffffff, true);
  return header;
}

/** Where the audio starts in bytes that open with a WAV header; 0 when there is no header. */
export function wavAudioOffset(bytes: Uint8Array): number {
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at + 8 <= bytes.length) {
    if (tag(at) === 'data') return at + 8;
    at += 8 + view.getUint32(at + 4, true);
  }
  return bytes.length;
}

/**
 * Turns one stream's chunks, cut anywhere (even mid-sample), into PCM at `outRate`.
 * A stream is one prompt: `end()` flushes what the resampler still holds.
 */
export class StreamDecoder {
  private carry: Uint8Array | null = null;
  private first = true;
  private readonly resampler: StreamResampler;

  constructor(
    readonly format: MediaFormat,
    outRate = CALL_RATE,
  ) {
    this.resampler = new StreamResampler(format.rate, outRate);
  }

  push(chunk: Uint8Array): Int16Array {
    let bytes = chunk;
    if (this.first) {
      this.first = false;
      // Bots differ on whether wav/* streams really start with a header: skip one if present.
      const offset = wavAudioOffset(bytes);
      if (offset > 0) bytes = bytes.subarray(offset);
    }
    if (this.carry) {
      const joined = new Uint8Array(this.carry.length + bytes.length);
      joined.set(this.carry);
      joined.set(bytes, this.carry.length);
      bytes = joined;
      this.carry = null;
    }
    const width = bytesPerSample(this.format);
    const whole = bytes.length - (bytes.length % width);
    if (whole < bytes.length) this.carry = bytes.slice(whole);
    return this.resampler.push(decodeBytes(bytes.subarray(0, whole), this.format));
  }

  end(): Int16Array {
    this.carry = null;
    return this.resampler.flush();
  }
}
