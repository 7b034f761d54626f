/**
 * Reading values out of suite data that the schema check has already judged: a value of the
 * wrong shape was reported there, with its position, so here it is simply absent.
 */
import { parseDuration } from '../clock/duration.ts';

export type Data = Record<string, unknown>;

export function isData(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A duration in ms; wrong durations were already reported, in the words parseDuration uses. */
export function duration(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `0.9` or `"90%"` → 0.9; undefined for anything else, or above 100 %. */
export function passRate(value: unknown): number | undefined {
  if (typeof value === 'number') return value >= 0 && value <= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(value);
  if (!match) return undefined;
  const rate = Number(match[1]) / 100;
  return rate <= 1 ? rate : undefined;
}

/** The string → string entries of a map. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isData(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
