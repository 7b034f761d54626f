/**
 * One 20 ms clock for every call in the process. A timer per call drifts and multiplies
 * wake-ups; one pacer wakes once per slot and lets every call produce its frame in that
 * wake-up. Slots are computed from a fixed origin (origin + k·period), never by adding the
 * period to "now", so lateness in one wake-up does not accumulate into drift.
 *
 * Phases: with a thousand calls, producing every frame in one wake-up takes milliseconds,
 * so the last call's frame would always leave late. The period is therefore split into
 * `phases` evenly spaced phases; each call is given the least busy phase when it joins and
 * keeps it, so its frames are still exactly one period apart, on its own grid, while each
 * wake-up only serves a fraction of the calls. A real media server does not send every
 * stream's packet at the same instant either.
 */
import { performance } from 'node:perf_hooks';

export type TickHandler = (slot: number, slotTime: number) => void;

export interface PacerOptions {
  periodMs?: number;
  /** How many evenly spaced phases share the period (1 = every call ticks together). */
  phases?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
  /** Schedules fn after delayMs; returns a cancel function. */
  schedule?: (fn: () => void, delayMs: number) => () => void;
  /**
   * After a stall (a blocked event loop), how many missed slots are still delivered back to
   * back so the streams keep real-time rate; a longer stall re-anchors instead, so calls do
   * not receive a burst of stale frames.
   */
  maxCatchUpSlots?: number;
  /** Told when a handler throws; the handler is dropped, the clock goes on for the others. */
  onHandlerError?: (error: unknown) => void;
}

export interface PacerStats {
  /** Phase deliveries (one per slot when there is one phase). */
  ticks: number;
  /** Deliveries a whole period or more late, caught up in a burst. */
  caughtUp: number;
  /** Times the pacer gave up catching up and re-anchored. */
  reanchored: number;
  /**
   * Wake-ups STALL_MS or more late: long enough to show in a latency (the frames of that
   * moment went out late), whether caught up or re-anchored.
   */
  stalls: number;
  /** The latest of those wake-ups, ms. */
  longestStallMs: number;
}

/** A wake-up this late (the event loop or the whole process was held up) counts as a stall. */
export const STALL_MS = 50;

const defaultSchedule = (fn: () => void, delayMs: number): (() => void) => {
  const timer = setTimeout(fn, delayMs);
  return () => clearTimeout(timer);
};

/** The slot due at or before `now`, for a clock anchored at `origin`. */
export function slotAt(origin: number, periodMs: number, now: number): number {
  return Math.floor((now - origin) / periodMs);
}

/** The scheduled time of `slot`. */
export function slotTime(origin: number, periodMs: number, slot: number): number {
  return origin + slot * periodMs;
}

/**
 * Steps interleave the phases: step j is slot ⌊j / phases⌋ of phase j mod phases, due at
 * origin + j·(period / phases). With one phase a step is a slot.
 */
export function stepOf(slot: number, phase: number, phases: number): number {
  return slot * phases + phase;
}

export class Pacer {
  readonly periodMs: number;
  readonly phases: number;
  private readonly stepMs: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, delayMs: number) => () => void;
  private readonly maxCatchUpSlots: number;
  private readonly onHandlerError: (error: unknown) => void;
  private readonly byPhase: Set<TickHandler>[];
  private handlerCount = 0;
  private origin = 0;
  /** The next step to deliver. */
  private nextStep = 0;
  private cancel: (() => void) | null = null;
  private waking = false;
  private delivering = Number.NaN;
  readonly stats: PacerStats = { ticks: 0, caughtUp: 0, reanchored: 0, stalls: 0, longestStallMs: 0 };

  constructor(options: PacerOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.phases = Math.max(1, Math.floor(options.phases ?? 1));
    this.stepMs = this.periodMs / this.phases;
    this.now = options.now ?? (() => performance.now());
    this.schedule = options.schedule ?? defaultSchedule;
    this.maxCatchUpSlots = options.maxCatchUpSlots ?? 5;
    this.onHandlerError =
      options.onHandlerError ??
      ((error) => process.stderr.write(`convotest: a call's frame handler failed and was stopped: ${String(error)}\n`));
    this.byPhase = Array.from({ length: this.phases }, () => new Set<TickHandler>());
  }

  /**
   * Subscribes a handler to every slot of the least busy phase from its next slot on;
   * returns the unsubscribe.
   */
  add(handler: TickHandler): () => void {
    let phase = 0;
    for (let p = 1; p < this.phases; p++) if (this.byPhase[p]!.size < this.byPhase[phase]!.size) phase = p;
    const handlers = this.byPhase[phase]!;
    const wasEmpty = handlers.size === 0;
    handlers.add(handler);
    this.handlerCount++;
    if (this.cancel === null && !this.waking) this.start();
    else if (wasEmpty && !this.waking) this.rearm();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      if (handlers.delete(handler)) this.handlerCount--;
      if (this.handlerCount === 0) this.stop();
    };
  }

  get size(): number {
    return this.handlerCount;
  }

  /** While handlers run: the time of the slot they are producing (NaN otherwise). For measuring send lateness. */
  get currentSlotTime(): number {
    return this.delivering;
  }

  private start(): void {
    this.origin = this.now();
    // The first slot is one period after the start, whatever phase the first handler has.
    this.nextStep = this.phases;
    this.arm();
  }

  private stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private rearm(): void {
    this.cancel?.();
    this.arm();
  }

  private stepTime(step: number): number {
    return this.origin + step * this.stepMs;
  }

  /** Sleeps until the next step whose phase has handlers. */
  private arm(): void {
    let step = this.nextStep;
    for (let i = 0; i < this.phases && this.byPhase[step % this.phases]!.size === 0; i++) step++;
    const due = this.stepTime(step);
    this.cancel = this.schedule(() => this.wake(), Math.max(0, due - this.now()));
  }

  /** Delivers every step that is due, then sleeps until the next one. */
  private wake(): void {
    this.waking = true;
    const now = this.now();
    const dueStep = Math.floor((now - this.origin) / this.stepMs);
    const late = now - this.stepTime(this.nextStep);
    if (late >= STALL_MS) {
      this.stats.stalls++;
      this.stats.longestStallMs = Math.max(this.stats.longestStallMs, late);
    }
    if (dueStep - this.nextStep >= this.maxCatchUpSlots * this.phases) {
      // A long stall: skip the missed slots rather than flood every call with them; each
      // phase still gets its latest due slot.
      this.stats.reanchored++;
      this.nextStep = dueStep - this.phases + 1;
    }
    while (this.nextStep <= dueStep && this.handlerCount > 0) {
      const step = this.nextStep++;
      const phase = step % this.phases;
      if (this.byPhase[phase]!.size === 0) continue;
      const time = this.stepTime(step);
      if (time + this.periodMs <= now) this.stats.caughtUp++;
      this.deliver(this.byPhase[phase]!, Math.floor(step / this.phases), time);
    }
    this.waking = false;
    if (this.handlerCount > 0) this.arm();
    else this.cancel = null;
  }

  private deliver(handlers: Set<TickHandler>, slot: number, time: number): void {
    this.stats.ticks++;
    this.delivering = time;
    for (const handler of handlers) {
      try {
        handler(slot, time);
      } catch (error) {
        // One call's bug must not stop the clock for the others: drop that handler.
        if (handlers.delete(handler)) this.handlerCount--;
        this.onHandlerError(error);
      }
    }
    this.delivering = Number.NaN;
  }
}

/**
 * The process-wide pacer every call shares: ten phases 2 ms apart, so a wake-up serves a
 * tenth of the calls and a thousand calls still leave within a couple of ms of their slot.
 */
export const sharedPacer = new Pacer({ phases: 10 });
