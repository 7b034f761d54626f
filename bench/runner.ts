/**
 * The convotest side of the benchmark, in its own process: the real load engine (real
 * suite loader, runCall, Twilio caller session on the shared pacer, timeline, recorder,
 * metrics) against the bench bot. The only addition is a wrapper around the session's send
 * that times each outbound media frame against the pacer slot it belongs to.
 *
 * Usage (by bench/run.ts): node --import tsx bench/runner.ts '<RunnerConfig JSON>'
 */
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sharedPacer } from '../src/clock/pacer.ts';
import { runLoad } from '../src/engine/load.ts';
import { TwilioCallerSession } from '../src/protocols/twilio/caller.ts';
import type { CallResult } from '../src/engine/results.ts';
import { loadSuiteFile } from '../src/suite/index.ts';
import { benchSuiteYaml } from './call-shape.ts';
import { Histogram } from './histogram.ts';
import { formatReadDelay, watchReadDelay } from './read-delay.ts';
import { startProcessMeter } from './process-meter.ts';
import type { RunnerCall, RunnerConfig, RunnerReport } from './protocol.ts';

const config = JSON.parse(process.argv[2]!) as RunnerConfig;
const send = new Histogram();
let maxQueuedBytes = 0;
/** BENCH_TRACE=1: when frames left late, printed at the end (for finding stalls). */
const trace = process.env.BENCH_TRACE ? new Map<number, number>() : null;

// Everything the caller sends leaves through its session's `out` (src/protocols/twilio/caller.ts),
// a whole frame written on the socket; time each media frame when that write returns. (Wrapping
// net.Socket#write instead slowed every socket write in the process enough to change the result.)
type Out = (this: TwilioCallerSession, frame: Buffer, isMedia: boolean) => boolean;
const sessionPrototype = TwilioCallerSession.prototype as unknown as { out: Out; raw: Socket | null };
const originalOut = sessionPrototype.out;
sessionPrototype.out = function timedOut(this: TwilioCallerSession, frame: Buffer, isMedia: boolean) {
  const free = originalOut.call(this, frame, isMedia);
  if (!isMedia) return free;
  const slot = sharedPacer.currentSlotTime;
  const queued = (this as unknown as { raw: Socket | null }).raw?.writableLength ?? 0;
  if (queued > maxQueuedBytes) maxQueuedBytes = queued;
  if (!Number.isNaN(slot)) {
    const late = performance.now() - slot;
    send.add(late);
    if (trace && late > 5) {
      const at = Math.floor((slot - traceOrigin) / 100) * 100;
      trace.set(at, Math.max(trace.get(at) ?? 0, late));
    }
  }
  return free;
};

function streamSidOf(call: CallResult): string {
  const start = call.timeline.find((entry) => entry.dir === 'out' && entry.kind === 'start');
  const data = start?.data as { streamSid?: string } | undefined;
  return data?.streamSid ?? '';
}

const traceOrigin = performance.now();
const suiteFile = join(config.workDir, 'bench.yaml');
await writeFile(suiteFile, benchSuiteYaml(config.botUrl, config.tonePath, config.turns));
const suite = await loadSuiteFile(suiteFile);
const calls: RunnerCall[] = [];

const meter = startProcessMeter();
const readDelay = process.env.BENCH_READ_DELAY ? watchReadDelay() : null;

await runLoad({
  suites: [suite],
  outDir: join(config.workDir, 'reports'),
  recordAudio: config.record,
  ...(process.env.BENCH_NO_NICE ? { favourPacing: false } : {}),
  plan: { rate: config.rate, rampMs: 0, calls: config.calls },
  reporter: {
    onCallEnd: (_suite, call) => {
      const tones = call.turns.filter((turn) => turn.action.startsWith('audio'));
      calls.push({
        streamSid: streamSidOf(call),
        firstMedia: tones.map((turn) => turn.metrics.firstMediaLatency ?? null),
        ear: tones.map((turn) => turn.metrics.responseLatency ?? null),
        durationMs: call.durationMs,
        passed: call.status === 'passed',
        reason: call.reason,
      });
    },
  },
});

const cost = meter.stop();
const delays = readDelay?.();
if (delays) process.stderr.write(`[read delay] ${formatReadDelay(delays)}\n`);
if (trace) {
  const late = [...trace].map(([at, ms]) => `${at}:${ms.toFixed(0)}`).join(' ');
  process.stderr.write(`[trace] frames over 5 ms late (ms since start:worst ms, per 100 ms): ${late}\n`);
}
const report: RunnerReport = { type: 'result', send: send.toJSON(), calls, maxQueuedBytes, ...cost, pacer: { ...sharedPacer.stats }, ...(delays ? { readDelay: delays } : {}) };
process.send!(report, () => process.exit(0));
