/** What each kind of expectation matches, and how it reads in a report. */
import { formatMs } from '../clock/duration.ts';
import type { ExpectationSpec, TextMatch } from '../suite/model.ts';
import type { CallEvent } from './timeline.ts';

export type Anchor = 'turnStart' | 'speechEnd' | 'speechStart';

export const ANCHOR_NAMES: Record<Anchor, string> = {
  turnStart: 'the start of the turn',
  speechEnd: 'the end of caller speech',
  speechStart: 'the start of caller speech',
};

/** A test for one event. A botSpeech with minDuration also counts a speech still going (audibleUntil). */
export function matcherFor(spec: ExpectationSpec): (event: CallEvent) => boolean {
  switch (spec.kind) {
    case 'botSpeech': {
      const min = spec.minDuration;
      if (min === undefined) return (e) => e.type === 'botSpeech';
      return (e) => e.type === 'botSpeech' && (e.end ?? e.audibleUntil ?? e.t) - e.t >= min;
    }
    case 'mark':
      return (e) => e.type === 'mark' && (spec.name === undefined || e.name === spec.name);
    case 'clear':
      return (e) => e.type === 'clear';
    case 'dtmf':
      return (e) => e.type === 'dtmf' && (spec.digits === undefined || e.digits === spec.digits);
    case 'hangup':
      return (e) => e.type === 'hangup' && textMatches(spec.reason, e.reason);
    case 'closed':
      return (e) => e.type === 'closed';
    case 'text':
      return (e) => e.type === 'text' && spec.match.regex.test(e.text);
    case 'recognition':
      return (e) => e.type === 'recognition' && e.final && spec.match.regex.test(e.text);
    case 'transfer':
      return (e) => e.type === 'transfer' && textMatches(spec.target, e.target);
    case 'message':
      return (e) => e.type === 'message' && fieldsMatch(e.data, spec.match);
  }
}

function textMatches(match: TextMatch | undefined, value: string | undefined): boolean {
  return match === undefined || (value !== undefined && match.regex.test(value));
}

const REGEX_LITERAL = /^\/(.*)\/([dgimsuy]*)$/s;

/** Every `path: expected` pair holds: dotted paths reach nested fields; "/re/" strings are regexes. */
export function fieldsMatch(data: unknown, match: Record<string, unknown>): boolean {
  return Object.entries(match).every(([path, expected]) => valueMatches(readPath(data, path), expected));
}

function readPath(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function valueMatches(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'string') {
    const regex = REGEX_LITERAL.exec(expected);
    if (regex) return actual !== undefined && new RegExp(regex[1]!, regex[2]).test(String(actual));
  }
  if (expected === null || typeof expected !== 'object') {
    // Twilio sends every number as a string: `sequenceNumber: 2` should match "2".
    return actual === expected || (actual !== undefined && actual !== null && typeof actual !== 'object' && String(actual) === String(expected));
  }
  if (typeof actual !== 'object' || actual === null) return false;
  return fieldsMatch(actual, expected as Record<string, unknown>);
}

/** `botSpeech (≥ 300ms)`, `mark "greeting"`, `text /welcome/i` … without the window. */
export function describeSpec(spec: ExpectationSpec): string {
  switch (spec.kind) {
    case 'botSpeech':
      return spec.minDuration !== undefined ? `botSpeech lasting ≥ ${formatMs(spec.minDuration)}` : 'botSpeech';
    case 'mark':
      return spec.name !== undefined ? `mark "${spec.name}"` : 'mark';
    case 'dtmf':
      return spec.digits !== undefined ? `dtmf "${spec.digits}"` : 'dtmf';
    case 'hangup':
      return spec.reason ? `hangup matching ${spec.reason.source}` : 'hangup';
    case 'text':
    case 'recognition':
      return `${spec.kind} matching ${JSON.stringify(spec.match.source)}`;
    case 'transfer':
      return spec.target ? `transfer to ${spec.target.source}` : 'transfer';
    case 'message':
      return `message ${JSON.stringify(spec.match)}`;
    default:
      return spec.kind;
  }
}

export function describeWindow(spec: ExpectationSpec, anchor: Anchor, timeout: number): string {
  return spec.within !== undefined
    ? `within ${formatMs(spec.within)} of ${ANCHOR_NAMES[anchor]}`
    : `within the ${formatMs(timeout)} timeout from ${ANCHOR_NAMES[anchor]}`;
}
