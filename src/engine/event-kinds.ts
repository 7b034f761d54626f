/**
 * Each kind of event expectation, described once, so expectations, counts, anyOrder groups,
 * forbid windows, failure text and event anchors cannot disagree about what a kind matches.
 */
import { formatMs } from '../clock/duration.ts';
import type { EventExpectationSpec, TextMatch } from '../suite/model.ts';
import { fieldMismatches, fieldsMatch } from './field-match.ts';
import type { CallEvent } from './timeline.ts';

type EventKind = EventExpectationSpec['kind'];
type SpecOf<K extends EventKind> = Extract<EventExpectationSpec, { kind: K }>;
type EventTest = (event: CallEvent) => boolean;
/** A spec's own conditions, each optional, so an event anchor can test as its kind with none (or a mark's name). */
type Conditions<K extends EventKind> = Partial<Omit<SpecOf<K>, 'kind' | 'within' | 'from' | 'count' | 'pos'>>;

/** How many unmatched events of the kind a failure lists. */
export const NEAR_EVENTS = 3;

interface KindRules<K extends EventKind> {
  /** The test for one event; a condition left out accepts any value. */
  test(conditions: Conditions<K>): EventTest;
  /** Events of this kind that did not match, for "got … instead"; default: the same event type. */
  sameKind?(spec: SpecOf<K>): EventTest;
  /** What to say about those unmatched events when listing the last few would not help most. */
  nearMiss?(spec: SpecOf<K>, near: CallEvent[]): string | undefined;
  /** `botSpeech lasting ≥ 300ms`, `mark "greeting"`: without count or window. */
  describe(spec: SpecOf<K>): string;
  /** How long past `within` a match may finish qualifying: `within` bounds when an event starts. */
  grace?(spec: SpecOf<K>): number;
  /** Its events change after they were added (timeline.touch), so one that failed the test may pass later. */
  grows?: true;
}

/** A mapped type, so a kind added to the model does not compile until it is described here. */
const KINDS: { [K in EventKind]: KindRules<K> } = {
  botSpeech: {
    // A speech still going counts up to its latest audible slot, so a long one passes before it ends.
    test: ({ minDuration: min }) => (e) => e.type === 'botSpeech' && (min === undefined || lasted(e) >= min),
    nearMiss: (spec, near) =>
      spec.minDuration === undefined ? undefined : `the bot spoke only briefly: ${near.slice(-NEAR_EVENTS).map((e) => `${formatMs(lasted(e))} at ${formatMs(e.t)}`).join(', ')}`,
    describe: (spec) => (spec.minDuration !== undefined ? `botSpeech lasting ≥ ${formatMs(spec.minDuration)}` : 'botSpeech'),
    grace: (spec) => spec.minDuration ?? 0,
    grows: true,
  },
  mark: { test: ({ name }) => (e) => e.type === 'mark' && (name === undefined || e.name === name), describe: ({ name }) => (name !== undefined ? `mark "${name}"` : 'mark') },
  clear: { test: () => (e) => e.type === 'clear', describe: () => 'clear' },
  dtmf: { test: ({ digits }) => (e) => e.type === 'dtmf' && (digits === undefined || e.digits === digits), describe: ({ digits }) => (digits !== undefined ? `dtmf "${digits}"` : 'dtmf') },
  hangup: { test: ({ reason }) => (e) => e.type === 'hangup' && textMatches(reason, e.reason), describe: ({ reason }) => (reason ? `hangup matching ${reason.source}` : 'hangup') },
  closed: { test: () => (e) => e.type === 'closed', describe: () => 'closed' },
  text: { test: ({ match }) => (e) => e.type === 'text' && textMatches(match, e.text), describe: ({ match }) => `text matching ${JSON.stringify(match.source)}` },
  // Only final results match; interim ones are still "the same kind", listed in a failure as what the bot was hearing.
  recognition: {
    test: ({ match }) => (e) => e.type === 'recognition' && e.final && textMatches(match, e.text),
    describe: ({ match }) => `recognition matching ${JSON.stringify(match.source)}`,
  },
  transfer: { test: ({ target }) => (e) => e.type === 'transfer' && textMatches(target, e.target), describe: ({ target }) => (target ? `transfer to ${target.source}` : 'transfer') },
  message: {
    test: ({ match }) => (e) => e.type === 'message' && (match === undefined || fieldsMatch(e.data, match)),
    // Messages of the kind asked for (Twilio `event`, AudioCodes `type`) when it is a plain name; otherwise any.
    sameKind: (spec) => {
      const kind = spec.match['event'] ?? spec.match['type'];
      const plain = typeof kind === 'string' && /^\w[\w.-]*$/.test(kind) ? kind : undefined;
      return (e) => e.type === 'message' && (plain === undefined || e.kind === plain);
    },
    // The message whose fields came closest, and which of them differed.
    nearMiss: (spec, near) => {
      const scored = near.slice(-50).map((event) => ({ event, misses: fieldMismatches(event.type === 'message' ? event.data : undefined, spec.match) }));
      const closest = scored.sort((a, b) => a.misses.length - b.misses.length || b.event.t - a.event.t)[0]!;
      const label = closest.event.type === 'message' ? closest.event.kind : closest.event.type;
      return `closest: bot ${label} at ${formatMs(closest.event.t)}, where ${closest.misses.join(', ')}`;
    },
    describe: (spec) => `message ${JSON.stringify(spec.match)}`,
  },
};

/** The one place the table is indexed: TypeScript cannot tie a union-typed spec's kind to its rules' type. */
function rulesOf<K extends EventKind>(kind: K): KindRules<K> {
  return KINDS[kind];
}

export type EventKindRules = ReturnType<typeof kindOf>;

/** One spec's rules, resolved once per expectation with the defaults filled in (see KindRules). */
export function kindOf(spec: EventExpectationSpec) {
  const rules = rulesOf(spec.kind);
  return {
    test: rules.test(spec),
    sameKind: rules.sameKind?.(spec) ?? ((e: CallEvent) => e.type === spec.kind),
    nearMiss: (near: CallEvent[]) => rules.nearMiss?.(spec, near),
    grace: rules.grace?.(spec) ?? 0,
    grows: rules.grows === true,
    describe: rules.describe(spec),
  };
}

/** `from: clear`, `from: mark:menu`: an expectation of that kind with no conditions but a mark's name; other events (botMedia) by type. */
export function anchorTest(event: string, name: string | undefined): EventTest {
  return Object.hasOwn(KINDS, event) ? rulesOf(event as EventKind).test({ name }) : (e) => e.type === event;
}

/** How long a bot speech has lasted: up to its latest audible slot while it goes on. */
function lasted(event: CallEvent): number {
  return event.type === 'botSpeech' ? (event.end ?? event.audibleUntil ?? event.t) - event.t : 0;
}

function textMatches(match: TextMatch | undefined, value: string | undefined): boolean {
  return match === undefined || (value !== undefined && match.regex.test(value));
}
