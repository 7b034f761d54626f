/**
 * G.711 μ-law and A-law (ITU-T G.711), table-driven.
 *
 * The encoders index a table by the top 14 (μ-law) or 13 (A-law) bits of the sample: that is
 * all the precision G.711 keeps, and a lookup per sample is far cheaper than bit searching when
 * hundreds of calls encode a 20 ms frame every tick. Negative inputs use the one's complement
 * (as the ITU reference code does), so +x and -x-1 map to mirror-image codes.
 */

/** μ-law byte for digital silence (decodes to 0); what Twilio pads with. */
export const MULAW_SILENCE = 0xff;

/** A-law byte for (near) digital silence: decodes to +8. */
export const ALAW_SILENCE = 0xd5;

const MULAW_BIAS = 33; // in 14-bit units (0x84 >> 2)
const MULAW_MAX = 0x1fff;

function mulawEncode14(v: number): number {
  const negative = v < 0;
  let mag = (negative ? -v - 1 : v) + MULAW_BIAS;
  if (mag > MULAW_MAX) mag = MULAW_MAX;
  // Segment = position of the top set bit, counted from bit 5 (where the bias puts the floor).
  const exponent = 31 - Math.clz32(mag) - 5;
  const mantissa = (mag >> (exponent + 1)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (exponent << 4) | mantissa) & 0xff;
}

function mulawDecodeByte(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

function alawEncode13(v: number): number {
  const negative = v < 0;
  const mag = negative ? -v - 1 : v;
  const mask = negative ? 0x55 : 0xd5;
  let segment: number;
  let mantissa: number;
  if (mag < 32) {
    segment = 0;
    mantissa = (mag >> 1) & 0x0f;
  } else {
    segment = 31 - Math.clz32(mag) - 4;
    mantissa = (mag >> segment) & 0x0f;
  }
  return ((segment << 4) | mantissa) ^ mask;
}

function alawDecodeByte(byte: number): number {
  const a = byte ^ 0x55;
  const segment = (a >> 4) & 0x07;
  const step = (a & 0x0f) << 4;
  const magnitude = segment === 0 ? step + 8 : (step + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const MULAW_ENCODE = new Uint8Array(1 << 14);
const ALAW_ENCODE = new Uint8Array(1 << 13);
const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);

for (let i = 0; i < MULAW_ENCODE.length; i++) MULAW_ENCODE[i] = mulawEncode14(i - 8192);
for (let i = 0; i < ALAW_ENCODE.length; i++) ALAW_ENCODE[i] = alawEncode13(i - 4096);
for (let b = 0; b < 256; b++) {
  MULAW_DECODE[b] = mulawDecodeByte(b);
  ALAW_DECODE[b] = alawDecodeByte(b);
}

export function mulawEncode(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = MULAW_ENCODE[(samples[i]! >> 2) + 8192]!;
  return out;
}

export function mulawDecode(bytes: Uint8Array): Int16Array {
  return mulawDecodeInto(bytes, new Int16Array(bytes.length));
}

/** Decodes into `out` (at least bytes.length long), for a caller that reuses one buffer every 20 ms. */
export function mulawDecodeInto(bytes: Uint8Array, out: Int16Array): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_DECODE[bytes[i]!]!;
  return out;
}

export function alawEncode(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = ALAW_ENCODE[(samples[i]! >> 3) + 4096]!;
  return out;
}

export function alawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i]!]!;
  return out;
}

/** One μ-law byte to its linear value; for decoders that read samples one at a time. */
export function mulawDecodeSample(byte: number): number {
  return MULAW_DECODE[byte & 0xff]!;
}

/** One A-law byte to its linear value. */
export function alawDecodeSample(byte: number): number {
  return ALAW_DECODE[byte & 0xff]!;
}
