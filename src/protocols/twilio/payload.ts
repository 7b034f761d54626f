/**
 * Checks on what a bot sends as audio, where Twilio would not complain but the caller would
 * hear rubbish: a WAV header at the front, or 16-bit PCM sent where μ-law is expected.
 *
 * The PCM16 test reads byte statistics, not sound. In little-endian PCM16 every other byte
 * is a high byte; for speech at ordinary levels, and for near-silence even more, the high
 * bytes take few values while the low bytes take many. μ-law bytes look alike at even and
 * odd positions. So the entropy of the bytes at the two positions differs by bits for PCM16
 * and by noise for μ-law. PCM16 digital silence (all 0x00) has no such difference, but 0x00
 * is μ-law's loudest negative sample and hardly occurs in real μ-law audio.
 */

/** Enough bytes for the statistics to mean something: 100 ms of μ-law. */
const WINDOW_BYTES = 800;
/** Even-minus-odd byte entropy beyond this (bits) is PCM16. μ-law stays within a few tenths. */
const ENTROPY_GAP_LIMIT = 1;
/** Share of 0x00 bytes beyond this is PCM16 silence or quiet PCM16. */
const ZERO_LIMIT = 0.25;

export function startsWithRiff(audio: Uint8Array): boolean {
  return audio.length >= 4 && audio[0] === 0x52 && audio[1] === 0x49 && audio[2] === 0x46 && audio[3] === 0x46;
}

export interface Pcm16Evidence {
  /** Bits of entropy the odd (high) bytes lack compared with the even (low) bytes. */
  entropyGap: number;
  /** Share of 0x00 bytes. */
  zeros: number;
}

function entropy(counts: Uint32Array, total: number): number {
  let bits = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Statistics of one window; evidence when it looks like PCM16, else null. */
export function pcm16Evidence(bytes: Uint8Array): Pcm16Evidence | null {
  if (bytes.length < WINDOW_BYTES) return null;
  const even = new Uint32Array(256);
  const odd = new Uint32Array(256);
  const pairs = Math.floor(bytes.length / 2);
  for (let i = 0; i < pairs * 2; i += 2) {
    even[bytes[i]!]!++;
    odd[bytes[i + 1]!]!++;
  }
  return evidenceOf(even, odd, pairs);
}

/** The verdict on a window, from how often each byte value came at even and at odd positions. */
function evidenceOf(even: Uint32Array, odd: Uint32Array, pairs: number): Pcm16Evidence | null {
  const entropyGap = entropy(even, pairs) - entropy(odd, pairs);
  const zeros = (even[0]! + odd[0]!) / (pairs * 2);
  if (entropyGap > ENTROPY_GAP_LIMIT || zeros > ZERO_LIMIT) return { entropyGap, zeros };
  return null;
}

/**
 * Counts a bot's audio into windows and says when a window looks like PCM16. Bots send PCM16
 * in whole samples, so a byte's position counts from the start of the window, across
 * messages, as if they were joined (the counts are kept as messages come, rather than the
 * messages themselves: no copy of the audio, nothing allocated per message).
 */
export class PayloadInspector {
  private readonly even = new Uint32Array(256);
  private readonly odd = new Uint32Array(256);
  private pooled = 0;

  /** Returns evidence when the audio so far looks like PCM16, then starts a new window. */
  push(audio: Uint8Array): Pcm16Evidence | null {
    const { even, odd } = this;
    // The first byte of this message sits at an odd position of the window when an odd count came before.
    const first = this.pooled & 1;
    for (let i = 0; i < audio.length; i++) {
      if (((i + first) & 1) === 0) even[audio[i]!]!++;
      else odd[audio[i]!]!++;
    }
    this.pooled += audio.length;
    if (this.pooled < WINDOW_BYTES) return null;
    // A window of odd length leaves its last byte out, as a window of whole pairs would.
    if (this.pooled & 1) even[audio[audio.length - 1]!]!--;
    const evidence = evidenceOf(even, odd, Math.floor(this.pooled / 2));
    even.fill(0);
    odd.fill(0);
    this.pooled = 0;
    return evidence;
  }
}
