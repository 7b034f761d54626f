import type { ThresholdOp } from '../suite/threshold-expr.ts';

/** The comparisons suites write, in thresholds (`p(95) < 900ms`) and in message matchers (`"< 800"`). */
export type ComparisonOp = ThresholdOp;

export function compare(value: number, op: ComparisonOp, limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    case '!=':
      return value !== limit;
  }
}
