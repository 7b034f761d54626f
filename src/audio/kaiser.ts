/**
 * The Kaiser-windowed sinc both resamplers interpolate with (one-shot prompts in wav-read,
 * streamed bot audio in stream-resampler): the kernel is tabulated once per filter and
 * linearly interpolated between steps; `between(from, to)` fixes the cut-off for a rate pair.
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

export interface KaiserDesign {
  /** Lobes of the sinc each side: more is a sharper cut-off and more work per sample. */
  zeroCrossings: number;
  tableSteps: number;
  beta: number;
  /** Cut-off as a fraction of the lower Nyquist frequency. */
  passband: number;
}

/** A resampling filter; the table is built once, when the filter is made. */
export class KaiserFilter {
  private readonly table: Float64Array;

  constructor(readonly design: KaiserDesign) {
    this.table = kaiserSincTable(design.zeroCrossings, design.tableSteps, design.beta);
  }

  /** The filter set up to go from `fromRate` to `toRate`. */
  between(fromRate: number, toRate: number): Interpolator {
    return new Interpolator(this.table, this.design, fromRate, toRate);
  }
}

export class Interpolator {
  /** Input samples per output sample: output j sits at input position j · step. */
  readonly step: number;
  /** How far either side of a position the kernel reaches, in input samples. */
  readonly reach: number;
  private readonly scale: number;
  private readonly tableScale: number;
  private readonly last: number;

  constructor(
    private readonly table: Float64Array,
    design: KaiserDesign,
    fromRate: number,
    toRate: number,
  ) {
    this.step = fromRate / toRate;
    // Downsampling moves the cut-off below the output's Nyquist, which widens the kernel.
    this.scale = Math.min(1, toRate / fromRate) * design.passband;
    this.reach = design.zeroCrossings / this.scale;
    this.tableScale = this.scale * design.tableSteps;
    this.last = table.length - 2;
  }

  /**
   * The output sample at input position x, rounded and held to 16 bits. Input sample k
   * (0 ≤ k ≤ lastInput) is `samples[k − first]`, so a caller can keep only a window of it.
   */
  at(samples: ArrayLike<number>, first: number, x: number, lastInput: number): number {
    const lo = Math.max(0, Math.ceil(x - this.reach));
    const hi = Math.min(lastInput, Math.floor(x + this.reach));
    const { table, tableScale, last } = this;
    let acc = 0;
    for (let k = lo; k <= hi; k++) {
      const d = Math.abs(x - k) * tableScale;
      const i = d | 0;
      if (i >= last) continue;
      const w0 = table[i]!;
      acc += samples[k - first]! * (w0 + (d - i) * (table[i + 1]! - w0));
    }
    const v = Math.round(acc * this.scale);
    return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
