/**
 * The Kaiser-windowed sinc both resamplers interpolate from (one-shot prompts and streamed
 * bot audio): tabulated once, linearly interpolated between steps.
 */

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

/**
 * One side of the kernel, `zeroCrossings` lobes of `tableSteps` entries each. Two extra
 * entries stay 0, so interpolating at the very edge fades out instead of reading past the end.
 */
export function kaiserSincTable(zeroCrossings: number, tableSteps: number, beta: number): Float64Array {
  const last = zeroCrossings * tableSteps;
  const table = new Float64Array(last + 2);
  const norm = besselI0(beta);
  for (let i = 0; i <= last; i++) {
    const x = i / tableSteps;
    const r = i / last;
    const sinc = i === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    table[i] = (sinc * besselI0(beta * Math.sqrt(1 - r * r))) / norm;
  }
  return table;
}

/**
 * Σ samples[k − first] · kernel(|x − k|) for k in lo..hi: one output sample at input position
 * x. `tableScale` turns input distance into table steps (it carries the low-pass cut-off).
 */
export function tapSum(samples: ArrayLike<number>, first: number, x: number, lo: number, hi: number, table: Float64Array, tableScale: number): number {
  const last = table.length - 2;
  let acc = 0;
  for (let k = lo; k <= hi; k++) {
    const d = Math.abs(x - k) * tableScale;
    const i = d | 0;
    if (i >= last) continue;
    const w0 = table[i]!;
    acc += samples[k - first]! * (w0 + (d - i) * (table[i + 1]! - w0));
  }
  return acc;
}
