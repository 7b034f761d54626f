/**
 * The media formats of the AudioCodes Bot API and the conversions between them and the 16 kHz
 * PCM the rest of convotest works in. All are mono; linear PCM is 16-bit little-endian.
 * `wav/*` streams carry a WAV header in front of the audio (sent and accepted on a stream's
 * first chunk).
 */
import { mulawDecode, mulawEncode } from '../../audio/g711.ts';
import { StreamResampler } from '../../audio/stream-resampler.ts';
import { WAV_HEADER_BYTES as PCM_WAV_HEADER_BYTES, WAV_UNKNOWN_LENGTH, wavHeader as pcmWavHeader } from '../../audio/wav-write.ts';

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

/** The size of the header wavHeader writes. */
export const WAV_HEADER_BYTES = PCM_WAV_HEADER_BYTES;

/** A WAV header for a stream of unknown length (sizes set to the maximum, as streaming writers do). */
export function wavHeader(format: MediaFormat): Uint8Array {
  return pcmWavHeader(format.rate, 1, WAV_UNKNOWN_LENGTH, format.encoding);
}

/** Where the audio starts in bytes that open with a WAV header; 0 when there is no header. */
export function wavAudioOffset(bytes: Uint8Array): number {
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at + 8 <= bytes.length) {
    if (tag(at) === 'data') return at + 8;
    // Chunks are padded to an even size (RIFF), the pad byte not counted in the size.
    const size = view.getUint32(at + 4, true);
    at += 8 + size + (size & 1);
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
