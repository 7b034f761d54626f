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

/**
 * Formats milliseconds for people: 850 → "850ms", 1500 → "1.50s", 65_000 → "1m 05s",
 * 600_000 → "10m", 3_725_000 → "1h 02m 05s". From a minute up, whole seconds: a run's or a
 * limit's length, where hundredths are noise.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  const sign = ms < 0 && Math.round(abs) > 0 ? '-' : '';
  if (Math.round(abs) < 1000) return `${sign}${Math.round(abs)}ms`;
  // Compared after rounding, so 59 995 ms reads "1m" rather than "60.00s".
  if (Math.round(abs / 10) < 6000) return `${sign}${(abs / 1000).toFixed(2)}s`;
  const total = Math.round(abs / 1000);
  const units: [number, string][] = [
    [Math.floor(total / 3600), 'h'],
    [Math.floor(total / 60) % 60, 'm'],
    [total % 60, 's'],
  ];
  const first = units.findIndex(([value]) => value > 0);
  let lastNonZero = units.length - 1;
  while (units[lastNonZero]![0] === 0) lastNonZero--;
  const parts = units.slice(first, lastNonZero + 1).map(([value, unit], i) => `${i === 0 ? value : String(value).padStart(2, '0')}${unit}`);
  return sign + parts.join(' ');
}
