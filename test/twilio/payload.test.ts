/**
 * The PCM16 check counts a bot's audio message by message. Its verdicts must be exactly those
 * of joining the messages into windows and reading each window whole, however the audio is
 * cut into messages (odd lengths included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mulawEncode } from '../../src/audio/g711.ts';
import { PayloadInspector, pcm16Evidence } from '../../src/protocols/twilio/payload.ts';

/** The window-by-window reading: pool messages until 800 bytes, read the joined window. */
function joinedVerdicts(messages: Uint8Array[]) {
  const verdicts = [];
  let pool: Uint8Array[] = [];
  let pooled = 0;
  for (const message of messages) {
    pool.push(message);
    pooled += message.length;
    if (pooled < 800) {
      verdicts.push(null);
      continue;
    }
    verdicts.push(pcm16Evidence(Buffer.concat(pool)));
    pool = [];
    pooled = 0;
  }
  return verdicts;
}

function tone(samples: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin(i / 3) + (i % 7) * 11));
}

const sources = {
  pcm16: Buffer.from(tone(8000, 3000).buffer),
  mulaw: Buffer.from(mulawEncode(tone(16000, 3000))),
  silence: Buffer.alloc(16000),
};

test('message by message, the verdicts equal those of the joined windows, however the audio is cut', () => {
  fc.assert(
    fc.property(fc.constantFrom(...(Object.keys(sources) as (keyof typeof sources)[])), fc.array(fc.integer({ min: 1, max: 1700 }), { minLength: 1, maxLength: 30 }), (source, cuts) => {
      const audio = sources[source];
      const messages: Uint8Array[] = [];
      let at = 0;
      for (const cut of cuts) {
        if (at >= audio.length) break;
        messages.push(audio.subarray(at, Math.min(audio.length, at + cut)));
        at += cut;
      }
      const inspector = new PayloadInspector();
      assert.deepEqual(messages.map((message) => inspector.push(message)), joinedVerdicts(messages));
    }),
    { numRuns: 300 },
  );
});

test('PCM16 sent as Twilio media is flagged, μ-law is not', () => {
  const flagged = (audio: Uint8Array) => {
    const inspector = new PayloadInspector();
    let found = false;
    for (let at = 0; at < audio.length; at += 640) found = inspector.push(audio.subarray(at, at + 640)) !== null || found;
    return found;
  };
  assert.equal(flagged(sources.pcm16), true);
  assert.equal(flagged(sources.silence), true, 'PCM16 digital silence');
  assert.equal(flagged(sources.mulaw), false);
});
