/**
 * Matches a turn's expectations against the call's timeline while the turn plays. Event
 * expectations match in the order listed (others may come between); `anyOrder` groups,
 * counts, `forbid` windows and `bargeIn` checks build on the same timeline. The first failure
 * stops the turn with a TurnFailure naming it; a forbidden event fails the call the moment it
 * comes, whichever turn is running then.
 */
import { formatMs } from '../clock/duration.ts';
import type { AnchorSpec, EventExpectationSpec, ExpectationSpec, TurnSpec } from '../suite/model.ts';
import { resolveAnchor, type AnchorScope, type ResolvedAnchor } from './anchors.ts';
import { interruptedSpeech, measureBargeIn } from './barge-in.ts';
import { HANGOVER_MS } from './bot-speech.ts';
import { kindOf, type EventKindRules } from './event-kinds.ts';
import { anchorName, describeSpec, describeWindow, type Anchor } from './expectations.ts';
import { explainMiss, lastEvents, type MissScene } from './explain.ts';
import { ForbidWatch } from './forbid.ts';
import type { ExpectationResult, TurnResult } from './results.ts';
import { roundMs } from './stats.ts';
import type { BotSpeechEvent, CallEvent, Timeline } from './timeline.ts';

/** Raised inside a turn to stop the call with a failed expectation or turn. */
export class TurnFailure extends Error {}

export interface ExpectScene {
  timeline: Timeline;
  /** Bot speeches of the call so far, in order (the list grows). */
  speeches: BotSpeechEvent[];
  now: () => number;
  /** The call's timeout for expectations without `within`. */
  timeout: number;
  /** False once the socket has closed. */
  isOpen: () => boolean;
}

interface Position {
  /** Ordered matching continues from this event index. */
  cursor: number;
  /** The event the last expectation matched (for `from: previous`). */
  previous?: { t: number; index: number };
}

type EventSpec = EventExpectationSpec;
type BargeInSpec = Extract<ExpectationSpec, { kind: 'bargeIn' }>;
type AnyOrderSpec = Extract<ExpectationSpec, { kind: 'anyOrder' }>;
type ForbidSpec = Extract<ExpectationSpec, { kind: 'forbid' }>;

export class ExpectationRunner {
  private readonly watches: ForbidWatch[] = [];
  /** The first forbid violation, once there is one: it fails every wait from then on. */
  private violation: TurnFailure | null = null;
  /**
   * Waits under way, each told if a violation comes first. A wait leaves this set when it
   * ends: racing every wait against one long-lived promise instead left a reaction on that
   * promise per wait, kept for the whole call (dozens per call, and a live heap that grew
   * with every turn).
   */
  private readonly guarded = new Set<(failure: TurnFailure) => void>();

  constructor(private readonly scene: ExpectScene) {}

  /** Matches one turn's expectations; throws TurnFailure at the first that fails. */
  async run(turn: TurnSpec, result: TurnResult, startIndex: number): Promise<void> {
    let position: Position = { cursor: startIndex };
    const windows: Promise<void>[] = [];
    for (let i = 0; i < turn.expect.length; i++) {
      const spec = turn.expect[i]!;
      const outcome = result.expectations[i]!;
      switch (spec.kind) {
        case 'forbid':
          windows.push(this.armForbid(spec, outcome, result, startIndex, position));
          break;
        case 'bargeIn':
          await this.guard(this.bargeIn(spec, outcome, result, startIndex));
          break;
        case 'anyOrder':
          position = await this.guard(this.anyOrder(spec, outcome, result, startIndex, position));
          break;
        default:
          position = await this.guard(this.event(spec, outcome, result, startIndex, position));
      }
    }
    await this.guard(Promise.all(windows));
  }

  /** Resolves when the action is done, unless a forbidden event fails the call first. */
  guard<T>(promise: Promise<T>): Promise<T> {
    // After a violation: whichever is settled first wins, the action when it already is.
    if (this.violation) return Promise.race([promise, Promise.reject(this.violation)]);
    return new Promise<T>((resolve, reject) => {
      const violated = (failure: TurnFailure) => reject(failure);
      const settled = () => this.guarded.delete(violated);
      promise.then(
        (value) => {
          settled();
          resolve(value);
        },
        (error: unknown) => {
          settled();
          reject(error);
        },
      );
      this.guarded.add(violated);
    });
  }

  private violate(failure: TurnFailure): void {
    if (this.violation) return;
    this.violation = failure;
    for (const violated of this.guarded) violated(failure);
    this.guarded.clear();
  }

  /**
   * The next turn starts (or the call is ending) at `at`: `untilNextTurn` windows close.
   * Returns the failure of a forbid that was broken, if any.
   */
  closeTurnWindows(at: number): string | null {
    for (const watch of this.watches) if (watch.untilNextTurn) watch.close(at);
    return this.watches.find((watch) => watch.state === 'failed')?.failure ?? null;
  }

  /** The call is over: windows still open close now if it ended normally, or are left unfinished if it failed. */
  finish(at: number, completed: boolean): string | null {
    const failure = completed ? this.closeTurnWindows(at) : null;
    for (const watch of this.watches) watch.abandon();
    return failure ?? this.watches.find((watch) => watch.state === 'failed')?.failure ?? null;
  }

  // ── event expectations ──────────────────────────────────────────────────────────────

  private async event(spec: EventSpec, outcome: ExpectationResult, result: TurnResult, startIndex: number, position: Position): Promise<Position> {
    const { anchor, window } = await this.anchorFor(spec, outcome, result, startIndex, position);
    const deadline = anchor.t + (spec.within ?? this.scene.timeout);
    const from = anchor.isEvent ? Math.max(position.cursor, anchor.index) : position.cursor;
    if (spec.count) return this.counted(spec, outcome, result, startIndex, position, anchor, window, deadline, from);
    const { test, grace } = kindOf(spec);
    const match = await this.guard(this.scene.timeline.waitFor(test, from, deadline, this.scene.now, grace));
    if (match) {
      pass(outcome, match.event.t, anchor.t);
      return { cursor: match.index + 1, previous: { t: match.event.t, index: match.index } };
    }
    this.fail(outcome, result, explainMiss(this.missScene(result, startIndex), spec, describeSpec(spec), window, anchor, deadline, from));
  }

  /** count / atLeast / atMost: how many matching events the window holds. */
  private async counted(
    spec: EventSpec,
    outcome: ExpectationResult,
    result: TurnResult,
    startIndex: number,
    position: Position,
    anchor: ResolvedAnchor,
    window: string,
    deadline: number,
    from: number,
  ): Promise<Position> {
    const { min, max } = spec.count!;
    const collector = new Collector(this.scene.timeline, kindOf(spec), from, deadline);
    // At least N passes as soon as the Nth comes; a maximum holds only once the window is over (or broken).
    const done = max === undefined ? () => collector.hits().length >= min : () => collector.hits().length > max;
    await this.guard(this.scene.timeline.waitUntil(done, deadline + collector.kind.grace, this.scene.now));
    const hits = collector.hits();
    const counted = max === undefined ? hits.slice(0, Math.max(min, 1)) : hits;
    const n = hits.length;
    outcome.count = n;
    const events = this.scene.timeline.events;
    if (n >= min && (max === undefined || n <= max)) {
      const last = counted[counted.length - 1];
      if (last === undefined) {
        outcome.status = 'passed';
        return position;
      }
      pass(outcome, events[last]!.t, anchor.t);
      return { cursor: last + 1, previous: { t: events[last]!.t, index: last } };
    }
    const times = hits.slice(0, 5).map((i) => formatMs(events[i]!.t));
    const got = n === 0 ? 'none' : `${n}: at ${times.join(', ')}${n > times.length ? ', …' : ''}`;
    const description = describeSpec(spec);
    this.fail(outcome, result, {
      expected: `${description} ${window}, by ${formatMs(deadline)}`,
      actual: got,
      message: `expected ${description} ${window}; got ${got}. ${lastEvents(this.missScene(result, startIndex))} (${anchor.name} was at ${formatMs(anchor.t)})`,
    });
  }

  // ── anyOrder ───────────────────────────────────────────────────────────────────────

  private async anyOrder(spec: AnyOrderSpec, outcome: ExpectationResult, result: TurnResult, startIndex: number, position: Position): Promise<Position> {
    const members: { spec: EventSpec; anchor: ResolvedAnchor; window: string; deadline: number; from: number; collector: Collector }[] = [];
    for (const member of spec.members) {
      const scratch: ExpectationResult = { ...outcome };
      let resolved: { anchor: ResolvedAnchor; window: string };
      try {
        resolved = await this.anchorFor(member, scratch, result, startIndex, position);
      } catch (error) {
        // A member whose anchor never came fails the group, which is what the report shows.
        if (error instanceof TurnFailure) Object.assign(outcome, { status: scratch.status, expected: scratch.expected, actual: scratch.actual, message: scratch.message });
        throw error;
      }
      const { anchor, window } = resolved;
      const deadline = anchor.t + (member.within ?? this.scene.timeout);
      const from = anchor.isEvent ? Math.max(position.cursor, anchor.index) : position.cursor;
      members.push({ spec: member, anchor, window, deadline, from, collector: new Collector(this.scene.timeline, kindOf(member), from, deadline) });
    }
    const windows = members.map((m) => m.window);
    outcome.description = windows.every((w) => w === windows[0])
      ? `${describeSpec(spec)} ${windows[0] ?? ''}`.trim()
      : `in any order: ${members.map((m) => `${describeSpec(m.spec)} ${m.window}`).join('; ')}`;
    const solve = () => assign(members.map((m) => m.collector.hits()));
    const lastDeadline = Math.max(...members.map((m) => m.deadline + m.collector.kind.grace));
    await this.guard(this.scene.timeline.waitUntil(() => solve().complete, lastDeadline, this.scene.now));
    const { complete, assignment } = solve();
    const events = this.scene.timeline.events;
    if (complete) {
      const last = Math.max(...assignment.map((index) => index!));
      const first = Math.min(...members.map((m) => m.anchor.t));
      pass(outcome, events[last]!.t, first);
      return { cursor: last + 1, previous: { t: events[last]!.t, index: last } };
    }
    const matched = members.flatMap((m, i) => (assignment[i] === undefined ? [] : [`${describeSpec(m.spec)} at ${formatMs(events[assignment[i]!]!.t)}`]));
    const missing = members.find((_, i) => assignment[i] === undefined)!;
    const why = explainMiss(this.missScene(result, startIndex), missing.spec, describeSpec(missing.spec), missing.window, missing.anchor, missing.deadline, missing.from);
    const prefix = matched.length ? `${matched.join(', ')} matched, but ` : '';
    this.fail(outcome, result, {
      expected: outcome.description,
      actual: `${prefix}${describeSpec(missing.spec)}: ${why.actual}`,
      message: `${prefix}${why.message}`,
    });
  }

  // ── forbid ─────────────────────────────────────────────────────────────────────────

  /** Arms a forbid; resolves when a `during` window has passed (untilNextTurn ones resolve at once). */
  private async armForbid(spec: ForbidSpec, outcome: ExpectationResult, result: TurnResult, startIndex: number, position: Position): Promise<void> {
    const name = anchorName(spec.from, result.anchor as Anchor);
    const watch = new ForbidWatch(spec, outcome, result, this.scene, name, (broken) => this.violate(new TurnFailure(broken.failure)));
    this.watches.push(watch);
    const opening = this.resolve(spec.from, result, startIndex, position).then((anchor) => {
      if (anchor) watch.open(anchor);
      else watch.noAnchor();
    });
    if (watch.untilNextTurn) return;
    await opening;
    await this.scene.timeline.waitUntil(() => watch.state !== 'pending', watch.closesAt, this.scene.now);
    watch.close(watch.closesAt);
  }

  // ── bargeIn ────────────────────────────────────────────────────────────────────────

  private async bargeIn(spec: BargeInSpec, outcome: ExpectationResult, result: TurnResult, startIndex: number): Promise<void> {
    const callerStart = result.callerSpeech?.start;
    outcome.description = describeSpec(spec);
    const scene = this.missScene(result, startIndex);
    if (callerStart === undefined) {
      this.fail(outcome, result, { expected: outcome.description, actual: 'the caller never spoke', message: `expected ${outcome.description}; the caller's audio never played. ${lastEvents(scene)}` });
    }
    const speech = interruptedSpeech(this.scene.speeches, callerStart);
    if (!speech) {
      const heard = this.scene.speeches.slice(-3).map((s) => `${formatMs(s.t)}–${s.end === undefined ? 'now' : formatMs(s.end)}`);
      const actual = `the bot was not speaking when the caller started at ${formatMs(callerStart)}: there was nothing to interrupt`;
      this.fail(outcome, result, {
        expected: outcome.description,
        actual,
        message: `expected ${outcome.description}; ${actual}${heard.length ? ` (bot speech: ${heard.join(', ')})` : ' (the bot had not spoken)'}. ${lastEvents(scene)}`,
      });
    }
    const limits = [spec.stopWithin, spec.clearWithin, spec.maxTalkOver].filter((v): v is number => v !== undefined);
    const deadline = callerStart + (limits.length ? Math.max(...limits) : this.scene.timeout);
    const events = this.scene.timeline.events;
    let scanned = startIndex;
    let cleared = spec.clearWithin === undefined;
    const clearSeen = () => {
      for (; !cleared && scanned < events.length; scanned++) cleared = events[scanned]!.type === 'clear' && events[scanned]!.t >= result.startedAt;
      return cleared;
    };
    // A speech's end is known only a hangover after its last audible slot.
    await this.guard(this.scene.timeline.waitUntil(() => speech.end !== undefined && clearSeen(), deadline + HANGOVER_MS, this.scene.now));
    const measure = measureBargeIn(speech, callerStart, events, result.startedAt);
    const problems: string[] = [];
    if (spec.clearWithin !== undefined && !(measure.clearLatency !== undefined && measure.clearLatency <= spec.clearWithin)) {
      problems.push(measure.clearLatency === undefined ? 'no clear came' : `clear came ${formatMs(measure.clearLatency)} after the caller started`);
    }
    const stopped = measure.stopLatency !== undefined;
    if ((spec.stopWithin !== undefined || limits.length === 0) && !(stopped && measure.stopLatency! <= (spec.stopWithin ?? Infinity))) {
      problems.push(
        stopped
          ? `bot audio kept playing for ${formatMs(measure.stopLatency!)} after the caller started (until ${formatMs(speech.end!)})`
          : `bot audio was still playing at ${formatMs(speech.audibleUntil ?? deadline)}, ${formatMs((speech.audibleUntil ?? deadline) - callerStart)} after the caller started`,
      );
    }
    if (spec.maxTalkOver !== undefined && measure.talkOver > spec.maxTalkOver) problems.push(`the caller heard ${formatMs(measure.talkOver)} of bot audio over their speech`);
    outcome.matchedAt = speech.end === undefined ? undefined : roundMs(speech.end);
    outcome.latency = measure.stopLatency;
    if (problems.length === 0) {
      outcome.status = 'passed';
      return;
    }
    const context = [
      `talk-over ${formatMs(measure.talkOver)}`,
      measure.clearLatency !== undefined ? `clear after ${formatMs(measure.clearLatency)}` : 'no clear',
      stopped ? `stopped after ${formatMs(measure.stopLatency!)}` : 'still playing',
    ];
    this.fail(outcome, result, {
      expected: `${outcome.description}, from the start of caller speech at ${formatMs(callerStart)}`,
      actual: problems.join('; '),
      message: `expected ${outcome.description}; ${problems.join('; ')} (${context.join(', ')}). ${lastEvents(scene)} (the start of caller speech was at ${formatMs(callerStart)})`,
    });
  }

  // ── shared ─────────────────────────────────────────────────────────────────────────

  /** Resolves an expectation's anchor and settles its description; a missing anchor fails it. */
  private async anchorFor(
    spec: EventSpec,
    outcome: ExpectationResult,
    result: TurnResult,
    startIndex: number,
    position: Position,
  ): Promise<{ anchor: ResolvedAnchor; window: string }> {
    const name = anchorName(spec.from, result.anchor as Anchor);
    const window = describeWindow(spec.within, name, this.scene.timeout);
    outcome.description = `${describeSpec(spec)} ${window}`;
    const anchor = await this.guard(this.resolve(spec.from, result, startIndex, position));
    if (!anchor) {
      const actual = `${name} never came, so the window never opened`;
      this.fail(outcome, result, {
        expected: outcome.description,
        actual,
        message: `expected ${outcome.description}; ${actual}. ${lastEvents(this.missScene(result, startIndex))}`,
      });
    }
    if (spec.from) {
      outcome.anchor = name;
      outcome.anchorAt = roundMs(anchor.t);
    }
    return { anchor, window };
  }

  private resolve(from: AnchorSpec | undefined, result: TurnResult, startIndex: number, position: Position): Promise<ResolvedAnchor | null> {
    const scope: AnchorScope = {
      timeline: this.scene.timeline,
      speeches: this.scene.speeches,
      now: this.scene.now,
      turn: result,
      startIndex,
      previous: position.previous,
      waitUntil: Math.max(this.scene.now(), result.anchorAt) + this.scene.timeout,
    };
    return resolveAnchor(from, scope);
  }

  private missScene(result: TurnResult, startIndex: number): MissScene {
    return {
      timeline: this.scene.timeline,
      speeches: this.scene.speeches,
      over: this.scene.timeline.isEnded || !this.scene.isOpen(),
      turnStartedAt: result.startedAt,
      turnStartIndex: startIndex,
    };
  }

  private fail(outcome: ExpectationResult, result: TurnResult, why: { expected: string; actual: string; message: string }): never {
    outcome.status = 'failed';
    Object.assign(outcome, why);
    throw new TurnFailure(`turn ${result.index} (${result.action}): expected ${outcome.description}, got ${why.actual}`);
  }
}

/** Matching events from an index on, inside a deadline, scanned incrementally; events that grow (bot speeches) are re-tested. */
class Collector {
  private scanned: number;
  private readonly found: number[] = [];
  private readonly growing: number[] = [];

  constructor(
    private readonly timeline: Timeline,
    readonly kind: EventKindRules,
    from: number,
    private readonly deadline: number,
  ) {
    this.scanned = from;
  }

  hits(): number[] {
    const events = this.timeline.events;
    for (; this.scanned < events.length; this.scanned++) {
      const event = events[this.scanned]!;
      if (this.kind.grows && this.kind.sameKind(event)) this.growing.push(this.scanned);
      else if (event.t <= this.deadline && this.kind.test(event)) this.found.push(this.scanned);
    }
    const growing = this.growing.filter((i) => events[i]!.t <= this.deadline && this.kind.test(events[i]!));
    return growing.length === 0 ? this.found : [...this.found, ...growing].sort((a, b) => a - b);
  }
}

/**
 * Gives each member its own event (each event satisfies at most one member): a maximum
 * bipartite matching, so `[mark, mark "a"]` passes on marks "a" then "b" in either order.
 */
function assign(candidates: number[][]): { complete: boolean; assignment: (number | undefined)[] } {
  const owner = new Map<number, number>();
  const tryAssign = (member: number, seen: Set<number>): boolean => {
    for (const event of candidates[member]!) {
      if (seen.has(event)) continue;
      seen.add(event);
      const current = owner.get(event);
      if (current === undefined || tryAssign(current, seen)) {
        owner.set(event, member);
        return true;
      }
    }
    return false;
  };
  candidates.forEach((_, member) => tryAssign(member, new Set()));
  const assignment: (number | undefined)[] = candidates.map(() => undefined);
  for (const [event, member] of owner) assignment[member] = event;
  return { complete: assignment.every((a) => a !== undefined), assignment };
}

function pass(outcome: ExpectationResult, t: number, anchorAt: number): void {
  outcome.status = 'passed';
  outcome.matchedAt = roundMs(t);
  outcome.latency = roundMs(t - anchorAt);
}
