/**
 * A histogram of non-negative milliseconds: 10 µs buckets up to 100 ms (where the targets
 * are), 1 ms buckets from there to 120 s (where a swamped machine ends up), one overflow
 * bucket above (the exact maximum is kept). Millions of frame timings fit in a few hundred
 * KB, and histograms from several processes merge by adding counts.
 */

const FINE_MS = 0.01;
const FINE_BUCKETS = 10_000;
const COARSE_MS = 1;
const COARSE_FROM_MS = FINE_MS * FINE_BUCKETS;
const BUCKETS = FINE_BUCKETS + 120_000 - COARSE_FROM_MS;

function bucketOf(ms: number): number {
  if (ms < COARSE_FROM_MS) return Math.floor(ms / FINE_MS);
  return FINE_BUCKETS + Math.floor((ms - COARSE_FROM_MS) / COARSE_MS);
}

/** The upper edge of a bucket, ms. */
function upperEdge(bucket: number): number {
  if (bucket < FINE_BUCKETS) return (bucket + 1) * FINE_MS;
  return COARSE_FROM_MS + (bucket - FINE_BUCKETS + 1) * COARSE_MS;
}

export interface HistogramJson {
  /** [bucket, count] for the non-empty buckets. */
  buckets: [number, number][];
  overflow: number;
  count: number;
  max: number;
  sum: number;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private overflow = 0;
  count = 0;
  max = 0;
  sum = 0;

  add(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const bucket = bucketOf(value);
    if (bucket < BUCKETS) this.counts[bucket]!++;
    else this.overflow++;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.overflow += other.overflow;
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  /** The value at or below which p% of the samples fall (upper edge of the bucket). */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, upperEdge(i));
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, overflow: this.overflow, count: this.count, max: this.max, sum: this.sum };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const histogram = new Histogram();
    for (const [bucket, count] of json.buckets) histogram.counts[bucket] = count;
    histogram.overflow = json.overflow;
    histogram.count = json.count;
    histogram.max = json.max;
    histogram.sum = json.sum;
    return histogram;
  }
}
