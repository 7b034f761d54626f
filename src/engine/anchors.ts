/**
 * Where an expectation's window starts. A time anchor (turn start, caller speech) is known once
 * the turn's action has started; an event anchor (`from: clear`, `from: mark:menu`) is the first
 * such event since the turn began, and may have to be waited for.
 */
import type { AnchorSpec } from '../suite/model.ts';
import { anchorTest } from './event-kinds.ts';
import { anchorName, type Anchor } from './expectations.ts';
import type { TurnResult } from './results.ts';
import type { BotSpeechEvent, Timeline } from './timeline.ts';

export interface ResolvedAnchor {
  /** Call time the window starts at. */
  t: number;
  /** Events from this index on come after the anchor (for event anchors: after that event). */
  index: number;
  /** How the anchor reads in messages. */
  name: string;
  /** True for event anchors: only events after the anchor event count. */
  isEvent: boolean;
}

export interface AnchorScope {
  timeline: Timeline;
  speeches: readonly BotSpeechEvent[];
  now: () => number;
  turn: TurnResult;
  /** Index of the first event of the turn. */
  startIndex: number;
  /** The previous expectation's match in this turn, if any. */
  previous?: { t: number; index: number };
  /** How long an event anchor may be waited for (call time). */
  waitUntil: number;
}

/** The anchor, or null when it never came (an event that did not happen, caller speech that never played). */
export async function resolveAnchor(from: AnchorSpec | undefined, scope: AnchorScope): Promise<ResolvedAnchor | null> {
  const { turn, startIndex } = scope;
  const name = anchorName(from, turn.anchor as Anchor);
  const at = (t: number | undefined): ResolvedAnchor | null => (t === undefined ? null : { t, index: startIndex, name, isEvent: false });
  if (!from) return at(turn.anchorAt);
  switch (from.kind) {
    case 'turnStart':
      return at(turn.startedAt);
    case 'speechStart':
      return at(turn.callerSpeech?.start);
    case 'speechEnd':
      return at(turn.callerSpeech?.end);
    case 'previous':
      return scope.previous ? { t: scope.previous.t, index: scope.previous.index + 1, name, isEvent: false } : at(turn.anchorAt);
    case 'event':
      break;
  }
  if (from.event === 'botSpeechEnd') return speechEnd(scope, name);
  const test = anchorTest(from.event, from.name);
  const match = await scope.timeline.waitFor(test, startIndex, scope.waitUntil, scope.now);
  return match ? { t: match.event.t, index: match.index + 1, name, isEvent: true } : null;
}

/** The end of the first bot speech still going at, or starting after, the start of the turn. */
async function speechEnd(scope: AnchorScope, name: string): Promise<ResolvedAnchor | null> {
  const since = scope.turn.startedAt;
  const find = () => scope.speeches.find((speech) => speech.end === undefined || speech.end >= since);
  const ended = await scope.timeline.waitUntil(() => find()?.end !== undefined, scope.waitUntil, scope.now);
  const speech = find();
  if (!ended || speech?.end === undefined) return null;
  // Events that arrived before the speech ended (it ends after a hangover) still count if they are later in time.
  return { t: speech.end, index: scope.startIndex, name, isEvent: false };
}
