/** Call rates as written in suites and on the command line: `20`, `20/s`, `300/m`. */

export class RateError extends Error {}

/** Calls per second; the message says what to write instead. */
export function parseRate(text: string | number): number {
  const written = String(text);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min))?\s*$/.exec(written);
  const value = match ? Number(match[1]) : NaN;
  if (!match || !(value > 0)) {
    throw new RateError(`rate ${JSON.stringify(written)} is not a call rate: write calls per second or minute, e.g. 20/s or 300/m`);
  }
  const unit = match[2] ?? 's';
  return unit.startsWith('m') ? value / 60 : value;
}
