/** How expectations, anchors and windows read in a report (each kind's own wording is in event-kinds.ts). */
import { formatMs } from '../clock/duration.ts';
import type { AnchorSpec, ExpectationSpec } from '../suite/model.ts';
import { kindOf } from './event-kinds.ts';

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
      return kindOf(spec).describe + describeCount(spec.count);
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
