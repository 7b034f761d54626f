/**
 * The hard limits a call runs under: the suite's `limits:`, overridden by the command line,
 * else defaults generous enough never to cut a real conversation short. Each limit keeps
 * where it came from, so the message that cites it tells the user what to change.
 */
import type { Limit } from '../protocols/guard.ts';
import type { Suite, SuiteLimits } from '../suite/model.ts';

export type { Limit } from '../protocols/guard.ts';

export const DEFAULT_LIMITS: Required<SuiteLimits> = {
  call: 10 * 60_000,
  connect: 10_000,
  idle: 30_000,
  recording: 10 * 60_000,
};

/** What the command line sets for every call of the run. */
export interface LimitOverrides {
  /** --max-call-duration, ms. */
  call?: number;
  /** --idle-timeout, ms. */
  idle?: number;
}

export type CallLimits = Record<keyof SuiteLimits, Limit>;

const FLAGS: Partial<Record<keyof SuiteLimits, string>> = { call: '--max-call-duration', idle: '--idle-timeout' };

export function callLimits(suite: Suite, overrides: LimitOverrides = {}): CallLimits {
  const pick = (key: keyof SuiteLimits): Limit => {
    const flag = FLAGS[key];
    const override = key === 'call' || key === 'idle' ? overrides[key] : undefined;
    if (override !== undefined && flag) return { ms: override, source: flag };
    const written = suite.limits?.[key];
    if (written !== undefined) return { ms: written, source: `limits.${key}` };
    return { ms: DEFAULT_LIMITS[key], source: `the default limits.${key}` };
  };
  return { call: pick('call'), connect: pick('connect'), idle: pick('idle'), recording: pick('recording') };
}
