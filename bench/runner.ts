/**
 * The convotest side of the benchmark, in its own process: the real load engine (real
 * suite loader, runCall, Twilio caller session on the shared pacer, timeline, recorder,
 * metrics) against the bench bot. The only addition is a wrapper around the media frame
 * writer that times each outbound frame against the pacer slot it belongs to.
 *
 * Usage (by bench/run.ts): node --import tsx bench/runner.ts '<RunnerConfig JSON>'
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sharedPacer } from '../src/clock/pacer.ts';
import { runLoad } from '../src/engine/load.ts';
import { MediaFrameWriter } from '../src/protocols/twilio/media-frame.ts';
import type { CallResult } from '../src/engine/results.ts';
import { loadSuiteFile } from '../src/suite/index.ts';
import { benchSuiteYaml } from './call-shape.ts';
import { Histogram } from './histogram.ts';
import type { RunnerCall, RunnerConfig, RunnerReport } from './protocol.ts';

const config = JSON.parse(process.argv[2]!) as RunnerConfig;
const send = new Histogram();
let maxQueuedBytes = 0;
/** BENCH_TRACE=1: when frames left late, printed at the end (for finding stalls). */
const trace = process.env.BENCH_TRACE ? new Map<number, number>() : null;

// Media frames go straight onto the socket (src/protocols/ws-frame.ts): time each one there.
const originalWrite = MediaFrameWriter.prototype.write;
MediaFrameWriter.prototype.write = function timedWrite(this: MediaFrameWriter, ...args: Parameters<MediaFrameWriter['write']>) {
  originalWrite.apply(this, args);
  const slot = sharedPacer.currentSlotTime;
  const queued = this.socket.writableLength;
  if (queued > maxQueuedBytes) maxQueuedBytes = queued;
  if (!Number.isNaN(slot)) {
    const late = performance.now() - slot;
    send.add(late);
    if (trace && late > 5) {
      const at = Math.floor((slot - traceOrigin) / 100) * 100;
      trace.set(at, Math.max(trace.get(at) ?? 0, late));
    }
  }
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

let rssPeak = 0;
const sampleRss = () => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss()));
global.gc?.();
const rssBefore = process.memoryUsage.rss();
const sampler = setInterval(sampleRss, 100);
const cpuStart = process.cpuUsage();
const wallStart = performance.now();

await runLoad({
  suites: [suite],
  outDir: join(config.workDir, 'reports'),
  recordAudio: config.record,
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

sampleRss();
clearInterval(sampler);
if (trace) {
  const late = [...trace].map(([at, ms]) => `${at}:${ms.toFixed(0)}`).join(' ');
  process.stderr.write(`[trace] frames over 5 ms late (ms since start:worst ms, per 100 ms): ${late}\n`);
}
const cpu = process.cpuUsage(cpuStart);
const report: RunnerReport = {
  type: 'result',
  send: send.toJSON(),
  calls,
  cpuMs: (cpu.user + cpu.system) / 1000,
  cpuSystemMs: cpu.system / 1000,
  maxQueuedBytes,
  rssBeforeBytes: rssBefore,
  rssPeakBytes: rssPeak,
  wallMs: performance.now() - wallStart,
  pacer: { ...sharedPacer.stats },
};
process.send!(report, () => process.exit(0));
