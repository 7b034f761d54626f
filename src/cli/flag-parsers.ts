/**
 * Commander argument parsers: a flag's text to its value, or an InvalidArgumentError whose
 * message says what to write instead (commander names the flag; main.ts makes it exit 2).
 */
import { InvalidArgumentError } from 'commander';
import { DurationError, parseDuration } from '../clock/duration.ts';
import { parseRate, RateError } from '../suite/rate.ts';
import { passRate } from '../suite/values.ts';

/** `--tag a --tag b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** `0.9` or `90%`, read the way a suite's `minPassRate` is. */
export function passRateFlag(value: string): number {
  const rate = passRate(value.includes('%') || value.trim() === '' ? value : Number(value));
  if (rate === undefined) throw new InvalidArgumentError('expected a share from 0 to 1, like 0.9, or a percentage, like 90%');
  return rate;
}

/** `--rate 20`, `20/s`, `300/m`: calls per second. */
export function rateFlag(value: string): number {
  try {
    return parseRate(value);
  } catch (error) {
    if (error instanceof RateError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** A duration above zero (`--max-run-duration 2m`). */
export function durationFlag(value: string): number {
  const ms = durationOrOffFlag(value);
  if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero, like "90s" or "5m"');
  return ms;
}

/** A duration where 0 means "off" (`--idle-timeout 0`); a bare 0 needs no unit. */
export function durationOrOffFlag(value: string): number {
  if (value.trim() === '0') return 0;
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof DurationError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
