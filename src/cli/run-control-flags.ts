/** The flags that choose which calls run and how often: parsed and checked for the actions. */
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import type { RunOptions } from '../engine/run.ts';

export interface RunControlFlags {
  grep?: string;
  grepInvert?: string;
  tag?: string[];
  forbidOnly?: boolean;
  retries?: number;
  repeat?: number;
  minPassRate?: number;
  failOnFlaky?: boolean;
  ttsCache?: string;
}

type RunControlOptions = Pick<RunOptions, 'grep' | 'grepInvert' | 'tags' | 'forbidOnly' | 'policy' | 'failOnFlaky' | 'ttsCacheDir'>;

/** commander: `--tag a --tag b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

/** `0.9` or `90%`. */
export function passRateFlag(value: string): number {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  const n = percent ? Number(percent[1]) / 100 : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1 || value.trim() === '') throw new InvalidArgumentError('expected a share from 0 to 1, like 0.9, or a percentage, like 90%');
  return n;
}

export function readRunControlFlags(flags: RunControlFlags): { options: RunControlOptions } | { error: string } {
  const options: RunControlOptions = {};
  for (const [flag, value, key] of [
    ['--grep', flags.grep, 'grep'],
    ['--grep-invert', flags.grepInvert, 'grepInvert'],
  ] as const) {
    if (value === undefined) continue;
    try {
      options[key] = new RegExp(value);
    } catch (error) {
      return { error: `${flag} ${JSON.stringify(value)} is not a valid regular expression: ${(error as Error).message}` };
    }
  }
  const tags = (flags.tag ?? []).map((tag) => tag.trim()).filter(Boolean);
  if (tags.length > 0) options.tags = tags;
  if (flags.forbidOnly) options.forbidOnly = true;
  const policy: NonNullable<RunOptions['policy']> = {};
  if (flags.retries !== undefined) policy.retries = flags.retries;
  if (flags.repeat !== undefined) policy.repeat = flags.repeat;
  if (flags.minPassRate !== undefined) policy.minPassRate = flags.minPassRate;
  if (Object.keys(policy).length > 0) options.policy = policy;
  if (flags.failOnFlaky) options.failOnFlaky = true;
  if (flags.ttsCache !== undefined) options.ttsCacheDir = resolve(flags.ttsCache);
  return { options };
}
