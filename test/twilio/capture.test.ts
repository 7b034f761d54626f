/**
 * convotest's Twilio messages, field by field against a real 2020 Twilio session logged by
 * a bot (test/fixtures/twilio/connect-basic-capture.txt): same keys in the same order, the
 * same types (every number a string), the same counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { TwilioCallerSession } from '../../src/protocols/twilio/caller.ts';
import type { CallSink } from '../../src/protocols/session.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';

/** The capture prints messages as JavaScript object literals after a label; read them back. */
function captured(label: string): Record<string, any> {
  const text = readFileSync(new URL('../fixtures/twilio/connect-basic-capture.txt', import.meta.url), 'utf8');
  const start = text.indexOf(label);
  assert.ok(start >= 0, `capture has "${label}"`);
  const open = text.indexOf('{', start);
  let depth = 0;
  let end = open;
  for (; end < text.length; end++) {
    if (text[end] === '{') depth++;
    if (text[end] === '}' && --depth === 0) break;
  }
  return new Function(`return (${text.slice(open, end + 1)});`)() as Record<string, any>;
}

/** Key paths in order, with each leaf's type: the shape two messages must share. */
function shape(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}: array`, ...value.flatMap((item, i) => shape(item, `${path}[${i}]`))];
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => shape(child, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${typeof value}`];
}

const silentSink: CallSink = { event() {}, wire() {}, frame() {} };

test('connected, start and media frames have the exact shape of the real capture', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const origin = performance.now();
  const session = new TwilioCallerSession(
    { target: bot.url, from: '+1', to: '+2', parameters: { aCutomParameter: 'aCustomValue that was set in TwiML' }, options: {}, connectTimeout: 5000 },
    { origin, now: () => performance.now() - origin },
    silentSink,
  );
  await session.connect();
  const connection = await bot.nextConnection();
  await connection.waitFor((m) => m.event === 'media' && m.media.chunk === '3');
  await session.hangup();
  const [connected, start, media1, media2, media3] = connection.received;

  const realConnected = captured('Connected event received:');
  assert.deepEqual(connected, realConnected, 'connected is identical to the real one');

  const realStart = captured('Start event received:');
  assert.deepEqual(shape(start), shape(realStart), 'start has the same keys, order and types');
  assert.equal(start!.sequenceNumber, '1');
  assert.deepEqual(start!.start.mediaFormat, realStart.start.mediaFormat);
  assert.deepEqual(start!.start.tracks, ['inbound']);
  assert.deepEqual(start!.start.customParameters, realStart.start.customParameters);
  assert.match(start!.start.accountSid, /^AC[0-9a-f]{32}$/);
  assert.match(start!.start.callSid, /^CA[0-9a-f]{32}$/);
  assert.match(start!.streamSid, /^MZ[0-9a-f]{32}$/);
  assert.equal(start!.start.streamSid, start!.streamSid);

  const realMedia = captured('Media event received:');
  assert.deepEqual(shape(media1), shape(realMedia), 'media has the same keys, order and types');
  assert.equal(media1!.sequenceNumber, '2', 'one sequence counter across events: media follows start');
  assert.equal(media1!.media.chunk, '1');
  assert.equal(media1!.media.track, 'inbound');
  assert.equal(media1!.media.payload.length, realMedia.media.payload.length, '160 bytes of μ-law = 216 base64 characters');
  assert.equal(Buffer.from(media1!.media.payload, 'base64').length, 160);
  assert.ok(Buffer.from(media1!.media.payload, 'base64').every((byte) => byte === 0xff), 'idle frames are μ-law silence');
  assert.deepEqual([media2!.sequenceNumber, media2!.media.chunk, media3!.sequenceNumber, media3!.media.chunk], ['3', '2', '4', '3']);
  const stamps = [media1, media2, media3].map((m) => Number(m!.media.timestamp));
  assert.ok(stamps.every((stamp, i) => Number.isInteger(stamp) && (i === 0 || stamp > stamps[i - 1]!)), `timestamps are increasing ms: ${stamps}`);

  const stop = connection.received.at(-1)!;
  assert.deepEqual(Object.keys(stop), ['event', 'sequenceNumber', 'stop', 'streamSid']);
  assert.equal(stop.event, 'stop');
  assert.deepEqual(stop.stop, { accountSid: start!.start.accountSid, callSid: start!.start.callSid });
  assert.equal(Number(stop.sequenceNumber), connection.received.length - 1, 'stop takes the next sequence number');
  assert.equal((await connection.closed).code, 1000);
});

test('ids and DTMF follow the suite and Twilio: overridden sids, one dtmf event per key', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const origin = performance.now();
  const options = { accountSid: 'AC' + 'a'.repeat(32), callSid: 'CA' + 'b'.repeat(32), streamSid: '9e7ee906-377b-408f-a852-eebfb834422a' };
  const session = new TwilioCallerSession(
    { target: bot.url, from: '+1', to: '+2', parameters: {}, options, connectTimeout: 5000 },
    { origin, now: () => performance.now() - origin },
    silentSink,
  );
  await session.connect();
  const connection = await bot.nextConnection();
  await session.sendDtmf('1#');
  await session.hangup();
  const start = connection.received[1]!;
  assert.equal(start.start.accountSid, options.accountSid);
  assert.equal(start.start.callSid, options.callSid);
  assert.equal(start.streamSid, options.streamSid);
  const keys = connection.received.filter((m) => m.event === 'dtmf');
  assert.deepEqual(
    keys.map((m) => m.dtmf),
    [
      { track: 'inbound_track', digit: '1' },
      { track: 'inbound_track', digit: '#' },
    ],
  );
  assert.deepEqual(Object.keys(keys[0]!), ['event', 'streamSid', 'sequenceNumber', 'dtmf']);
  const sequence = connection.received.filter((m) => m.sequenceNumber).map((m) => Number(m.sequenceNumber));
  assert.deepEqual(sequence, sequence.map((_, i) => i + 1), 'sequenceNumber counts every event without gaps');
});
