/**
 * Everything that happens in one call, on one clock: the events expectations match against,
 * and the entries the reports show. Waiters are woken as events arrive, so an expectation
 * resolves the moment its event happens rather than on a polling tick.
 */
import { redactSecretFields } from '../protocols/redact.ts';
import type { ProtocolEvent, WireMessage } from '../protocols/events.ts';
import type { TimelineEntry } from './results.ts';
import { describeEvent, describeWire } from './describe.ts';

/** An audible stretch of bot audio as the caller heard it; `end` is set when it stops. */
export interface BotSpeechEvent {
  type: 'botSpeech';
  t: number;
  end?: number;
  /** While it goes on: the end of its latest audible slot. */
  audibleUntil?: number;
  /** The audible stretches inside it, [start, end) in call time: what the caller actually heard. */
  runs: [number, number][];
  /** 1-based count of bot replies in the call. */
  reply: number;
}

/** Any raw message from the bot, for the `message` matcher (media payloads elided). */
export interface BotMessageEvent {
  type: 'message';
  t: number;
  kind: string;
  data: unknown;
}

export type CallEvent = ProtocolEvent | BotSpeechEvent | BotMessageEvent;

export interface Match {
  event: CallEvent;
  index: number;
}

type Listener = (event: CallEvent | null) => void;

/** Events of a slot are stamped with the slot's time but arrive a little later: waits run this much past a deadline. */
export const SLOT_SLACK_MS = 25;

/** Report entries kept per call; the events expectations match against are never capped. */
export const MAX_ENTRIES = 20_000;

/** Media frames between two other messages are shown as one entry: a call has 50 a second. */
const MEDIA_RUN_GAP_MS = 100;

export class Timeline {
  readonly events: CallEvent[] = [];
  readonly entries: TimelineEntry[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly openRuns: { in?: TimelineEntry; out?: TimelineEntry } = {};
  private elided = 0;
  private elisionNote: TimelineEntry | null = null;
  private ended = false;

  get isEnded(): boolean {
    return this.ended;
  }

  add(event: CallEvent): void {
    this.events.push(event);
    if (event.type !== 'message') {
      const entry: TimelineEntry = { t: event.t, dir: 'local', kind: event.type, summary: describeEvent(event) };
      // A violation carries the message that broke the rule, so the report shows both together.
      if (event.type === 'violation' && event.offending !== undefined) entry.data = forReport(event.offending);
      this.record(entry);
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Tells waiters an event they already saw has changed (a bot speech grew or ended). */
  touch(event: CallEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  note(t: number, kind: string, summary: string): void {
    this.record({ t, dir: 'local', kind, summary });
  }

  wire(message: WireMessage): void {
    if (message.kind === 'media') {
      this.mediaRun(message);
    } else {
      this.openRuns[message.dir] = undefined;
      this.record({ t: message.t, dir: message.dir, kind: message.kind, summary: describeWire(message), data: forReport(message.data) });
    }
    if (message.dir === 'in') this.add({ type: 'message', t: message.t, kind: message.kind, data: elidePayload(message.data) });
  }

  /**
   * Keeps an entry for the reports, up to MAX_ENTRIES a call: a bot flooding just under the
   * guard's rate would otherwise make report.json as large as the flood.
   */
  private record(entry: TimelineEntry): void {
    if (this.entries.length < MAX_ENTRIES) {
      this.entries.push(entry);
      return;
    }
    this.elided++;
    if (!this.elisionNote) {
      this.elisionNote = { t: entry.t, dir: 'local', kind: 'elided', summary: '' };
      this.entries.push(this.elisionNote);
    }
    this.elisionNote.summary = `${this.elided} later timeline entries left out (a call keeps at most ${MAX_ENTRIES})`;
  }

  /** Entries in time order: some are noted after the fact (a speech's end, after its hangover). */
  sortedEntries(): TimelineEntry[] {
    return [...this.entries].sort((a, b) => a.t - b.t);
  }

  /** No more events will come: waiters still pending give up now. */
  end(): void {
    this.ended = true;
    for (const listener of this.listeners) listener(null);
  }

  /**
   * Resolves with the first event from index `from` on that satisfies `test`, or null once
   * `deadline` (call time) has passed or the call is over. `now` reads the call clock. The
   * event must have happened by the deadline; `graceMs` lets it finish qualifying later (a
   * bot speech that started in time and must last a minimum duration).
   */
  waitFor(test: (event: CallEvent) => boolean, from: number, deadline: number, now: () => number, graceMs = 0): Promise<Match | null> {
    for (let i = from; i < this.events.length; i++) {
      const event = this.events[i]!;
      if (test(event)) return Promise.resolve(event.t <= deadline ? { event, index: i } : null);
    }
    if (this.ended || now() > deadline + graceMs) return Promise.resolve(null);
    return new Promise((resolve) => {
      const finish = (match: Match | null) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(match);
      };
      const listener: Listener = (event) => {
        if (event === null) return finish(null);
        if (!test(event)) return;
        const index = this.events.lastIndexOf(event);
        if (index >= from) finish(event.t <= deadline ? { event, index } : null);
      };
      // A slot's events are stamped with the slot time but arrive a little after it: wait one slot more.
      const timer = setTimeout(() => finish(null), Math.max(0, deadline + graceMs - now()) + SLOT_SLACK_MS);
      this.listeners.add(listener);
    });
  }

  /**
   * Resolves true as soon as `done()` holds, checked now and after every event or change,
   * or false once `deadline` (call time, plus one slot for late-stamped events) has passed or
   * the call is over. For conditions over several events (counts, groups, windows).
   */
  waitUntil(done: () => boolean, deadline: number, now: () => number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    if (this.ended || now() > deadline + SLOT_SLACK_MS) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const listener: Listener = (event) => {
        if (done()) finish(true);
        else if (event === null) finish(false);
      };
      const timer = setTimeout(() => finish(done()), Math.max(0, deadline - now()) + SLOT_SLACK_MS);
      this.listeners.add(listener);
    });
  }

  /** Calls `listener` on every event and change until the returned function is called; null means the call is over. */
  subscribe(listener: (event: CallEvent | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private mediaRun(message: WireMessage): void {
    const run = this.openRuns[message.dir];
    if (run && run.until !== undefined && message.t - run.until <= MEDIA_RUN_GAP_MS) {
      run.until = message.t;
      run.count = (run.count ?? 1) + 1;
      return;
    }
    const entry = new MediaRunEntry(message.t, message.dir);
    if (message.data !== null) entry.data = forReport(message.data);
    this.openRuns[message.dir] = entry;
    this.record(entry);
  }
}

/**
 * An entry for a run of media frames. Its summary is a getter, worked out when a report
 * reads it: rewriting a string on every frame was garbage fifty times a second per call. The
 * getter is the class's, not a closure per entry (a call keeps a run per reply and per prompt).
 */
class MediaRunEntry implements TimelineEntry {
  readonly kind = 'media';
  until: number;
  count = 1;
  data?: unknown;

  constructor(
    readonly t: number,
    readonly dir: 'in' | 'out' | 'local',
  ) {
    this.until = t;
  }

  // Outbound frames are one per slot, so their span is audio time; inbound spans are just arrival times.
  get summary(): string {
    return this.dir === 'out' ? `media ×${this.count} (${Math.round(this.until - this.t + 20)}ms)` : `media ×${this.count}`;
  }
}

/** Keeps a media message's shape but not its audio: reports and matchers never need the bytes. */
function elidePayload(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const record = data as Record<string, unknown>;
  const media = record.media as Record<string, unknown> | undefined;
  if (media && typeof media.payload === 'string') {
    return { ...record, media: { ...media, payload: `<${Math.floor((media.payload.length * 3) / 4)} bytes>` } };
  }
  if (typeof record.audioChunk === 'string') return { ...record, audioChunk: `<${Math.floor((record.audioChunk.length * 3) / 4)} bytes>` };
  return data;
}

/** What a report may show of a message: no audio bytes, no credentials. */
function forReport(data: unknown): unknown {
  return redactSecretFields(elidePayload(data));
}
