/**
 * The compliance rules the Twilio side checks, by the name a suite uses to relax them
 * (`compliance: { payload-riff: warn }`). Each is what real Twilio would reject, drop or
 * play badly; the default severity is `error` except where Twilio itself only warns.
 */

export type Severity = 'error' | 'warn' | 'off';

export const TWILIO_RULES = {
  'invalid-json': 'a text frame that is not a JSON object (Twilio error 31951)',
  'binary-frame': 'a binary WebSocket frame (Twilio error 31950)',
  'unknown-event': 'an `event` other than media, mark and clear, or none',
  'stream-sid-missing': 'no `streamSid`, or `null`',
  'stream-sid-wrong': 'a `streamSid` that is not this stream’s',
  'stream-sid-snake-case': '`stream_sid` instead of `streamSid`',
  'mark-name': 'a mark without a `mark.name`',
  'unknown-field': 'a field Twilio does not define (Twilio rejects extra fields)',
  'message-shape': 'any other shape error, e.g. media without `media.payload`',
  'payload-base64': 'a media payload that is not base64',
  'payload-riff': 'a payload starting with "RIFF": a WAV header sent as audio',
  'payload-pcm16': 'payload statistics that look like 16-bit PCM rather than μ-law',
  'after-stop': 'any message after `stop` or after the socket closed',
  'after-clear': 'audio still arriving after `clear`, beyond what was in flight',
  'unidirectional': 'media, mark or clear sent on a `<Start><Stream>` (unidirectional) stream',
  'stream-url-query': 'a query string on the TwiML’s stream URL (real Twilio fails the handshake)',
} as const;

export type TwilioRule = keyof typeof TWILIO_RULES;

export const DEFAULT_SEVERITY: Partial<Record<TwilioRule, Severity>> = {
  'stream-url-query': 'warn',
};

export function isTwilioRule(name: string): name is TwilioRule {
  return Object.hasOwn(TWILIO_RULES, name);
}
