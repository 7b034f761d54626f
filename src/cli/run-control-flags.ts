/** The flags that choose which calls run and how often: parsed and checked for the actions. */
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

export type RunControlOptions = Pick<RunOptions, 'grep' | 'grepInvert' | 'tags' | 'forbidOnly' | 'policy' | 'failOnFlaky' | 'ttsCacheDir'>;

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
