/** Commander parsers for `convotest load`'s own flags. */
import { InvalidArgumentError } from 'commander';
import { parseRate, RateError } from '../suite/rate.ts';

/** `--rate 20`, `20/s`, `300/m`: calls per second. */
export function rateFlag(value: string): number {
  try {
    return parseRate(value);
  } catch (error) {
    if (error instanceof RateError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
