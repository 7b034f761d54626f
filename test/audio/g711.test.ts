import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import alawmulaw from 'alawmulaw';

import {
  ALAW_SILENCE,
  MULAW_SILENCE,
  alawDecode,
  alawEncode,
  mulawDecode,
  mulawEncode,
} from '../../src/audio/g711.ts';

const EVERY_SAMPLE = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const EVERY_BYTE = Uint8Array.from({ length: 256 }, (_, i) => i);

/**
 * G.711 quantisation: the decoded value is one of the two reconstruction levels either side
 * of the input, and the error is at most half the widest step near that magnitude
 * (relative error ≤ 1/30, plus 8 for the finest segments).
 */
function assertWithinQuantisation(
  encode: (s: Int16Array) => Uint8Array,
  decode: (b: Uint8Array) => Int16Array,
): void {
  const levels = Array.from(new Set(decode(EVERY_BYTE))).sort((a, b) => a - b);
  const decoded = decode(encode(EVERY_SAMPLE));
  let lowIndex = 0;
  for (let i = 0; i < EVERY_SAMPLE.length; i++) {
    const x = EVERY_SAMPLE[i]!;
    const y = decoded[i]!;
    while (lowIndex + 1 < levels.length && levels[lowIndex + 1]! <= x) lowIndex++;
    const inside = x >= levels[0]! && x <= levels[levels.length - 1]!;
    if (inside) {
      const lo = levels[lowIndex]!;
      const hi = levels[x === lo ? lowIndex : lowIndex + 1]!;
      assert.ok(y === lo || y === hi, `${x} decoded to ${y}, not a neighbouring level (${lo}, ${hi})`);
    } else {
      // Beyond the largest level the codec clips to it.
      assert.equal(y, x < 0 ? levels[0] : levels[levels.length - 1]);
    }
    assert.ok(Math.abs(y - x) <= Math.abs(x) / 30 + 8, `${x} decoded to ${y}`);
  }
}

describe('μ-law', () => {
  it('encodes known values', () => {
    assert.equal(MULAW_SILENCE, 0xff);
    assert.deepEqual(Array.from(mulawEncode(Int16Array.from([0, 32767, -32768, -1, 1, 32124]))), [
      0xff, 0x80, 0x00, 0x7f, 0xff, 0x80,
    ]);
  });

  it('decodes known values', () => {
    assert.deepEqual(Array.from(mulawDecode(Uint8Array.from([0xff, 0x7f, 0x80, 0x00, 0xfe, 0x7e]))), [
      0, 0, 32124, -32124, 8, -8,
    ]);
  });

  it('decodes every byte exactly as the alawmulaw package does', () => {
    assert.deepEqual(Array.from(mulawDecode(EVERY_BYTE)), Array.from(alawmulaw.mulaw.decode(EVERY_BYTE)));
  });

  it('round-trips every 16-bit value within G.711 quantisation error', () => {
    assertWithinQuantisation(mulawEncode, mulawDecode);
  });

  it('decoding what it encodes is stable (a second pass changes nothing)', () => {
    const once = mulawDecode(mulawEncode(EVERY_SAMPLE));
    assert.deepEqual(mulawDecode(mulawEncode(once)), once);
  });
});

describe('A-law', () => {
  it('encodes known values', () => {
    assert.equal(ALAW_SILENCE, 0xd5);
    assert.deepEqual(Array.from(alawEncode(Int16Array.from([0, 32767, -32768, -1, 7, -8]))), [
      0xd5, 0xaa, 0x2a, 0x55, 0xd5, 0x55,
    ]);
  });

  it('decodes known values', () => {
    assert.deepEqual(Array.from(alawDecode(Uint8Array.from([0xd5, 0x55, 0xaa, 0x2a]))), [8, -8, 32256, -32256]);
  });

  it('decodes every byte exactly as the alawmulaw package does', () => {
    assert.deepEqual(Array.from(alawDecode(EVERY_BYTE)), Array.from(alawmulaw.alaw.decode(EVERY_BYTE)));
  });

  it('round-trips every 16-bit value within G.711 quantisation error', () => {
    assertWithinQuantisation(alawEncode, alawDecode);
  });

  it('decoding what it encodes is stable (a second pass changes nothing)', () => {
    const once = alawDecode(alawEncode(EVERY_SAMPLE));
    assert.deepEqual(alawDecode(alawEncode(once)), once);
  });
});

it('encoders and decoders keep the length', () => {
  assert.equal(mulawEncode(new Int16Array(160)).length, 160);
  assert.equal(alawDecode(new Uint8Array(320)).length, 320);
});
