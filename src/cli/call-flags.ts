/**
 * The flags `run` and `load` share, read and checked in one place before anything runs:
 * which calls, --shard, --threshold, the reports folder and TLS. The first problem comes
 * back as one line for the user (exit 2); warnings (--insecure) are printed here.
 */
import { parseShard, ShardError, type Shard } from '../engine/shard.ts';
import { parseThresholdList, ThresholdError, type Threshold } from '../engine/thresholds.ts';
import type { TlsPolicy } from '../protocols/connect.ts';
import { readRunControlFlags, type RunControlFlags, type RunControlOptions } from './run-control-flags.ts';
import { prepareOutDir, readTlsFlags } from './safety.ts';

export interface CallFlags extends RunControlFlags {
  target?: string;
  out: string;
  audio: boolean;
  color?: boolean;
  /** ms; the hard limits (see src/engine/limits.ts). */
  maxCallDuration?: number;
  idleTimeout?: number;
  ca?: string;
  insecure?: boolean;
  /** --threshold, as written: `metric: expression[, expression…]`. */
  threshold?: string[];
  /** --shard i/n, as written. */
  shard?: string;
}

export interface CheckedCallFlags {
  selection: RunControlOptions;
  shard?: Shard;
  thresholds: Threshold[];
  outDir: string;
  tls?: TlsPolicy;
  warnings: string[];
  color: boolean;
}

export async function readCallFlags(flags: CallFlags): Promise<CheckedCallFlags | { error: string }> {
  const selection = readRunControlFlags(flags);
  if ('error' in selection) return selection;
  const thresholds: Threshold[] = [];
  for (const text of flags.threshold ?? []) {
    try {
      thresholds.push(...parseThresholdList(text));
    } catch (error) {
      if (error instanceof ThresholdError) return { error: `--threshold ${JSON.stringify(text)}: ${error.message}` };
      throw error;
    }
  }
  let shard: Shard | undefined;
  try {
    if (flags.shard !== undefined) shard = parseShard(flags.shard);
  } catch (error) {
    if (error instanceof ShardError) return { error: error.message };
    throw error;
  }
  const out = await prepareOutDir(flags.out);
  if ('error' in out) return out;
  const safety = await readTlsFlags(flags);
  if ('error' in safety) return safety;
  for (const warning of safety.warnings) process.stderr.write(`convotest: warning: ${warning}\n`);
  const color = flags.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  return { selection: selection.options, ...(shard ? { shard } : {}), thresholds, outDir: out.outDir, tls: safety.tls, warnings: safety.warnings, color };
}
