import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { escapeXmlAttr, escapeXmlText, JUnitReporter, writeJUnit } from '../../src/report/junit.ts';
import { HOSTILE, makeRun } from './fixture.ts';

type Node = Record<string, any>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

let dir: string;
let xml: string;
let doc: Node;

function testcase(name: string): Node {
  const all: Node[] = doc.testsuites.testsuite.flatMap((s: Node) => s.testcase);
  const found = all.find((c) => c['@_name'] === name);
  assert.ok(found, `no testcase named ${name}`);
  return found;
}

function properties(tc: Node): Record<string, string> {
  return Object.fromEntries((tc.properties?.property ?? []).map((p: Node) => [p['@_name'], p['@_value']]));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convotest-junit-'));
  // A folder that does not exist yet: the writer must create it.
  await writeJUnit(makeRun(), join(dir, 'reports', 'junit.xml'));
  xml = await readFile(join(dir, 'reports', 'junit.xml'), 'utf8');
  doc = parser.parse(xml);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeJUnit', () => {
  test('is well-formed XML', () => {
    assert.equal(XMLValidator.validate(xml), true);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
  });

  test('totals on <testsuites> count every call, interrupted as skipped', () => {
    const root = doc.testsuites;
    assert.equal(root['@_name'], 'convotest');
    assert.equal(root['@_tests'], '6');
    assert.equal(root['@_failures'], '2');
    assert.equal(root['@_errors'], '1');
    assert.equal(root['@_skipped'], '2');
    assert.equal(root['@_time'], '20.630');
  });

  test('one <testsuite> per suite file with its counts and a cwd-relative file', () => {
    const suites: Node[] = doc.testsuites.testsuite;
    assert.deepEqual(
      suites.map((s) => [s['@_name'], s['@_file'], s['@_tests'], s['@_failures'], s['@_errors'], s['@_skipped'], s['@_time']]),
      [
        ['Pizza line', 'suites/pizza.yaml', '2', '1', '0', '0', '14.122'],
        ['Bank assistant', 'suites/bank.yaml', '4', '1', '1', '2', '5.530'],
      ],
    );
    assert.equal(suites[0]!['@_timestamp'], '2025-03-01T10:00:00.000Z');
    assert.deepEqual(properties(suites[1]!), { protocol: 'audiocodes', target: 'wss://bot.example.com/voice' });
  });

  test('one <testcase> per call, classname = suite, time in seconds', () => {
    const cases = doc.testsuites.testsuite.map((s: Node) => s.testcase.map((c: Node) => [c['@_classname'], c['@_name'], c['@_time']]));
    assert.deepEqual(cases, [
      [
        ['Pizza line', 'greets and takes an order', '4.210'],
        ['Pizza line', 'survives an interruption', '9.912'],
      ],
      [
        ['Bank assistant', 'answers in plain text', '2.500'],
        ['Bank assistant', 'transfers to an agent', '1.830'],
        ['Bank assistant', 'reads the balance', '0.000'],
        ['Bank assistant', 'hangs up politely', '1.200'],
      ],
    ]);
  });

  test('a passed call has no failure, error or skipped element', () => {
    const tc = testcase('greets and takes an order');
    assert.equal(tc.failure, undefined);
    assert.equal(tc.error, undefined);
    assert.equal(tc.skipped, undefined);
  });

  test('a failure names the turn, the expectation and its location, expected vs actual', () => {
    const failure = testcase('survives an interruption').failure;
    assert.equal(failure['@_type'], 'expectation');
    assert.equal(
      failure['@_message'],
      'turn 3: clear within 500ms of start of caller speech — expected clear within 500ms, got no clear; bot audio kept playing until 9.80s (suites/pizza.yaml:27:13)',
    );
    const body: string = failure['#text'];
    assert.match(body, /^turn 3: no clear within 500ms/);
    // The reason already names the turn, so the expectation line is not repeated.
    assert.doesNotMatch(body, /\nturn 3 \(audio wait\.wav, barge-in 400ms\): clear within 500ms of start of caller speech\n/);
    assert.match(body, /\nexpected: clear within 500ms\n/);
    assert.match(body, /\nactual: {3}no clear; bot audio kept playing until 9\.80s\n/);
    assert.match(body, /\nat suites\/pizza\.yaml:27:13\n/);
  });

  test('the failure body holds ten timeline entries starting just before the anchor', () => {
    const body: string = testcase('survives an interruption').failure['#text'];
    const excerpt = body.split('Timeline around the failure:\n')[1]!.split('\n');
    // Anchor (caller speech start) is entry 10 of 16; the window would start 3 before it but
    // slides back one so it stays ten entries long at the end of the timeline.
    assert.deepEqual(excerpt, [
      '     … 6 earlier',
      '  2.700s → caller audio menu.wav (×65 until 4.000s)',
      '  4.610s ← bot audio (×260 until 9.800s)',
      '  4.650s · bot speech 5.15s',
      '  5.000s → caller audio wait.wav (barge-in) (×60 until 6.200s)',
      '  5.010s · caller speech starts',
      '  5.510s · clear window closed (500ms)',
      '  6.200s · caller speech ends',
      '  9.800s ← mark "specials" sent',
      '  9.830s → mark "specials" echoed',
      '  9.900s → stop',
    ]);
  });

  test('metrics are testcase properties', () => {
    assert.deepEqual(properties(testcase('greets and takes an order')), {
      timeToFirstSpeech: '412',
      'botSpeechMs.turn1': '1380',
      'responseLatency.turn2': '640',
      'firstMediaLatency.turn2': '602',
      'botSpeechMs.turn2': '240',
      'markEchoDelay.1': '31',
      'markEchoDelay.2': '27',
      botSpeechMs: '1620',
      violations: '0',
    });
    assert.equal(properties(testcase('answers in plain text')).violations, '1');
  });

  test('system-out holds the event log and absolute attachment paths', () => {
    const out: string = testcase('greets and takes an order')['system-out'];
    const lines = out.split('\n');
    assert.equal(lines[0], '  0.000s → connected to builtin:reference');
    assert.ok(lines.includes('  1.831s → mark "greeting" echoed'));
    assert.ok(lines.includes('  0.380s ← bot audio (×70 until 1.792s)'));
    const reports = join(dir, 'reports');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('[[ATTACHMENT|')),
      [
        `[[ATTACHMENT|${resolve(reports, 'audio/pizza-line/greets-and-takes-an-order/call.wav')}]]`,
        `[[ATTACHMENT|${resolve(reports, 'audio/pizza-line/greets-and-takes-an-order/reply-1.wav')}]]`,
        `[[ATTACHMENT|${resolve(reports, 'audio/pizza-line/greets-and-takes-an-order/reply-2.wav')}]]`,
      ],
    );
    assert.equal(testcase('reads the balance')['system-out'], undefined);
  });

  test('hostile bot text survives escaped, minus the character XML cannot hold', () => {
    assert.ok(!xml.includes('<script>'));
    assert.ok(!xml.includes(']]>'));
    assert.ok(!xml.includes('\u0007'));
    assert.ok(xml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    const cleaned = HOSTILE.replace('\u0007', '');
    const tc = testcase('answers in plain text');
    assert.ok(tc.failure['@_message'].includes(cleaned), tc.failure['@_message']);
    assert.ok(tc.failure['#text'].includes(`actual:   ${cleaned}`));
    assert.ok(tc['system-out'].includes(`  0.300s ← text "${cleaned}"`));
  });

  test('an errored call gets <error> with its reason', () => {
    const error = testcase('transfers to an agent').error;
    assert.equal(error['@_type'], 'error');
    assert.equal(error['@_message'], 'WebSocket closed unexpectedly (code 1006) during turn 2');
    assert.match(error['#text'], /\n {2}1\.830s · socket closed 1006$/);
  });

  test('skipped and interrupted calls get <skipped> messages that tell them apart', () => {
    assert.equal(testcase('reads the balance').skipped['@_message'], 'not matched by --grep transfer');
    assert.match(testcase('hangs up politely').skipped['@_message'], /^interrupted: /);
  });
});

describe('XML escaping', () => {
  test('text escapes markup and strips characters XML 1.0 forbids', () => {
    assert.equal(escapeXmlText('a & b < c > d ]]> e'), 'a &amp; b &lt; c &gt; d ]]&gt; e');
    assert.equal(escapeXmlText('x\u0000\u0008\u000b\u001fy\t\n\r'), 'xy\t\n\r');
    assert.equal(escapeXmlText('lone \ud800 high, \udc00 low, \ufffe\uffff'), 'lone  high,  low, ');
    assert.equal(escapeXmlText('pair 😀 é \u0085'), 'pair 😀 é \u0085');
  });

  test('attributes also escape quotes and keep whitespace as references', () => {
    assert.equal(escapeXmlAttr(`"a" 'b'\tc\nd\re`), '&quot;a&quot; &apos;b&apos;&#9;c&#10;d&#13;e');
  });
});

describe('JUnitReporter', () => {
  test('writes on run end, with attachments relative to the run outDir', async () => {
    const path = join(dir, 'elsewhere', 'nested', 'out.xml');
    const reporter = new JUnitReporter(path);
    const outDir = join(dir, 'run-out');
    reporter.onRunStart({ outDir, suites: [], totalCalls: 6 });
    await reporter.onRunEnd(makeRun());
    const written = await readFile(path, 'utf8');
    assert.ok(written.includes(`[[ATTACHMENT|${resolve(outDir, 'audio/pizza-line/survives-an-interruption/call.wav')}]]`));
    assert.deepEqual(await readdir(join(dir, 'elsewhere', 'nested')), ['out.xml']);
  });
});
