import { KaiserFilter, type Interpolator } from './kaiser.ts';
/**
 * A resampler for audio that arrives in pieces of any size (bot play streams). Resampling each
 * piece on its own would fade every piece's edges (the filter sees zeros past them) and put a
 * click at every chunk boundary; this one keeps the input history the filter needs and only
 * emits output samples whose whole kernel has arrived, so the result does not depend on how
 * the bot cut its audio. Same filter family as wav-read's resample (Kaiser-windowed
 * sinc), with fewer taps: it feeds the recording and the speech detector, not a listener's ear.
 */
const STREAM_FILTER = new KaiserFilter({ zeroCrossings: 16, tableSteps: 256, beta: 8, passband: 0.92 });

export class StreamResampler {
  private readonly filter: Interpolator;
  /** Input not yet consumed; `history[0]` is input sample number `historyStart`. */
  private history = new Float64Array(0);
  private historyStart = 0;
  /** Input samples received so far. */
  private received = 0;
  /** Index of the next output sample. */
  private produced = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.filter = STREAM_FILTER.between(fromRate, toRate);
  }

  /** Adds input; returns every output sample that no longer depends on input still to come. */
  push(input: Int16Array): Int16Array {
    if (this.fromRate === this.toRate) return input;
    const merged = new Float64Array(this.history.length + input.length);
    merged.set(this.history);
    merged.set(input, this.history.length);
    this.history = merged;
    this.received += input.length;
    return this.emit(this.received - 1 - this.filter.reach);
  }

  /** The stream has ended: emits the tail as if silence followed it. */
  flush(): Int16Array {
    if (this.fromRate === this.toRate) return new Int16Array(0);
    const total = Math.round(this.received / this.filter.step);
    const out = this.emit(Infinity, total);
    this.history = new Float64Array(0);
    this.historyStart = this.received;
    return out;
  }

  /** Emits outputs whose centre lies at or before input position `upTo` (and below `limit` outputs). */
  private emit(upTo: number, limit = Infinity): Int16Array {
    const { filter } = this;
    const { step, reach } = filter;
    // At most this many outputs are due; the loop below decides exactly which.
    const room = Math.max(0, Math.min(limit, Math.floor(upTo / step) + 2) - this.produced);
    const out = new Int16Array(room);
    let n = 0;
    const last = this.received - 1;
    while (this.produced < limit && n < room) {
      const x = this.produced * step;
      if (x > upTo) break;
      out[n++] = filter.at(this.history, this.historyStart, x, last);
      this.produced++;
    }
    // Keep only the input the next output's kernel can still reach.
    const keepFrom = Math.max(this.historyStart, Math.ceil(this.produced * step - reach));
    if (keepFrom > this.historyStart) {
      this.history = this.history.slice(keepFrom - this.historyStart);
      this.historyStart = keepFrom;
    }
    return n === room ? out : out.subarray(0, n);
  }
}
