/**
 * Signal level, the one measure both the speech detector (vad.ts) and the noise mixer
 * (noise.ts) use: mean power after removing the mean, in dB relative to full scale, so a
 * full-scale square wave is 0 dBFS and a DC offset (inaudible on a phone line) reads as nothing.
 */

/** The magnitude of a full-scale 16-bit sample. */
export const FULL_SCALE = 32768;

/** Power of samples [from, to) in dBFS; -Infinity for digital silence or an empty span. */
export function powerDbfs(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  const n = to - from;
  if (n <= 0) return -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (let i = from; i < to; i++) {
    const s = samples[i]!;
    sum += s;
    sumSq += s * s;
  }
  const mean = sum / n;
  const power = sumSq / n - mean * mean;
  return power > 0 ? 10 * Math.log10(power / (FULL_SCALE * FULL_SCALE)) : -Infinity;
}

