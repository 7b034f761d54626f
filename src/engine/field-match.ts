/**
 * The raw `message` matcher: field paths → expected values. A path is dotted (`mark.name`);
 * a number indexes a list (`activities.0.name`), any other name on a list looks into every
 * item (`activities.name` matches when one activity has that name). An expected value is an
 * exact value, a "/regex/flags" string, a comparison like "< 800" or ">= 2", a nested map, or
 * a list whose items must match one by one.
 */
import { compare, type ComparisonOp } from './compare.ts';
import { compileTextMatch, isRegexLiteral } from '../suite/text-match.ts';

const COMPARISON = /^\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Every `path: expected` pair holds. */
export function fieldsMatch(data: unknown, match: Record<string, unknown>): boolean {
  return Object.entries(match).every(([path, expected]) => pathMatches(data, path, expected));
}

/** What failed, path by path, for a failure message: `mark.name is "reply-1", expected "/^greet/"`. */
export function fieldMismatches(data: unknown, match: Record<string, unknown>): string[] {
  const misses: string[] = [];
  for (const [path, expected] of Object.entries(match)) {
    if (pathMatches(data, path, expected)) continue;
    const values = readPath(data, path);
    const shown = values.length === 0 ? 'missing' : `is ${values.slice(0, 3).map(preview).join(' / ')}`;
    misses.push(`${path} ${shown}, expected ${preview(expected)}`);
  }
  return misses;
}

function pathMatches(data: unknown, path: string, expected: unknown): boolean {
  return readPath(data, path).some((value) => valueMatches(value, expected));
}

/** The values a path reaches: none when it leads nowhere, several when it passes through a list. */
export function readPath(data: unknown, path: string): unknown[] {
  let values: unknown[] = [data];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const value of values) {
      if (Array.isArray(value)) {
        if (/^\d+$/.test(key)) {
          if (Number(key) < value.length) next.push(value[Number(key)]);
        } else {
          for (const item of value) if (isRecord(item) && Object.hasOwn(item, key)) next.push(item[key]);
        }
      } else if (isRecord(value) && Object.hasOwn(value, key)) {
        next.push(value[key]);
      }
    }
    values = next;
  }
  return values;
}

function valueMatches(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'string') {
    if (isRegexLiteral(expected)) {
      const compiled = regexFor(expected);
      return compiled !== null && actual !== undefined && actual !== null && typeof actual !== 'object' && compiled.test(String(actual));
    }
    const comparison = COMPARISON.exec(expected);
    if (comparison) return compares(actual, comparison[1]!, Number(comparison[2]));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, i) => valueMatches(actual[i], item));
  }
  if (isRecord(expected)) return isRecord(actual) && fieldsMatch(actual, expected);
  // Twilio sends every number as a string: `sequenceNumber: 2` should match "2".
  return actual === expected || (actual !== undefined && actual !== null && typeof actual !== 'object' && String(actual) === String(expected));
}

/** Numbers and numeric strings ("800") compare; anything else never does. */
function compares(actual: unknown, op: string, limit: number): boolean {
  if (typeof actual !== 'number' && typeof actual !== 'string') return false;
  if (typeof actual === 'string' && actual.trim() === '') return false;
  const value = Number(actual);
  if (!Number.isFinite(value)) return false;
  return compare(value, op as ComparisonOp, limit);
}

const regexes = new Map<string, RegExp | null>();

/** Compiled once per distinct literal; the loader has already refused broken ones. */
function regexFor(literal: string): RegExp | null {
  let regex = regexes.get(literal);
  if (regex === undefined) {
    const compiled = compileTextMatch(literal);
    regex = typeof compiled === 'string' ? null : compiled.regex;
    regexes.set(literal, regex);
  }
  return regex;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
