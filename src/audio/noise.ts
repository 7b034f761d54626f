/**
 * Caller-side background noise: generated (white, pink, brown) or a recording, mixed under
 * the caller's audio at a signal-to-noise ratio, to see whether the bot's own speech
 * detection still finds where the caller stopped talking.
 *
 * SNR here is the power of the speech over the span the VAD finds (pauses outside it do not
 * dilute it) against the power of the noise over the whole prompt, in dB. Levels are dBFS
 * RMS (level.ts, the measure vad.ts uses too): a full-scale square wave is 0 dBFS.
 */
import { FULL_SCALE, powerDbfs } from './level.ts';
import type { Pcm, SpeechSpan } from './types.ts';

/** Noise is measured with the same level the speech is. */
export { powerDbfs };

export type NoiseColor = 'white' | 'pink' | 'brown';

/**
 * Speech level assumed when there is no speech to measure (a silence turn under noise):
 * about where telephone speech sits, and where the example prompts' speech sits.
 */
export const NOMINAL_SPEECH_DBFS = -20;

/** Either relative to the caller's speech, or absolute. */
export type NoiseLevel = { snrDb: number } | { levelDbfs: number };

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    // Box–Muller; 1 - u keeps log() away from 0.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

/** Scales to an RMS of 1 (after removing any DC, which a phone line would not carry). */
function toUnitRms(values: Float32Array): Float32Array {
  if (values.length === 0) return values;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let power = 0;
  for (let i = 0; i < values.length; i++) {
    values[i]! -= mean;
    power += values[i]! * values[i]!;
  }
  const rms = Math.sqrt(power / values.length);
  if (rms > 0) for (let i = 0; i < values.length; i++) values[i]! /= rms;
  return values;
}

/** `length` samples of noise with an RMS of 1, the same for the same seed. */
export function generateNoise(color: NoiseColor, length: number, seed = 1): Float32Array {
  const white = gaussian(random(seed));
  const out = new Float32Array(length);
  if (color === 'white') {
    for (let i = 0; i < length; i++) out[i] = white();
  } else if (color === 'pink') {
    // Paul Kellet's filter bank: white noise through six one-pole filters approximates a
    // -3 dB/octave slope within about 0.05 dB across the audio band.
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
    for (let i = 0; i < length; i++) {
      const w = white();
      b0 = 0.99886 * b0 + w * 0.0555179;
      b1 = 0.99332 * b1 + w * 0.0750759;
      b2 = 0.969 * b2 + w * 0.153852;
      b3 = 0.8665 * b3 + w * 0.3104856;
      b4 = 0.55 * b4 + w * 0.5329522;
      b5 = -0.7616 * b5 - w * 0.016898;
      out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
      b6 = w * 0.115926;
    }
  } else {
    // Brown (red) noise: leaky integration of white, -6 dB/octave; the leak keeps it from drifting.
    let level = 0;
    for (let i = 0; i < length; i++) {
      level = (level + 0.02 * white()) / 1.02;
      out[i] = level;
    }
  }
  return toUnitRms(out);
}

/** A recording as noise: repeated to `length` samples (already at the right rate), RMS 1. */
export function loopNoise(recording: Pcm, length: number): Float32Array {
  const source = recording.samples;
  const out = new Float32Array(length);
  if (source.length === 0) return out;
  for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
  return toUnitRms(out);
}

/** The speech level SNR is measured against: power over the speech span, or the nominal level without speech. */
export function speechLevelDbfs(pcm: Pcm, span: SpeechSpan | null): number {
  if (!span) return NOMINAL_SPEECH_DBFS;
  const from = Math.floor((span.startMs * pcm.sampleRate) / 1000);
  const to = Math.min(pcm.samples.length, Math.ceil((span.endMs * pcm.sampleRate) / 1000));
  const level = powerDbfs(pcm.samples, from, to);
  return Number.isFinite(level) ? level : NOMINAL_SPEECH_DBFS;
}

export interface Mixed extends Pcm {
  /** RMS level of the noise that was added, dBFS. */
  noiseDbfs: number;
  /** Samples that hit full scale and were clipped (a level too high for the speech). */
  clipped: number;
}

/**
 * Adds unit-RMS `noise` under `speech` at `level`; `span` is where the speech is (for SNR).
 * The result has the speech's length; the noise must be at least that long.
 */
export function mixNoise(speech: Pcm, span: SpeechSpan | null, noise: Float32Array, level: NoiseLevel): Mixed {
  const noiseDbfs = 'snrDb' in level ? speechLevelDbfs(speech, span) - level.snrDb : level.levelDbfs;
  const gain = FULL_SCALE * 10 ** (noiseDbfs / 20);
  const input = speech.samples;
  const samples = new Int16Array(input.length);
  let clipped = 0;
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i]! + gain * noise[i]!);
    if (v > 32767 || v < -32768) clipped++;
    samples[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { sampleRate: speech.sampleRate, samples, noiseDbfs, clipped };
}
