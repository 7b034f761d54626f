/** What bench/run.ts hands a runner process, and what the runner sends back over IPC. */
import type { HistogramJson } from './histogram.ts';
import type { ReadDelayReport } from './read-delay.ts';

export type Design = 'convotest' | 'baseline';

export interface RunnerConfig {
  design: Design;
  botUrl: string;
  /** Concurrent calls: all of them are up together once the arrivals are done. */
  calls: number;
  /** Tone turns per call. */
  turns: number;
  /** Arrival rate while the calls are being started, calls per second. */
  rate: number;
  record: boolean;
  /** Scratch folder: the suite, the tone, the recordings. */
  workDir: string;
  tonePath: string;
}

export interface RunnerCall {
  streamSid: string;
  /** Per tone turn, in order: end of caller speech → first bot media received, as measured. */
  firstMedia: (number | null)[];
  /** Per tone turn: end of caller speech → first audible bot audio at the caller's ear. */
  ear: (number | null)[];
  durationMs: number;
  passed: boolean;
  reason?: string;
}

export interface RunnerReport {
  type: 'result';
  /** Lateness of every outbound media frame at send, from its slot, ms. */
  send: HistogramJson;
  calls: RunnerCall[];
  cpuMs: number;
  /** The kernel's share of cpuMs (socket writes, mostly). */
  cpuSystemMs: number;
  /** The most bytes a call's socket had queued unsent right after sending a frame. */
  maxQueuedBytes: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  wallMs: number;
  /** BENCH_READ_DELAY=1 only: how long bot replies took to be read, and why (bench/read-delay.ts). */
  readDelay?: ReadDelayReport;
  /** The shared pacer's counters (convotest only). */
  pacer?: { ticks: number; caughtUp: number; reanchored: number; stalls: number; longestStallMs: number };
}
