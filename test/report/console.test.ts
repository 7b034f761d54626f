import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import type { CallResult } from '../../src/engine/results.ts';
import { ConsoleReporter, formatCallLine, formatSummaryLine, shouldColor } from '../../src/report/console.ts';
import { calls, makeRun } from './fixture.ts';

const ANSI = /\u001b\[[0-9;]*m/;

/** A stream that keeps what is written, synchronously, so a test can read it right after a hook. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function copy(call: CallResult): CallResult {
  return structuredClone(call);
}

describe('formatCallLine', () => {
  test('one line per status, without colour', () => {
    assert.equal(formatCallLine(calls.passed, false), '  ✓ Pizza line › greets and takes an order (4.21s) · latency 640ms');
    assert.equal(formatCallLine(calls.failed, false), '  ✗ Pizza line › survives an interruption (9.91s) · latency 650ms');
    assert.equal(formatCallLine(calls.errored, false), '  ! Bank assistant › transfers to an agent (1.83s)');
    assert.equal(formatCallLine(calls.skipped, false), '  – Bank assistant › reads the balance skipped');
    assert.equal(formatCallLine(calls.interrupted, false), '  ◌ Bank assistant › hangs up politely interrupted (1.20s)');
  });

  test('lists every response latency of the call', () => {
    const call = copy(calls.passed);
    call.metrics.responseLatency = [640, 812.4, 1500];
    assert.equal(formatCallLine(call, false), '  ✓ Pizza line › greets and takes an order (4.21s) · latency 640ms, 812ms, 1.50s');
  });

  test('with colour, the mark carries the status colour', () => {
    assert.ok(formatCallLine(calls.passed, true).includes('\u001b[32m✓'));
    assert.ok(formatCallLine(calls.failed, true).includes('\u001b[31m✗'));
    assert.ok(formatCallLine(calls.errored, true).includes('\u001b[31m!'));
    assert.ok(formatCallLine(calls.skipped, true).includes('\u001b[33m–'));
    assert.ok(formatCallLine(calls.interrupted, true).includes('\u001b[33m◌'));
    // Stripping the codes gives back the plain line: colour adds nothing else.
    const plain = formatCallLine(calls.failed, true).replace(/\u001b\[[0-9;]*m/g, '');
    assert.equal(plain, formatCallLine(calls.failed, false));
  });

  test('bot-controlled names cannot inject terminal escapes or break the line', () => {
    const call = copy(calls.passed);
    call.name = 'evil\u001b[2J\nname';
    assert.equal(formatCallLine(call, false), '  ✓ Pizza line › evil[2J ⏎ name (4.21s) · latency 640ms');
  });
});

describe('ConsoleReporter', () => {
  test('announces the run', () => {
    const out = capture();
    new ConsoleReporter(out.stream, { color: false }).onRunStart({
      outDir: '/tmp/x',
      suites: [
        { file: 'a.yaml', name: 'A', calls: 3 },
        { file: 'b.yaml', name: 'B', calls: 1 },
      ],
      totalCalls: 4,
    });
    assert.equal(out.text(), 'Running 4 calls from 2 suite files\n');
  });

  test('a passed call is one line', () => {
    const out = capture();
    const reporter = new ConsoleReporter(out.stream, { color: false });
    reporter.onCallEnd(makeRun().suites[0]!, calls.passed);
    assert.equal(out.text(), `${formatCallLine(calls.passed, false)}\n`);
  });

  test('a failed call adds its reason, expectation, expected/actual and location', () => {
    const out = capture();
    new ConsoleReporter(out.stream, { color: false }).onCallEnd(makeRun().suites[0]!, calls.failed);
    assert.equal(
      out.text(),
      [
        '  ✗ Pizza line › survives an interruption (9.91s) · latency 650ms',
        '      turn 3: no clear within 500ms of the caller starting to speak',
        '      expected: clear within 500ms',
        '      actual:   no clear; bot audio kept playing until 9.80s',
        '      the bot did not stop talking when the caller barged in',
        '      at suites/pizza.yaml:27:13',
        '',
      ].join('\n'),
    );
  });

  test('an errored call shows its reason and where the call is', () => {
    const out = capture();
    new ConsoleReporter(out.stream, { color: false }).onCallEnd(makeRun().suites[1]!, calls.errored);
    const lines = out.text().split('\n');
    assert.equal(lines[1], '      WebSocket closed unexpectedly (code 1006) during turn 2');
    assert.match(lines[2]!, /^ {6}at .*suites\/bank\.yaml:12:5$/);
    assert.equal(lines.length, 4);
  });

  test('verbose adds the timeline around the failure; not verbose does not', () => {
    const quiet = capture();
    new ConsoleReporter(quiet.stream, { color: false }).onCallEnd(makeRun().suites[0]!, calls.failed);
    assert.ok(!quiet.text().includes('caller speech starts'));

    const loud = capture();
    new ConsoleReporter(loud.stream, { color: false, verbose: true }).onCallEnd(makeRun().suites[0]!, calls.failed);
    const lines = loud.text().trimEnd().split('\n');
    assert.deepEqual(lines.slice(6), [
      '      5.000s → caller audio wait.wav (barge-in) (×60 until 6.200s)',
      '      5.010s · caller speech starts',
      '      5.510s · clear window closed (500ms)',
      '      6.200s · caller speech ends',
      '      9.800s ← mark "specials" sent',
    ]);
  });

  test('hostile bot text reaches the console without control characters', () => {
    const out = capture();
    new ConsoleReporter(out.stream, { color: false }).onCallEnd(makeRun().suites[1]!, calls.hostileFailed);
    assert.ok(out.text().includes('actual:   ok <script>alert(1)</script> ]]> bell & "quotes"'));
    assert.ok(!out.text().includes('\u0007'));
  });

  test('summary: counts, latency percentiles, interrupted note and report paths relative to cwd', () => {
    const out = capture();
    const reporter = new ConsoleReporter(out.stream, { color: false });
    reporter.onRunStart({ outDir: join(process.cwd(), 'reports'), suites: [], totalCalls: 6 });
    reporter.onRunEnd(makeRun());
    assert.deepEqual(out.text().split('\n').slice(1), [
      '',
      '1 passed, 2 failed, 1 errored, 1 interrupted, 1 skipped (6 calls) in 20.63s',
      'response latency p50 640ms · p95 650ms · max 650ms (n=2)',
      'Interrupted: the reports hold the calls that finished.',
      'reports: reports/junit.xml, reports/report.json, reports/audio/',
      '',
    ]);
  });

  test('summary of a clean run with no latency samples, and explicit report paths', () => {
    const out = capture();
    const run = makeRun();
    run.interrupted = false;
    run.durationMs = 850;
    run.summary = { total: 1, passed: 1, failed: 0, errored: 0, interrupted: 0, skipped: 0, flaky: 0, responseLatency: { count: 0 } };
    new ConsoleReporter(out.stream, { color: false, reports: [join(process.cwd(), 'out', 'junit.xml')] }).onRunEnd(run);
    assert.equal(out.text(), '\n1 passed (1 call) in 850ms\nresponse latency: no samples\nreports: out/junit.xml\n');
  });

  test('a long run reads in minutes, not hundreds of seconds', () => {
    const run = makeRun();
    run.durationMs = 605_400;
    assert.equal(formatSummaryLine(run, false), '1 passed, 2 failed, 1 errored, 1 interrupted, 1 skipped (6 calls) in 10m 05s');
    run.durationMs = 3_600_000;
    assert.match(formatSummaryLine(run, false), / in 1h$/);
  });

  test('the audio folder is listed only when the run saved audio', () => {
    const out = capture();
    const run = makeRun();
    for (const suite of run.suites) for (const call of suite.calls) call.audio = { replies: [] };
    const reporter = new ConsoleReporter(out.stream, { color: false });
    reporter.onRunStart({ outDir: join(process.cwd(), 'reports'), suites: [], totalCalls: 6 });
    reporter.onRunEnd(run);
    assert.ok(out.text().endsWith('\nreports: reports/junit.xml, reports/report.json\n'), out.text());
  });

  test('colour on: the summary is coloured; colour off: no escape codes anywhere', () => {
    const on = capture();
    const off = capture();
    for (const [stream, color] of [
      [on.stream, true],
      [off.stream, false],
    ] as const) {
      const r = new ConsoleReporter(stream, { color, verbose: true });
      r.onRunStart({ outDir: '/tmp/r', suites: [], totalCalls: 6 });
      for (const call of Object.values(calls)) r.onCallEnd(makeRun().suites[0]!, call);
      r.onRunEnd(makeRun());
    }
    assert.match(on.text(), ANSI);
    assert.ok(on.text().includes('\u001b[32m1 passed'));
    assert.doesNotMatch(off.text(), ANSI);
  });
});

describe('shouldColor', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const pipe = new PassThrough();

  test('colours a terminal, not a pipe', () => {
    assert.equal(shouldColor(tty, {}), true);
    assert.equal(shouldColor(pipe, {}), false);
  });

  test('NO_COLOR wins over a terminal; FORCE_COLOR colours a pipe', () => {
    assert.equal(shouldColor(tty, { NO_COLOR: '1' }), false);
    assert.equal(shouldColor(tty, { NO_COLOR: '' }), true);
    assert.equal(shouldColor(pipe, { FORCE_COLOR: '1' }), true);
    assert.equal(shouldColor(tty, { FORCE_COLOR: '0' }), false);
    assert.equal(shouldColor(tty, { TERM: 'dumb' }), false);
  });
});
