/** The TwiML subset convotest reads, and the XML reader under it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTwiml, TwimlError } from '../../src/protocols/twilio/twiml.ts';
import { parseXml, XmlError } from '../../src/protocols/twilio/xml.ts';

test('<Connect><Stream> with Parameters, after a Say and a Play that are kept for the timeline', () => {
  const plan = readTwiml(`<?xml version="1.0" encoding="UTF-8"?>
<!-- the pizza bot -->
<Response>
  <Say voice="Polly.Joanna">Hello &amp; welcome to &#x1F355; line</Say>
  <Play>https://cdn.example.com/jingle.mp3</Play>
  <Pause length="2"/>
  <Connect>
    <Stream url="wss://bot.example.com/stream" name="main" statusCallback="/status">
      <Parameter name="store" value="amsterdam &quot;centre&quot;"/>
      <Parameter name='tier' value='gold' />
    </Stream>
  </Connect>
  <Say>never reached while the stream runs</Say>
</Response>`);
  assert.equal(plan.stream.mode, 'connect');
  assert.equal(plan.stream.url, 'wss://bot.example.com/stream');
  assert.equal(plan.stream.name, 'main');
  assert.equal(plan.stream.statusCallback, '/status');
  assert.deepEqual(plan.stream.parameters, { store: 'amsterdam "centre"', tier: 'gold' });
  assert.deepEqual(plan.before.map((v) => v.verb), ['Say', 'Play', 'Pause']);
  assert.equal(plan.before[0]!.summary, '<Say voice="Polly.Joanna"> "Hello & welcome to 🍕 line"');
  assert.equal(plan.before[1]!.summary, '<Play> https://cdn.example.com/jingle.mp3');
  assert.deepEqual(plan.after, [], 'TwiML after <Connect> runs only once the stream ends');
});

test('<Start><Stream> is unidirectional, keeps its track, and TwiML goes on after it', () => {
  const plan = readTwiml('<Response><Start><Stream url="wss://h/s" track="both_tracks"/></Start><Say>Please hold</Say><Pause length="60"/></Response>');
  assert.equal(plan.stream.mode, 'start');
  assert.equal(plan.stream.track, 'both_tracks');
  assert.deepEqual(plan.after.map((v) => v.verb), ['Say', 'Pause']);
});

test('TwiML that gives convotest nothing to dial is refused with the reason', () => {
  const refused = (xml: string, pattern: RegExp) => assert.throws(() => readTwiml(xml), (e: Error) => e instanceof TwimlError && pattern.test(e.message));
  refused('<Response><Say>Hi</Say><Gather/></Response>', /no <Connect><Stream> or <Start><Stream> \(it has <Say>, <Gather>\)/);
  refused('<Response><Hangup/></Response>', /ends the call with <Hangup> before any <Stream>/);
  refused('<Response><Redirect>/next</Redirect></Response>', /does not follow <Redirect>/);
  refused('<Response><Connect><Stream/></Connect></Response>', /<Connect><Stream> has no url attribute/);
  refused('<Response><Connect><Stream url="wss://h"><Parameter value="x"/></Stream></Connect></Response>', /<Parameter> of <Stream> has no name/);
  refused('<Response><Start><Stream url="wss://h" track="left"/></Start></Response>', /must be inbound_track, outbound_track or both_tracks/);
  refused('<Reply><Connect/></Reply>', /root element is <Reply>, not <Response>/);
  refused('{"twiml": "no"}', /the reply is not XML: expected the root element at 1:1/);
  refused('<Response><Say>unclosed</Response>', /not XML: <\/Response> closes <Say> at 1:35/);
  refused('', /the document is empty/);
});

test('the XML reader refuses what TwiML never needs, and says where', () => {
  assert.throws(() => parseXml('<!DOCTYPE x [<!ENTITY a "b">]><x/>'), /document type declarations are not accepted/);
  assert.throws(() => parseXml('<a>&bogus;</a>'), /unknown entity &bogus;/);
  assert.throws(() => parseXml('<a>fish & chips</a>'), /"&" must be written &amp;/);
  assert.throws(() => parseXml('<a b=c/>'), /value of b must be quoted/);
  assert.throws(() => parseXml('<a b="1" b="2"/>'), /attribute b appears twice/);
  assert.throws(() => parseXml('<a/>\n<b/>'), (e: Error) => e instanceof XmlError && /unexpected content after the root element at 2:1/.test(e.message));
  assert.deepEqual(parseXml('<a x="1"><![CDATA[<raw & text>]]></a>'), { name: 'a', attrs: { x: '1' }, children: ['<raw & text>'] });
});
