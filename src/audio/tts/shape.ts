/**
 * Turns raw synthesiser output into a clean caller prompt: speech trimmed to its extent,
 * edges faded, peak at one level, and room before and after the words. Shared by `say:`
 * (the built-in engine) and scripts/make-prompts.ts, so both sound the same.
 */
import type { Pcm } from '../types.ts';
import { findSpeech } from '../vad.ts';

/** Every prompt peaks here, so prompts and bot lines play at one consistent, unclipped level. */
export const PEAK_DBFS = -3;
/** Kept around the detected speech so soft onsets and releases are not clipped by the trim. */
const TRIM_MARGIN_MS = 20;
const FADE_MS = 5;
/** Caller prompts get room before and after speech, so end of speech differs from end of file. */
export const CALLER_PADDING = { leadMs: 150, trailMs: 700 } as const;

export class SilentSynthesisError extends Error {}

/** Cuts everything before and after the speech (with a small margin); throws when there is none. */
export function trim(pcm: Pcm, text: string): Pcm {
  const speech = findSpeech(pcm);
  if (!speech) throw new SilentSynthesisError(`the synthesiser produced silence for ${JSON.stringify(text)}`);
  const from = Math.max(0, Math.floor(((speech.startMs - TRIM_MARGIN_MS) * pcm.sampleRate) / 1000));
  const to = Math.min(pcm.samples.length, Math.ceil(((speech.endMs + TRIM_MARGIN_MS) * pcm.sampleRate) / 1000));
  return { sampleRate: pcm.sampleRate, samples: pcm.samples.slice(from, to) };
}

/** A trim can cut mid-waveform; a short ramp at each end keeps that from clicking. */
export function fadeEdges(pcm: Pcm): Pcm {
  const samples = pcm.samples.slice();
  const ramp = Math.min(Math.round((FADE_MS * pcm.sampleRate) / 1000), samples.length >> 1);
  for (let i = 0; i < ramp; i++) {
    const gain = i / ramp;
    samples[i] = Math.round(samples[i]! * gain);
    samples[samples.length - 1 - i] = Math.round(samples[samples.length - 1 - i]! * gain);
  }
  return { sampleRate: pcm.sampleRate, samples };
}

export function normalizePeak(pcm: Pcm, peakDbfs = PEAK_DBFS): Pcm {
  let peak = 1;
  for (const s of pcm.samples) peak = Math.max(peak, Math.abs(s));
  const gain = (32767 * 10 ** (peakDbfs / 20)) / peak;
  return { sampleRate: pcm.sampleRate, samples: Int16Array.from(pcm.samples, (s) => Math.round(s * gain)) };
}

export function pad(pcm: Pcm, leadMs: number, trailMs: number): Pcm {
  const lead = Math.round((leadMs * pcm.sampleRate) / 1000);
  const trail = Math.round((trailMs * pcm.sampleRate) / 1000);
  const samples = new Int16Array(lead + pcm.samples.length + trail);
  samples.set(pcm.samples, lead);
  return { sampleRate: pcm.sampleRate, samples };
}

/** trim → fade → normalize → pad: what every synthesised line goes through. */
export function shapeSpeech(pcm: Pcm, text: string, padding: { leadMs: number; trailMs: number }): Pcm {
  return pad(normalizePeak(fadeEdges(trim(pcm, text))), padding.leadMs, padding.trailMs);
}
