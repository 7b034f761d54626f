/**
 * `forbid`: an event that must not happen in a window. A watch is armed when its turn starts
 * matching; it fails the moment a forbidden event lands in its window (so the call stops
 * there, not at the end of a long wait), and passes when the window closes: after `during`,
 * or when the next turn starts (`untilNextTurn`).
 */
import { formatMs } from '../clock/duration.ts';
import type { ExpectationSpec } from '../suite/model.ts';
import type { ResolvedAnchor } from './anchors.ts';
import { audibleBetween } from './barge-in.ts';
import { SLOT_MS } from './bot-speech.ts';
import { describeEvent } from './describe.ts';
import { kindOf } from './event-kinds.ts';
import { describeSpec } from './expectations.ts';
import { lastEvents } from './explain.ts';
import type { ExpectationResult, TurnResult } from './results.ts';
import { roundMs } from './stats.ts';
import type { BotSpeechEvent, CallEvent, Timeline } from './timeline.ts';

type ForbidSpec = Extract<ExpectationSpec, { kind: 'forbid' }>;

export interface ForbidScene {
  timeline: Timeline;
  speeches: readonly BotSpeechEvent[];
}

export class ForbidWatch {
  state: 'pending' | 'passed' | 'failed' | 'skipped' = 'pending';
  /** The one-line reason, once violated. */
  failure?: string;
  private start = 0;
  private end = Infinity;
  private anchorEvent: CallEvent | undefined;
  private opened = false;
  private unsubscribe: (() => void) | undefined;
  private readonly test: (event: CallEvent) => boolean;

  constructor(
    readonly spec: ForbidSpec,
    readonly outcome: ExpectationResult,
    readonly turn: TurnResult,
    private readonly scene: ForbidScene,
    private readonly anchorName: string,
    private readonly onViolation: (watch: ForbidWatch) => void,
  ) {
    this.test = kindOf(spec.event).test;
    outcome.description = `${describeSpec(spec)} ${this.describeWindow()}`;
  }

  get untilNextTurn(): boolean {
    return 'untilNextTurn' in this.spec.window;
  }

  /** The window opens at the anchor: events already in it are checked now, later ones as they come. */
  open(anchor: ResolvedAnchor): void {
    if (this.state !== 'pending') return;
    this.opened = true;
    this.start = anchor.t;
    if ('during' in this.spec.window) this.end = anchor.t + this.spec.window.during;
    this.outcome.anchorAt = roundMs(anchor.t);
    const events = this.scene.timeline.events;
    this.anchorEvent = anchor.isEvent ? events[anchor.index - 1] : undefined;
    for (const speech of this.scene.speeches) this.check(speech);
    for (let i = anchor.isEvent ? anchor.index : 0; i < events.length && this.state === 'pending'; i++) this.check(events[i]!);
    if (this.state === 'pending') this.unsubscribe = this.scene.timeline.subscribe((event) => event && this.check(event));
  }

  /** The anchor never came (an event anchor that did not happen): there was no window to break. */
  noAnchor(): void {
    if (this.state !== 'pending') return;
    this.state = 'passed';
    this.outcome.status = 'passed';
    this.outcome.message = `${this.anchorName} never came, so the window never opened`;
  }

  /** Closes the window at `at` (the next turn's start, the end of `during`, or the call's end). */
  close(at: number): void {
    if (this.state !== 'pending') return;
    this.end = Math.min(this.end, at);
    if (this.opened) for (const speech of this.scene.speeches) this.check(speech);
    if (this.state !== 'pending') return;
    this.stop();
    this.state = 'passed';
    this.outcome.status = 'passed';
    if (!this.opened) this.outcome.message = `${this.anchorName} did not come before the window closed, so there was nothing to check`;
  }

  /** The call stopped for another reason before the window closed. */
  abandon(): void {
    if (this.state !== 'pending') return;
    this.stop();
    this.state = 'skipped';
    this.outcome.message = 'not finished: the call stopped before its window closed';
  }

  /** When a `during` window closes, in call time. */
  get closesAt(): number {
    return this.end;
  }

  private check(event: CallEvent): void {
    if (this.state !== 'pending' || event === this.anchorEvent) return;
    if (this.spec.event.kind === 'botSpeech') {
      if (event.type !== 'botSpeech') return;
      const heard = audibleBetween(event, this.start, this.end);
      // Bot audio shorter than one slot is the edge of a slot straddling the window's start, not speech.
      if (heard > Math.max(this.spec.event.minDuration ?? 0, SLOT_MS)) {
        const from = Math.max(event.t, this.start);
        this.violate(from, `the caller heard ${formatMs(heard)} of bot audio in the window (bot speech #${event.reply}, from ${formatMs(from)})`);
      }
      return;
    }
    if (event.t < this.start || event.t > this.end || !this.test(event)) return;
    this.violate(event.t, `${describeEvent(event)} at ${formatMs(event.t)}, ${formatMs(event.t - this.start)} into the window`);
  }

  private violate(t: number, what: string): void {
    this.stop();
    this.state = 'failed';
    const outcome = this.outcome;
    outcome.status = 'failed';
    outcome.matchedAt = roundMs(t);
    outcome.latency = roundMs(t - this.start);
    outcome.expected = outcome.description;
    outcome.actual = what;
    outcome.message = `expected ${outcome.description}; got ${what}. ${lastEvents({ timeline: this.scene.timeline, turnStartedAt: this.turn.startedAt }, this.start)}`;
    this.turn.status = 'failed';
    this.failure = `turn ${this.turn.index} (${this.turn.action}): expected ${outcome.description}, got ${what}`;
    this.onViolation(this);
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private describeWindow(): string {
    return 'during' in this.spec.window ? `for ${formatMs(this.spec.window.during)} from ${this.anchorName}` : `from ${this.anchorName} until the next turn`;
  }
}
