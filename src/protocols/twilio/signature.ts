/**
 * X-Twilio-Signature, computed the way Twilio computes it: the full URL, then every POST
 * parameter as name followed by value, sorted by name; HMAC-SHA1 keyed with the account's
 * auth token; base64. A WebSocket upgrade is signed over the stream URL alone.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Twilio-Signature';

export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  let data = url;
  // Sorted by code unit, as Twilio's libraries sort (Object.keys().sort()).
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export type SignatureMode = 'valid' | 'wrong' | 'none';

/**
 * The header to send, or none. `wrong` signs with a random key, so the value has the right
 * shape and length and only a bot that really checks it will refuse the request.
 */
export function signatureHeader(
  mode: SignatureMode,
  authToken: string | undefined,
  url: string,
  params: Record<string, string> = {},
): Record<string, string> {
  if (mode === 'none') return {};
  if (mode === 'wrong') return { [SIGNATURE_HEADER]: twilioSignature(randomBytes(16).toString('hex'), url, params) };
  if (authToken === undefined) return {};
  return { [SIGNATURE_HEADER]: twilioSignature(authToken, url, params) };
}
