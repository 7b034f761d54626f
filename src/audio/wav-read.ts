import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { alawDecodeSample, mulawDecodeSample } from './g711.ts';
import { KaiserFilter } from './kaiser.ts';
import { AudioFileError, type Pcm, type Prompt } from './types.ts';
import { findSpeech } from './vad.ts';

/*
 * WAV reading is hand-rolled (rather than wavefile's fromBuffer) so that every way a
 * user's file can be wrong gets its own message, and so that a header claiming gigabytes
 * never drives an allocation: only the bytes actually present are decoded.
 */

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;
/** A prompt this large is a mistake (minutes of audio), not something to buffer in memory. */
const MAX_PROMPT_BYTES = 256 * 1024 * 1024;
const MAX_CHANNELS = 64;

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Codecs people actually meet inside .wav files, so the error can name what they have. */
const CODEC_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, 'an unknown codec (format 0)'],
  [0x0002, 'Microsoft ADPCM'],
  [0x0011, 'IMA ADPCM'],
  [0x0022, 'DSP Group TrueSpeech'],
  [0x0031, 'GSM 6.10'],
  [0x0040, 'G.721 ADPCM'],
  [0x0050, 'MPEG audio'],
  [0x0055, 'MP3'],
  [0x0064, 'G.726 ADPCM'],
  [0x0065, 'G.722 ADPCM'],
  [0x00ff, 'AAC'],
  [0x0161, 'Windows Media Audio'],
  [0x1610, 'AAC'],
  [0x2000, 'AC-3'],
  [0xf1ac, 'FLAC'],
]);

/** Tail shared by every KSDATAFORMAT_SUBTYPE GUID whose first two bytes are a format tag. */
const SUBFORMAT_GUID_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

function convertHint(file: string): string {
  return `convert it to 16-bit PCM with \`ffmpeg -i ${file} -ac 1 -ar 16000 -c:a pcm_s16le out.wav\``;
}

function codecName(tag: number): string {
  return CODEC_NAMES.get(tag) ?? `format 0x${tag.toString(16).padStart(4, '0')}`;
}

/** The first bytes of a file as a person would recognise them: text if printable, else hex. */
function describeStart(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 4);
  let text = 0;
  while (text < head.length && head[text]! >= 0x20 && head[text]! < 0x7f) text++;
  // A magic like "ID3" is often followed by binary: show the readable part when it is most of it.
  if (text >= 3) return `"${String.fromCharCode(...head.subarray(0, text))}"`;
  return `bytes ${Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

function guessOtherFormat(bytes: Uint8Array): string {
  const ascii = String.fromCharCode(...bytes.subarray(0, 4));
  if (ascii.startsWith('ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) {
    return ' (it looks like MP3)';
  }
  if (ascii === 'OggS') return ' (it looks like Ogg/Opus)';
  if (ascii === 'fLaC') return ' (it looks like FLAC)';
  if (ascii === 'FORM') return ' (it looks like AIFF)';
  if (ascii === 'RIFX') return ' (big-endian WAV, which is not supported)';
  return '';
}

interface WavFormat {
  codec: number; // resolved: PCM, FLOAT, ALAW or MULAW
  channels: number;
  sampleRate: number;
  bytesPerSample: number;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

function parseFmt(view: DataView, bytes: Uint8Array, at: number, size: number, file: string): WavFormat {
  let codec = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bits = view.getUint16(at + 14, true);

  if (codec === FORMAT_EXTENSIBLE) {
    if (size < 40) {
      throw new AudioFileError(
        file,
        `${file}: truncated WAV header (an extensible "fmt " chunk needs 40 bytes, this one has ${size}); re-export the file or ${convertHint(file)}.`,
      );
    }
    const guid = bytes.subarray(at + 24, at + 40);
    const known = SUBFORMAT_GUID_TAIL.every((b, i) => guid[i + 2] === b);
    if (!known) {
      throw new AudioFileError(
        file,
        `${file}: unsupported WAVE_FORMAT_EXTENSIBLE sub-format; ${convertHint(file)}.`,
      );
    }
    codec = view.getUint16(at + 24, true);
  }

  if (codec !== FORMAT_PCM && codec !== FORMAT_FLOAT && codec !== FORMAT_ALAW && codec !== FORMAT_MULAW) {
    throw new AudioFileError(
      file,
      `${file}: audio is encoded as ${codecName(codec)}, which convotest cannot play; ${convertHint(file)}.`,
    );
  }
  if (channels === 0 || channels > MAX_CHANNELS) {
    throw new AudioFileError(
      file,
      `${file}: malformed WAV header claims ${channels} channels; re-export the file as mono.`,
    );
  }
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioFileError(
      file,
      `${file}: sample rate ${sampleRate} Hz is outside the supported ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz; ${convertHint(file)}.`,
    );
  }

  const bytesPerSample = Math.ceil(bits / 8);
  const bitsOk =
    codec === FORMAT_PCM
      ? bits >= 1 && bits <= 32
      : codec === FORMAT_FLOAT
        ? bits === 32 || bits === 64
        : bits === 8;
  if (!bitsOk) {
    const expected =
      codec === FORMAT_PCM ? '8, 16, 24 or 32' : codec === FORMAT_FLOAT ? '32 or 64' : '8';
    const name =
      codec === FORMAT_PCM ? 'PCM' : codec === FORMAT_FLOAT ? 'float' : codec === FORMAT_ALAW ? 'A-law' : 'μ-law';
    throw new AudioFileError(
      file,
      `${file}: malformed WAV header: ${name} audio must have ${expected} bits per sample, this one says ${bits}; ${convertHint(file)}.`,
    );
  }
  return { codec, channels, sampleRate, bytesPerSample };
}

/** A zero data size is real (empty) if a well-formed chunk header follows it; else a streaming writer never patched it. */
function chunkFollows(view: DataView, bytes: Uint8Array, at: number): boolean {
  if (at + 8 > bytes.length) return false;
  const id = bytes.subarray(at, at + 4);
  if (!id.every((b) => b >= 0x20 && b < 0x7f)) return false;
  return at + 8 + view.getUint32(at + 4, true) <= bytes.length;
}

type SampleReader = (view: DataView, at: number) => number;

/** Readers return the sample on a 16-bit scale as a float, so downmixing keeps precision. */
function sampleReader(format: WavFormat): SampleReader {
  switch (format.codec) {
    case FORMAT_ALAW:
      return (v, at) => alawDecodeSample(v.getUint8(at));
    case FORMAT_MULAW:
      return (v, at) => mulawDecodeSample(v.getUint8(at));
    case FORMAT_FLOAT:
      return format.bytesPerSample === 4
        ? (v, at) => v.getFloat32(at, true) * 32768
        : (v, at) => v.getFloat64(at, true) * 32768;
    default:
      switch (format.bytesPerSample) {
        case 1:
          return (v, at) => (v.getUint8(at) - 128) * 256;
        case 2:
          return (v, at) => v.getInt16(at, true);
        case 3:
          return (v, at) => ((v.getInt8(at + 2) << 16) | v.getUint16(at, true)) / 256;
        default:
          return (v, at) => v.getInt32(at, true) / 65536;
      }
  }
}

/** Decodes a WAV file's bytes to mono 16-bit PCM at the file's own rate. */
export function decodeWav(bytes: Uint8Array, file: string): Pcm {
  if (bytes.length === 0) {
    throw new AudioFileError(file, `${file}: file is empty (0 bytes); record or export the prompt again.`);
  }
  const riff = bytes.length >= 4 ? ascii(bytes, 0) : '';
  if (riff !== 'RIFF' && riff !== 'RF64') {
    throw new AudioFileError(
      file,
      `${file}: not a WAV file (starts with ${describeStart(bytes)})${guessOtherFormat(bytes)}; ${convertHint(file)}.`,
    );
  }
  if (bytes.length < 12) {
    throw new AudioFileError(
      file,
      `${file}: truncated WAV header (only ${bytes.length} bytes); the file was cut short, export it again.`,
    );
  }
  if (ascii(bytes, 8) !== 'WAVE') {
    throw new AudioFileError(
      file,
      `${file}: a RIFF file of type "${ascii(bytes, 8)}", not a WAV file; ${convertHint(file)}.`,
    );
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | null = null;
  let dataStart = -1;
  let dataLength = 0;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    const available = bytes.length - body;
    if (id === 'fmt ') {
      if (size < 16 || size > available) {
        throw new AudioFileError(
          file,
          `${file}: truncated WAV header ("fmt " chunk of ${size} bytes, ${Math.min(size, available)} present); the file was cut short or is damaged, export it again.`,
        );
      }
      format = parseFmt(view, bytes, body, size, file);
    } else if (id === 'data') {
      dataStart = body;
      // Streaming writers leave 0 or 0xFFFFFFFF here, and a cut-short file declares more than
      // it has: decode what is really there.
      dataLength =
        size > available || (size === 0 && !chunkFollows(view, bytes, body)) ? available : size;
      if (format) break;
    }
    pos = body + size + (size & 1);
  }

  if (!format) {
    throw new AudioFileError(
      file,
      `${file}: WAV file has no "fmt " chunk, so its format is unknown; ${convertHint(file)}.`,
    );
  }
  if (dataStart < 0) {
    throw new AudioFileError(
      file,
      `${file}: WAV file has no "data" chunk, so it holds no audio; record or export the prompt again.`,
    );
  }
  const frameBytes = format.channels * format.bytesPerSample;
  const frames = Math.floor(dataLength / frameBytes);
  if (frames === 0) {
    throw new AudioFileError(
      file,
      `${file}: WAV file holds no audio (its "data" chunk has ${dataLength} bytes); record or export the prompt again.`,
    );
  }

  const read = sampleReader(format);
  const { channels, bytesPerSample } = format;
  const samples = new Int16Array(frames);
  let at = dataStart;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += bytesPerSample) sum += read(view, at);
    const v = Math.round(sum / channels);
    // NaN (from a float file) becomes silence rather than poisoning the stream.
    samples[f] = v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0;
  }
  return { sampleRate: format.sampleRate, samples };
}

/*
 * Resampling: band-limited interpolation with a Kaiser-windowed sinc (24 zero crossings
 * each side, β = 8, about 80 dB stopband), cut off at 92% of the lower Nyquist. Chosen over
 * wavefile's cubic + IIR path because the filter is linear-phase (it does not smear speech
 * onsets, which VAD and latency are measured from), handles any rate pair without a
 * rational-ratio table, and its rejection is known rather than assumed: 48k→8k keeps
 * telephone band (≤3.4 kHz) within a fraction of a dB and puts energy above 4 kHz far below
 * audibility. The kernel is tabulated once and linearly interpolated.
 */
const PROMPT_FILTER = new KaiserFilter({ zeroCrossings: 24, tableSteps: 512, beta: 8, passband: 0.92 });

/** Converts PCM to another rate. Returns the input's own samples when the rates match. */
export function resample(pcm: Pcm, targetRate: number): Pcm {
  if (!Number.isInteger(targetRate) || targetRate <= 0) {
    throw new RangeError(`resample: target rate must be a positive integer, got ${targetRate}`);
  }
  if (pcm.sampleRate === targetRate) return { sampleRate: targetRate, samples: pcm.samples };

  const input = pcm.samples;
  const filter = PROMPT_FILTER.between(pcm.sampleRate, targetRate);
  const out = new Int16Array(Math.round(input.length / filter.step));
  for (let j = 0; j < out.length; j++) out[j] = filter.at(input, 0, j * filter.step, input.length - 1);
  return { sampleRate: targetRate, samples: out };
}

async function readPromptFile(file: string): Promise<Uint8Array> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new AudioFileError(file, `${file}: is a folder, not a WAV file; point the turn at a .wav file.`);
    }
    if (info.size > MAX_PROMPT_BYTES) {
      throw new AudioFileError(
        file,
        `${file}: file is ${Math.round(info.size / 1048576)} MB, too large for a prompt (limit ${MAX_PROMPT_BYTES / 1048576} MB); trim it to the words the caller says.`,
      );
    }
    return await readFile(file);
  } catch (error) {
    if (error instanceof AudioFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AudioFileError(file, `${file}: audio file not found; check the path in the suite.`);
    }
    throw new AudioFileError(
      file,
      `${file}: cannot read the audio file (${code ?? (error as Error).message}); check its permissions.`,
    );
  }
}

const promptCache = new Map<string, Promise<Prompt>>();

/**
 * Reads, decodes and resamples a caller prompt and locates its speech. Results are cached
 * per file and rate (every call of a suite reuses the same prompts), so the returned samples
 * are shared: callers must not write to them.
 */
export function loadPrompt(file: string, targetRate: number): Promise<Prompt> {
  const key = `${targetRate}:${resolve(file)}`;
  let pending = promptCache.get(key);
  if (!pending) {
    pending = (async (): Promise<Prompt> => {
      const pcm = resample(decodeWav(await readPromptFile(file), file), targetRate);
      return {
        file,
        sampleRate: pcm.sampleRate,
        samples: pcm.samples,
        durationMs: (pcm.samples.length * 1000) / pcm.sampleRate,
        speech: findSpeech(pcm),
      };
    })();
    promptCache.set(key, pending);
    // A failed load is not cached: the user may fix the file and the run retry.
    pending.catch(() => {
      if (promptCache.get(key) === pending) promptCache.delete(key);
    });
  }
  return pending;
}

/** Forgets every cached prompt (for tests, and for watch modes that see files change). */
export function clearPromptCache(): void {
  promptCache.clear();
}
