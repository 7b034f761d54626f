/**
 * Failure text for expectations: what was expected and by when, what came instead, and the
 * nearest candidates (a late match, an out-of-order one, events of the same kind that did not
 * match, bot audio that kept playing), then the last events of the turn. The aim is that a
 * failure can be understood without opening the timeline.
 */
import { formatMs } from '../clock/duration.ts';
import type { EventExpectationSpec } from '../suite/model.ts';
import type { ResolvedAnchor } from './anchors.ts';
import { interruptedSpeech } from './barge-in.ts';
import { describeEvent } from './describe.ts';
import { kindOf, NEAR_EVENTS, type EventKindRules } from './event-kinds.ts';
import type { BotSpeechEvent, CallEvent, Timeline } from './timeline.ts';

export interface MissScene {
  timeline: Timeline;
  speeches: readonly BotSpeechEvent[];
  /** The call is over (or the socket closed): nothing more could have come. */
  over: boolean;
  turnStartedAt: number;
  turnStartIndex: number;
}

export interface Explanation {
  expected: string;
  actual: string;
  message: string;
}

const LAST_EVENTS = 6;

/** Why an event expectation found nothing in its window. `searchFrom` is where ordered matching looked from. */
export function explainMiss(
  scene: MissScene,
  spec: EventExpectationSpec,
  description: string,
  window: string,
  anchor: ResolvedAnchor,
  deadline: number,
  searchFrom: number,
): Explanation {
  const kind = kindOf(spec);
  const test = kind.test;
  const events = scene.timeline.events;
  let actual: string;
  const late = events.slice(searchFrom).find((event) => test(event) && event.t > deadline);
  const early = lastIndex(events, scene.turnStartIndex, searchFrom, test);
  if (late) actual = `it came at ${formatMs(late.t)}, ${formatMs(late.t - deadline)} too late`;
  else if (early !== -1 && anchor.isEvent && early < anchor.index) actual = `one came at ${formatMs(events[early]!.t)}, before ${anchor.name}`;
  else if (early !== -1) {
    actual = `one came at ${formatMs(events[early]!.t)}, before the previous expectation's match (expectations match in the order listed; use anyOrder when order does not matter)`;
  } else actual = scene.over ? 'none before the call ended' : `none by ${formatMs(deadline)}`;

  const details = [...nearMisses(scene, spec, kind), ...botAudio(scene, anchor, deadline)];
  return {
    expected: `${description} by ${formatMs(deadline)} (${window}, which was at ${formatMs(anchor.t)})`,
    actual,
    message: `expected ${description} ${window}; got ${actual}${details.map((d) => `; ${d}`).join('')}. ${lastEvents(scene)} (${anchor.name} was at ${formatMs(anchor.t)})`,
  };
}

/** `Last events: 1.20s bot speech #1 starts; …`, since the turn began. */
export function lastEvents(scene: Pick<MissScene, 'timeline' | 'turnStartedAt'>, since = scene.turnStartedAt): string {
  const recent = scene.timeline.entries
    .filter((entry) => entry.t >= since && entry.kind !== 'media' && entry.kind !== 'turn')
    .sort((a, b) => a.t - b.t)
    .slice(-LAST_EVENTS)
    .map((entry) => `${formatMs(entry.t)} ${entry.summary}`);
  return recent.length ? `Last events: ${recent.join('; ')}` : 'Nothing happened since the turn began';
}

/** Events of the expected kind that came but did not match: the closest candidates. */
function nearMisses(scene: MissScene, spec: EventExpectationSpec, kind: EventKindRules): string[] {
  const near = scene.timeline.events.slice(scene.turnStartIndex).filter((event) => kind.sameKind(event) && !kind.test(event));
  if (near.length === 0) return [];
  return [kind.nearMiss(near) ?? `other ${spec.kind} events: ${near.slice(-NEAR_EVENTS).map((e) => `${describeEvent(e)} at ${formatMs(e.t)}`).join(', ')}`];
}

/** Whether bot audio was playing when the window opened, and for how long it went on. */
function botAudio(scene: MissScene, anchor: ResolvedAnchor, deadline: number): string[] {
  const speech = interruptedSpeech(scene.speeches, anchor.t);
  if (speech) {
    if (speech.end === undefined) return [`bot audio was still playing at ${formatMs(Math.min(deadline, speech.audibleUntil ?? deadline))} (it started at ${formatMs(speech.t)})`];
    return [`bot audio kept playing for ${formatMs(speech.end - anchor.t)} after ${anchor.name}`];
  }
  const heard = scene.speeches.filter((s) => s.t >= anchor.t && s.t <= deadline);
  return heard.length === 0 ? ['the bot was silent in the window'] : [];
}

function lastIndex(events: readonly CallEvent[], from: number, to: number, test: (event: CallEvent) => boolean): number {
  for (let i = Math.min(to, events.length) - 1; i >= from; i--) if (test(events[i]!)) return i;
  return -1;
}
