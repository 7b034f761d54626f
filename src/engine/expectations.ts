/** What each kind of expectation matches, and how expectations, anchors and windows read in a report. */
import { formatMs } from '../clock/duration.ts';
import type { AnchorSpec, EventExpectationSpec, ExpectationSpec, TextMatch } from '../suite/model.ts';
import { fieldsMatch } from './field-match.ts';
import type { CallEvent } from './timeline.ts';

/** A turn's own anchor: where `within` counts from when an expectation names no `from`. */
export type Anchor = 'turnStart' | 'speechEnd' | 'speechStart';

export const ANCHOR_NAMES: Record<Anchor, string> = {
  turnStart: 'the start of the turn',
  speechEnd: 'the end of caller speech',
  speechStart: 'the start of caller speech',
};

/** How an expectation's anchor reads: `the start of caller speech`, `clear`, `mark "menu"`. */
export function anchorName(from: AnchorSpec | undefined, turnAnchor: Anchor): string {
  if (!from) return ANCHOR_NAMES[turnAnchor];
  switch (from.kind) {
    case 'turnStart':
    case 'speechStart':
    case 'speechEnd':
      return ANCHOR_NAMES[from.kind];
    case 'previous':
      return 'the previous match';
    case 'event':
      switch (from.event) {
        case 'mark':
          return from.name !== undefined ? `mark "${from.name}"` : 'the first mark';
        case 'botSpeech':
          return 'the start of bot speech';
        case 'botSpeechEnd':
          return 'the end of bot speech';
        case 'botMedia':
          return 'the first bot media';
        case 'clear':
          return '`clear`';
        default:
          return `the first ${from.event}`;
      }
  }
}

/** A test for one event. A botSpeech with minDuration also counts a speech still going (audibleUntil). */
export function matcherFor(spec: EventExpectationSpec): (event: CallEvent) => boolean {
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

/** Events of the same kind that did not match, for "got mark "x" instead" in failure messages. */
export function sameKind(spec: EventExpectationSpec): (event: CallEvent) => boolean {
  if (spec.kind === 'recognition') return (e) => e.type === 'recognition';
  if (spec.kind === 'message') {
    // Messages of the kind asked for (Twilio `event`, AudioCodes `type`) when it is a plain name; otherwise any.
    const kind = spec.match['event'] ?? spec.match['type'];
    const plain = typeof kind === 'string' && /^\w[\w.-]*$/.test(kind) ? kind : undefined;
    return (e) => e.type === 'message' && (plain === undefined || e.kind === plain);
  }
  return (e) => e.type === spec.kind;
}

function textMatches(match: TextMatch | undefined, value: string | undefined): boolean {
  return match === undefined || (value !== undefined && match.regex.test(value));
}

/** `botSpeech (≥ 300ms)`, `mark "greeting" ×2`, `forbid hangup` … without the window. */
export function describeSpec(spec: ExpectationSpec): string {
  switch (spec.kind) {
    case 'anyOrder':
      return `in any order: ${spec.members.map(describeSpec).join(', ')}`;
    case 'forbid':
      return `no ${describeSpec(spec.event)}`;
    case 'bargeIn': {
      const limits: string[] = [];
      if (spec.clearWithin !== undefined) limits.push(`clear within ${formatMs(spec.clearWithin)}`);
      if (spec.stopWithin !== undefined) limits.push(`stop within ${formatMs(spec.stopWithin)}`);
      if (spec.maxTalkOver !== undefined) limits.push(`talk over the caller for at most ${formatMs(spec.maxTalkOver)}`);
      return `the bot yields to the caller${limits.length ? ` (${limits.join(', ')})` : ''}`;
    }
    default:
      return describeMatch(spec) + describeCount(spec.count);
  }
}

function describeMatch(spec: EventExpectationSpec): string {
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

function describeCount(count: { min: number; max?: number } | undefined): string {
  if (!count) return '';
  const times = (n: number) => `${n} time${n === 1 ? '' : 's'}`;
  if (count.max === count.min) return ` exactly ${times(count.min)}`;
  if (count.max === undefined) return ` at least ${times(count.min)}`;
  if (count.min === 0) return ` at most ${times(count.max)}`;
  return ` ${count.min} to ${times(count.max)}`;
}

/** `within 500ms of clear`, `within the 10.00s timeout from the end of caller speech`. */
export function describeWindow(within: number | undefined, anchor: string, timeout: number): string {
  return within !== undefined ? `within ${formatMs(within)} of ${anchor}` : `within the ${formatMs(timeout)} timeout from ${anchor}`;
}
