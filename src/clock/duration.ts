/** Durations in suites are strings with units ("800ms", "1.5s", "2m"); a bare number means milliseconds. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

export class DurationError extends Error {}

/** Parses a duration into milliseconds; throws DurationError with what to write instead. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new DurationError(`${value} is not a duration: use a positive number with a unit, like "800ms" or "1.5s"`);
  }
  const match = DURATION.exec(value);
  if (!match) {
    throw new DurationError(`"${value}" is not a duration: write a number with a unit (ms, s, m, h), like "800ms" or "1.5s"`);
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Formats milliseconds for people: 850 → "850ms", 1500 → "1.50s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}
