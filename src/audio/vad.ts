import { powerDbfs } from './level.ts';
import type { Pcm, SpeechSpan } from './types.ts';

/**
 * Energy-based voice activity, tuned for two jobs:
 *
 * findSpeech (caller prompts, offline, whole file at once). Levels are taken over 10 ms frames
 * (fine enough that the ±1 frame error is small against a latency budget, coarse enough to
 * average out a single pitch period).
 *  - Noise floor: the 10th-percentile frame level of the prompt itself, so it adapts to each
 *    recording (digital silence, room tone, a noisy phone line) without a fixed guess; a
 *    prompt with any pause at all has far more than 10% pause frames.
 *  - Speech threshold: floor + 12 dB, but never above the midpoint between floor and peak
 *    (so low-SNR recordings still split), and never below -55 dBFS (so dither or -60 dBFS
 *    hiss in an otherwise silent file is never speech).
 *  - A prompt whose loudest frame is below -50 dBFS holds no speech (null).
 *  - Hangover: voiced runs separated by at most 300 ms are one stretch, so the gaps between
 *    words and the short silence before a final plosive ("sto-p") stay inside speech.
 *  - A stretch with less than 50 ms of voiced frames is a click or a breath, not speech.
 * The span runs from the first voiced frame of the first stretch to the end of the last
 * voiced frame of the last stretch: leading and trailing silence are excluded.
 *
 * isAudible (bot audio as the caller hears it, one 20 ms frame at a time): RMS above
 * -45 dBFS. That is well above G.711 idle noise (μ-law 0xFF decodes to exactly 0, A-law
 * 0xD5 to +8, i.e. about -72 dBFS) and comfort noise, and well below quiet speech
 * (typically -35 to -20 dBFS RMS).
 *
 * Levels are RMS after removing the frame's mean (level.ts): a DC offset (common in 8-bit and
 * some A-law sources) is inaudible on a phone line and must not read as sound.
 */

const VAD_FRAME_MS = 10;
const NOISE_PERCENTILE = 0.1;
const THRESHOLD_OVER_FLOOR_DB = 12;
const MIN_THRESHOLD_DB = -55;
const MIN_PEAK_DB = -50;
const HANGOVER_MS = 300;
const MIN_VOICED_MS = 50;

/** dBFS reported for digital silence (instead of -Infinity, which JSON cannot hold). */
export const SILENCE_DB = -100;

/** Bot audio louder than this (RMS dBFS over a frame) counts as the bot speaking. */
export const AUDIBLE_DB = -45;

/** A span's level for the detector: powerDbfs, with digital silence at SILENCE_DB. */
function levelDb(samples: Int16Array, start: number, end: number): number {
  return Math.max(SILENCE_DB, powerDbfs(samples, start, end));
}

/** RMS level of a frame in dBFS (a full-scale square wave is 0), floored at SILENCE_DB. */
export function frameLevelDb(frame: Int16Array): number {
  return levelDb(frame, 0, frame.length);
}

/** Whether a frame of bot audio is loud enough that the caller hears the bot talking. */
export function isAudible(frame: Int16Array): boolean {
  return frameLevelDb(frame) > AUDIBLE_DB;
}

/** Where speech starts and ends inside a prompt, or null when it holds none. */
export function findSpeech(pcm: Pcm): SpeechSpan | null {
  const { samples, sampleRate } = pcm;
  const frameSize = Math.max(1, Math.round((sampleRate * VAD_FRAME_MS) / 1000));
  const frameCount = Math.ceil(samples.length / frameSize);
  if (frameCount === 0) return null;

  const levels = new Float64Array(frameCount);
  for (let f = 0; f < frameCount; f++) {
    const start = f * frameSize;
    levels[f] = levelDb(samples, start, Math.min(samples.length, start + frameSize));
  }

  const sorted = Float64Array.from(levels).sort();
  const floor = sorted[Math.floor((frameCount - 1) * NOISE_PERCENTILE)]!;
  const peak = sorted[frameCount - 1]!;
  if (peak < MIN_PEAK_DB) return null;
  const threshold = Math.max(
    MIN_THRESHOLD_DB,
    Math.min(floor + THRESHOLD_OVER_FLOOR_DB, (floor + peak) / 2),
  );

  const msPerFrame = (frameSize * 1000) / sampleRate;
  const hangoverFrames = Math.round(HANGOVER_MS / msPerFrame);
  const minVoicedFrames = Math.max(1, Math.round(MIN_VOICED_MS / msPerFrame));

  let firstFrame = -1; // first voiced frame of the first kept stretch
  let lastFrame = -1; // last voiced frame of the last kept stretch
  let stretchStart = -1;
  let stretchEnd = -1;
  let stretchVoiced = 0;
  const closeStretch = (): void => {
    if (stretchStart >= 0 && stretchVoiced >= minVoicedFrames) {
      if (firstFrame < 0) firstFrame = stretchStart;
      lastFrame = stretchEnd;
    }
    stretchStart = -1;
    stretchVoiced = 0;
  };
  for (let f = 0; f < frameCount; f++) {
    if (levels[f]! <= threshold) continue;
    if (stretchStart >= 0 && f - stretchEnd - 1 > hangoverFrames) closeStretch();
    if (stretchStart < 0) stretchStart = f;
    stretchEnd = f;
    stretchVoiced++;
  }
  closeStretch();
  if (firstFrame < 0) return null;

  const toMs = (sample: number): number => (Math.min(sample, samples.length) * 1000) / sampleRate;
  return { startMs: toMs(firstFrame * frameSize), endMs: toMs((lastFrame + 1) * frameSize) };
}
