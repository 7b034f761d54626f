/** What a runner process cost while its calls ran: CPU, peak RSS over the RSS before, wall time. */
import { performance } from 'node:perf_hooks';
import type { RunnerReport } from './protocol.ts';

export type ProcessCost = Pick<RunnerReport, 'cpuMs' | 'cpuSystemMs' | 'rssBeforeBytes' | 'rssPeakBytes' | 'wallMs'>;

/**
 * Starts measuring now; `stop` reads the figures. No forced GC first, though it would make
 * "RSS before" a cleaner floor: a full GC resets V8's old-generation budget to a small
 * multiple of what is live, undoing the budget `convotest load` starts with (bin/relaunch.js),
 * and the bench must run the engine as the command does.
 */
export function startProcessMeter(): { startedAt: number; stop(): ProcessCost } {
  let rssPeak = 0;
  const sampleRss = () => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss()));
  const rssBeforeBytes = process.memoryUsage.rss();
  const sampler = setInterval(sampleRss, 100);
  const cpuStart = process.cpuUsage();
  const startedAt = performance.now();
  return {
    startedAt,
    stop: () => {
      sampleRss();
      clearInterval(sampler);
      const cpu = process.cpuUsage(cpuStart);
      return {
        cpuMs: (cpu.user + cpu.system) / 1000,
        cpuSystemMs: cpu.system / 1000,
        rssBeforeBytes,
        rssPeakBytes: rssPeak,
        wallMs: performance.now() - startedAt,
      };
    },
  };
}
