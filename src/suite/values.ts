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

/** The string → string entries of a map. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isData(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
