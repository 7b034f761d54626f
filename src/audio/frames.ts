/** Samples in one frame of `ms` milliseconds at `rate` Hz (160 for 20 ms at 8 kHz). */
export function samplesPerFrame(rate: number, ms = 20): number {
  const n = Math.round((rate * ms) / 1000);
  if (!Number.isFinite(n) || n < 1) {
    throw new RangeError(`samplesPerFrame: ${ms} ms at ${rate} Hz is not at least one sample`);
  }
  return n;
}

/**
 * Cuts samples into frames of `frameSize`. Full frames are subarray VIEWS of `samples` (no
 * copy: a prompt is split once and streamed by many calls, so callers must not write to
 * them); only a short last frame is a fresh copy, zero-padded to `frameSize`, because a
 * transport always sends whole frames.
 */
export function splitFrames(samples: Int16Array, frameSize: number): Int16Array[] {
  if (!Number.isInteger(frameSize) || frameSize < 1) {
    throw new RangeError(`splitFrames: frame size must be a positive integer, got ${frameSize}`);
  }
  const frames: Int16Array[] = [];
  const whole = samples.length - (samples.length % frameSize);
  for (let i = 0; i < whole; i += frameSize) frames.push(samples.subarray(i, i + frameSize));
  if (whole < samples.length) {
    const last = new Int16Array(frameSize);
    last.set(samples.subarray(whole));
    frames.push(last);
  }
  return frames;
}
