/**
 * BENCH_READ_DELAY=1: how long the runner took to read each bot reply, and what its main
 * thread was doing meanwhile. The latency measurement error is mostly this delay: the bot
 * stamps when it sent (bench/bot.ts puts the time in the reply's mark name, on the
 * machine-wide clock), the runner stamps when it read the mark; replies read more than
 * SLOW_MS late are split into time spent in pacer wake-ups, in garbage collection, and
 * elsewhere (other calls' messages, set-up and teardown, timers). Off by default: it wraps
 * the session's receive and the pacer's wake-up, which costs a little on every call.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Pacer } from '../src/clock/pacer.ts';
import { TwilioCallerSession } from '../src/protocols/twilio/caller.ts';
import { monoNow, toMono } from './clock.ts';
import { Histogram } from './histogram.ts';

const SLOW_MS = 2.5;
/** The mark is the only short message a reply carries; media messages are never this short. */
const SHORT_MESSAGE_BYTES = 200;
const SENT_AT = /"reply-\d+@([0-9.]+)"/;

type Span = [from: number, to: number];

export interface ReadDelayReport {
  /** ms from the bot's send to the runner's read of each reply's mark. */
  p50: number;
  p99: number;
  max: number;
  /** Replies read more than SLOW_MS late, and how their lateness splits. */
  slow: { count: number; totalMs: number; inPacerMs: number; inGcMs: number };
}

export function watchReadDelay(): () => ReadDelayReport {
  const delays = new Histogram();
  const slow: Span[] = [];
  const gcs: Span[] = [];
  const wakes: Span[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push([toMono(entry.startTime), toMono(entry.startTime + entry.duration)]);
  });
  observer.observe({ entryTypes: ['gc'] });

  type Receive = (this: TwilioCallerSession, data: unknown, isBinary: boolean) => void;
  const session = TwilioCallerSession.prototype as unknown as { receive: Receive };
  const receive = session.receive;
  session.receive = function timedReceive(data, isBinary) {
    if (Buffer.isBuffer(data) && data.length < SHORT_MESSAGE_BYTES) {
      const now = monoNow();
      const sentAt = SENT_AT.exec(data.toString('latin1'))?.[1];
      if (sentAt !== undefined) {
        const delay = now - Number(sentAt);
        delays.add(delay);
        if (delay > SLOW_MS) slow.push([Number(sentAt), now]);
      }
    }
    receive.call(this, data, isBinary);
  };

  const pacer = Pacer.prototype as unknown as { wake: (this: Pacer) => void };
  const wake = pacer.wake;
  pacer.wake = function timedWake() {
    const from = monoNow();
    wake.call(this);
    wakes.push([from, monoNow()]);
  };

  return () => {
    observer.disconnect();
    session.receive = receive;
    pacer.wake = wake;
    const overlap = (spans: Span[], [from, to]: Span) => spans.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
    let totalMs = 0;
    let inPacerMs = 0;
    let inGcMs = 0;
    for (const span of slow) {
      totalMs += span[1] - span[0];
      inPacerMs += overlap(wakes, span);
      inGcMs += overlap(gcs, span);
    }
    return { p50: delays.percentile(50), p99: delays.percentile(99), max: delays.max, slow: { count: slow.length, totalMs, inPacerMs, inGcMs } };
  };
}

export function formatReadDelay(report: ReadDelayReport): string {
  const { slow } = report;
  const share = (ms: number) => (slow.totalMs > 0 ? `${Math.round((100 * ms) / slow.totalMs)} %` : '–');
  return (
    `reply read delay p50/p99/max ${report.p50.toFixed(2)}/${report.p99.toFixed(2)}/${report.max.toFixed(1)} ms; ` +
    `${slow.count} read over ${SLOW_MS} ms late, their lateness ${share(slow.inPacerMs)} in pacer wake-ups, ${share(slow.inGcMs)} in GC (the two overlap when a collection runs in a wake-up), the rest elsewhere`
  );
}
