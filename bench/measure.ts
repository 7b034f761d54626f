/** Turns what a runner and its bot recorded into one row of figures. */
import { percentile } from '../src/engine/stats.ts';
import type { BotReport } from './bot.ts';
import { earLatencyFor } from './call-shape.ts';
import { Histogram } from './histogram.ts';
import type { Design, RunnerReport } from './protocol.ts';

export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export interface LevelFigures {
  design: Design;
  calls: number;
  /** Outbound frame lateness from its slot, as sent by the runner (ms). */
  send: Spread;
  /** Outbound frame deviation from the call's 20 ms grid, as it arrived at the bot (ms). */
  arrival: Spread;
  /** Stream rate against real time over each whole call: worst and median |error|, in %. */
  driftPct: { max: number; p50: number };
  /** |measured first-media latency − the bot's actual reply delay| (ms). */
  latencyError: Spread & { samples: number };
  /** |measured ear latency − the reply delay rounded up to the next 20 ms slot| (ms); convotest only. */
  earError?: Spread & { samples: number };
  cpuMsPerCallSecond: number;
  /** The kernel's part of cpuMsPerCallSecond. */
  systemCpuMsPerCallSecond: number;
  botCpuMsPerCallSecond: number;
  rssMbPerCall: number;
  rssPeakMb: number;
  /** Most bytes queued unsent on a call's socket right after a frame went out: 0 = no back-pressure. */
  maxQueuedBytes: number;
  failed: number;
  firstFailure?: string;
  pacer?: RunnerReport['pacer'];
  readDelay?: RunnerReport['readDelay'];
}

function spreadOf(histogram: Histogram): Spread {
  return { p50: histogram.percentile(50), p99: histogram.percentile(99), max: histogram.max };
}

function spreadOfValues(values: number[]): Spread & { samples: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50) ?? NaN,
    p99: percentile(sorted, 99) ?? NaN,
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    samples: sorted.length,
  };
}

export function figures(design: Design, calls: number, runner: RunnerReport, bot: BotReport): LevelFigures {
  const botCalls = new Map(bot.calls.map((call) => [call.streamSid, call]));
  const latency: number[] = [];
  const ear: number[] = [];
  for (const call of runner.calls) {
    const botCall = botCalls.get(call.streamSid);
    if (!botCall) continue;
    call.firstMedia.forEach((measured, i) => {
      const delay = botCall.replyDelays[i];
      if (measured !== null && delay !== undefined) latency.push(Math.abs(measured - delay));
    });
    call.ear.forEach((measured, i) => {
      const delay = botCall.replyDelays[i];
      if (measured !== null && delay !== undefined) ear.push(Math.abs(measured - earLatencyFor(delay)));
    });
  }
  const drift = bot.calls.filter((call) => call.frames > 50).map((call) => Math.abs(call.rateError) * 100);
  const driftSorted = drift.sort((a, b) => a - b);
  const callSeconds = runner.calls.reduce((sum, call) => sum + call.durationMs, 0) / 1000;
  const failures = runner.calls.filter((call) => !call.passed);
  return {
    design,
    calls,
    send: spreadOf(Histogram.fromJSON(runner.send)),
    arrival: spreadOf(Histogram.fromJSON(bot.arrival)),
    driftPct: { max: driftSorted.at(-1) ?? NaN, p50: percentile(driftSorted, 50) ?? NaN },
    latencyError: spreadOfValues(latency),
    ...(ear.length > 0 ? { earError: spreadOfValues(ear) } : {}),
    cpuMsPerCallSecond: runner.cpuMs / callSeconds,
    systemCpuMsPerCallSecond: runner.cpuSystemMs / callSeconds,
    botCpuMsPerCallSecond: bot.cpuMs / callSeconds,
    rssMbPerCall: Math.max(0, runner.rssPeakBytes - runner.rssBeforeBytes) / calls / 2 ** 20,
    rssPeakMb: runner.rssPeakBytes / 2 ** 20,
    maxQueuedBytes: runner.maxQueuedBytes,
    failed: failures.length + Math.max(0, calls - runner.calls.length),
    ...(failures[0]?.reason ? { firstFailure: failures[0].reason } : {}),
    ...(runner.pacer ? { pacer: runner.pacer } : {}),
    ...(runner.readDelay ? { readDelay: runner.readDelay } : {}),
  };
}

/** p99 pacing, the figure the targets are about: the worse of at-send and at-arrival. */
export function pacingP99(row: LevelFigures): number {
  return Math.max(row.send.p99, row.arrival.p99);
}
