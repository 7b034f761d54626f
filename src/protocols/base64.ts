/**
 * Bot audio arrives as base64 inside JSON, in every message of a prompt. Checking the text
 * with a regular expression and then decoding it reads it twice (the check cost more than the
 * rest of a message's validation); here the decode is the check.
 */

/**
 * The bytes of standard base64 text (RFC 4648 §4 alphabet), or null when it is not that.
 * Node's decoder skips what it cannot read (spaces, stray characters, anything after `=`),
 * so those show as missing bytes; it also reads the URL-safe alphabet (`-`, `_`), refused
 * here. `=` padding, when present, must make the length a multiple of 4; `padded` requires it.
 */
export function decodeBase64(text: string, padded: boolean): Buffer | null {
  const length = text.length;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  // A length of 4n+1 is never base64 (the last character would hold 6 bits of no byte), and
  // ruling it out leaves no way for one skipped character to go unnoticed below.
  if (length % 4 === 1 || ((padded || padding > 0) && length % 4 !== 0)) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== Math.floor(((length - padding) * 3) / 4)) return null;
  if (text.includes('-') || text.includes('_')) return null;
  return bytes;
}
