/**
 * One 20 ms clock for every call in the process. A timer per call drifts and multiplies
 * wake-ups; one pacer wakes once per slot and lets every call produce its frame in that
 * wake-up. Slots are computed from a fixed origin (origin + k·period), never by adding the
 * period to "now", so lateness in one wake-up does not accumulate into drift.
 */
import { performance } from 'node:perf_hooks';

export type TickHandler = (slot: number, slotTime: number) => void;

export interface PacerOptions {
  periodMs?: number;
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
  ticks: number;
  /** Slots delivered late enough to be caught up in a burst. */
  caughtUp: number;
  /** Times the pacer gave up catching up and re-anchored. */
  reanchored: number;
}

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

export class Pacer {
  readonly periodMs: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, delayMs: number) => () => void;
  private readonly maxCatchUpSlots: number;
  private readonly onHandlerError: (error: unknown) => void;
  private readonly handlers = new Set<TickHandler>();
  private origin = 0;
  /** The next slot to deliver. */
  private nextSlot = 0;
  private cancel: (() => void) | null = null;
  readonly stats: PacerStats = { ticks: 0, caughtUp: 0, reanchored: 0 };

  constructor(options: PacerOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.schedule = options.schedule ?? defaultSchedule;
    this.maxCatchUpSlots = options.maxCatchUpSlots ?? 5;
    this.onHandlerError =
      options.onHandlerError ??
      ((error) => process.stderr.write(`convotest: a call's frame handler failed and was stopped: ${String(error)}\n`));
  }

  /** Subscribes a handler to every slot from the next one on; returns the unsubscribe. */
  add(handler: TickHandler): () => void {
    this.handlers.add(handler);
    if (this.handlers.size === 1 && this.cancel === null) this.start();
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0) this.stop();
    };
  }

  get size(): number {
    return this.handlers.size;
  }

  private start(): void {
    this.origin = this.now();
    this.nextSlot = 1;
    this.arm();
  }

  private stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private arm(): void {
    const due = slotTime(this.origin, this.periodMs, this.nextSlot);
    this.cancel = this.schedule(() => this.wake(), Math.max(0, due - this.now()));
  }

  /** Delivers every slot that is due, then sleeps until the next one. */
  private wake(): void {
    const now = this.now();
    const dueSlot = slotAt(this.origin, this.periodMs, now);
    if (dueSlot - this.nextSlot >= this.maxCatchUpSlots) {
      // A long stall: skip the missed slots rather than flood every call with them.
      this.stats.reanchored++;
      this.nextSlot = dueSlot;
    }
    while (this.nextSlot <= dueSlot && this.handlers.size > 0) {
      if (this.nextSlot < dueSlot) this.stats.caughtUp++;
      this.deliver(this.nextSlot);
      this.nextSlot++;
    }
    if (this.handlers.size > 0) this.arm();
    else this.cancel = null;
  }

  private deliver(slot: number): void {
    this.stats.ticks++;
    const time = slotTime(this.origin, this.periodMs, slot);
    for (const handler of this.handlers) {
      try {
        handler(slot, time);
      } catch (error) {
        // One call's bug must not stop the clock for the others: drop that handler.
        this.handlers.delete(handler);
        this.onHandlerError(error);
      }
    }
  }
}

/** The process-wide pacer every call shares. */
export const sharedPacer = new Pacer();
