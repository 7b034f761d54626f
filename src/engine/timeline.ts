/**
 * Everything that happens in one call, on one clock: the events expectations match against,
 * and the entries the reports show. Waiters are woken as events arrive, so an expectation
 * resolves the moment its event happens rather than on a polling tick.
 */
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

/** Media frames between two other messages are shown as one entry: a call has 50 a second. */
const MEDIA_RUN_GAP_MS = 100;

export class Timeline {
  readonly events: CallEvent[] = [];
  readonly entries: TimelineEntry[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly openRuns: { in?: TimelineEntry; out?: TimelineEntry } = {};
  private ended = false;

  get isEnded(): boolean {
    return this.ended;
  }

  add(event: CallEvent): void {
    this.events.push(event);
    if (event.type !== 'message') this.entries.push({ t: event.t, dir: 'local', kind: event.type, summary: describeEvent(event) });
    for (const listener of this.listeners) listener(event);
  }

  /** Tells waiters an event they already saw has changed (a bot speech grew or ended). */
  touch(event: CallEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  note(t: number, kind: string, summary: string): void {
    this.entries.push({ t, dir: 'local', kind, summary });
  }

  wire(message: WireMessage): void {
    if (message.kind === 'media') {
      this.mediaRun(message);
    } else {
      this.openRuns[message.dir] = undefined;
      this.entries.push({ t: message.t, dir: message.dir, kind: message.kind, summary: describeWire(message), data: message.data });
    }
    if (message.dir === 'in') this.add({ type: 'message', t: message.t, kind: message.kind, data: elidePayload(message.data) });
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
      const timer = setTimeout(() => finish(null), Math.max(0, deadline + graceMs - now()) + 25);
      this.listeners.add(listener);
    });
  }

  private mediaRun(message: WireMessage): void {
    const run = this.openRuns[message.dir];
    if (run && run.until !== undefined && message.t - run.until <= MEDIA_RUN_GAP_MS) {
      run.until = message.t;
      run.count = (run.count ?? 1) + 1;
      // Outbound frames are one per slot, so their span is audio time; inbound spans are just arrival times.
      run.summary = message.dir === 'out' ? `media ×${run.count} (${Math.round(run.until - run.t + 20)}ms)` : `media ×${run.count}`;
      return;
    }
    const entry: TimelineEntry = { t: message.t, dir: message.dir, kind: 'media', summary: 'media ×1', until: message.t, count: 1 };
    if (message.data !== null) entry.data = elidePayload(message.data);
    this.openRuns[message.dir] = entry;
    this.entries.push(entry);
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
