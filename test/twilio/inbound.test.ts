/**
 * The bot-message reader without a socket: media payloads are decoded once, and what counts
 * as base64 is exactly what schemas/protocols/twilio-bot.schema.json's pattern says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decodeBase64 } from '../../src/protocols/base64.ts';
import { readTextFrame } from '../../src/protocols/twilio/inbound.ts';

const SID = 'MZ' + 'c'.repeat(32);
const schema = JSON.parse(readFileSync(new URL('../../schemas/protocols/twilio-bot.schema.json', import.meta.url), 'utf8'));
const PATTERN = new RegExp(schema.$defs.media.properties.media.properties.payload.pattern);

test('a payload is base64 exactly when the schema’s pattern says so', () => {
  const samples = ['', 'QQ==', 'QUI=', 'QUJD', '/+9w', 'QQ', 'QQ=', 'Q===', 'QQ==QQ==', 'QU I=', 'QUI=\n', 'QU-_', 'not*base64!', '====', 'QUJDRA==', 'QUJDRA=A'];
  for (const sample of samples) assert.equal(decodeBase64(sample, true) !== null, PATTERN.test(sample), JSON.stringify(sample));
  const chars = fc.constantFrom(...'AQgw+/9z=-_ *\n'.split(''));
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 24 }), (list) => {
      const text = list.join('');
      return (decodeBase64(text, true) !== null) === PATTERN.test(text);
    }),
    { numRuns: 5000 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => Buffer.from(bytes).equals(decodeBase64(Buffer.from(bytes).toString('base64'), true)!)));
});

test('a media message hands over the decoded audio; a bad payload is named, with the other faults of the message', () => {
  const audio = Buffer.from([0xff, 0x7f, 0x00, 0x10]);
  const good = readTextFrame(JSON.stringify({ event: 'media', streamSid: SID, media: { payload: audio.toString('base64') } }), SID);
  assert.deepEqual(good.violations, []);
  assert.ok(good.message?.event === 'media');
  assert.deepEqual([...good.message.audio], [...audio]);

  const bad = readTextFrame(JSON.stringify({ event: 'media', streamSid: SID, media: { payload: 'QU-_', track: 'outbound' } }), SID);
  assert.equal(bad.message, undefined, 'dropped');
  assert.deepEqual(bad.violations.map((v) => v.rule).sort(), ['payload-base64', 'unknown-field']);
  const wrongSid = readTextFrame(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: '@@@@' } }), SID);
  assert.deepEqual(wrongSid.violations.map((v) => v.rule), ['payload-base64'], 'the payload is named first, as the schema did');
  const notAString = readTextFrame(JSON.stringify({ event: 'media', streamSid: SID, media: 'QQ==' }), SID);
  assert.deepEqual(notAString.violations.map((v) => v.rule), ['message-shape']);
});
