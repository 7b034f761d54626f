import { randomBytes } from 'node:crypto';

/** Twilio-style ids: a two-letter prefix and 32 hex digits (CA… call, AC… account, MZ… stream). */
export function newSid(prefix: 'CA' | 'AC' | 'MZ'): string {
  return prefix + randomBytes(16).toString('hex');
}
