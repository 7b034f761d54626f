import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunResult, TimelineEntry } from '../../src/engine/results.ts';
import { escapeHtml, HtmlReporter, renderHtml, writeHtml } from '../../src/report/html.ts';
import { HOSTILE, makeRun } from './fixture.ts';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convotest-html-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The HTML of one call's <details> section, found by the call's name. */
function callSection(html: string, name: string): string {
  const start = html.lastIndexOf('<details class="call"', html.indexOf(`</span> ${escapeHtml(name)} `));
  assert.ok(start >= 0, `a section for ${name}`);
  return html.slice(start, html.indexOf('</details><details class="call"', start) + 1 || html.indexOf('<h2>', start));
}

/** Cell texts of every table row in `html` whose first cell matches `first`. */
function rows(html: string, first: RegExp): string[][] {
  const found: string[][] = [];
  for (const [, row] of html.matchAll(/<tr>(.*?)<\/tr>/g)) {
    const cells = [...row!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map(([, cell]) => cell!);
    if (cells.length > 0 && first.test(cells[0]!)) found.push(cells);
  }
  return found;
}

describe('renderHtml', () => {
  const html = renderHtml(makeRun());

  test('is one whole page that can run nothing', () => {
    assert.match(html, /^<!doctype html>\n<html lang="en">[\s\S]*<\/html>\n$/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';/);
    assert.doesNotMatch(html, /<script/i);
  });

  test('headline: the summary line, the exit code, latency and the interrupted note', () => {
    assert.ok(html.includes('<strong>1 passed, 2 failed, 1 errored, 1 interrupted, 1 skipped (6 calls) in 20.63s</strong> · exit code 130'));
    assert.ok(html.includes('response latency p50 640ms · p95 650ms · max 650ms (n=2)'));
    assert.match(html, /<div class="warning">Interrupted: /);
  });

  test('one section per suite and per call; failed and errored calls are open', () => {
    assert.deepEqual([...html.matchAll(/<h2>(.*?)<\/h2>/g)].map((m) => m[1]), ['Pizza line', 'Bank assistant']);
    const sections = [...html.matchAll(/<details class="call" id="(call-\d-\d)"( open)?><summary><span class="badge (\w+)">/g)];
    assert.deepEqual(
      sections.map(([, id, open, status]) => `${id} ${status}${open ? ' open' : ''}`),
      ['call-0-0 passed', 'call-0-1 failed open', 'call-1-0 failed open', 'call-1-1 errored open', 'call-1-2 skipped', 'call-1-3 interrupted'],
    );
    // The suite's table links each call to its section.
    for (const [, id] of sections) assert.ok(html.includes(`<a href="#${id}">`), id!);
  });

  test('a failed call shows why, the way the console does', () => {
    const section = callSection(html, 'survives an interruption');
    const reason = /<div class="reason">([\s\S]*?)<\/div>/.exec(section)?.[1];
    assert.ok(reason, section);
    assert.deepEqual(reason.split('\n'), [
      'turn 3: no clear within 500ms of the caller starting to speak',
      'expected: clear within 500ms',
      'actual:   no clear; bot audio kept playing until 9.80s',
      'the bot did not stop talking when the caller barged in',
      'at suites/pizza.yaml:27:13',
    ]);
  });

  test('audio players for the call and each reply, with the reply times', () => {
    const section = callSection(html, 'greets and takes an order');
    assert.deepEqual(
      [...section.matchAll(/<audio controls preload="none" src="([^"]+)">/g)].map((m) => m[1]),
      [
        'audio/pizza-line/greets-and-takes-an-order/call.wav',
        'audio/pizza-line/greets-and-takes-an-order/reply-1.wav',
        'audio/pizza-line/greets-and-takes-an-order/reply-2.wav',
      ],
    );
    assert.ok(section.includes('bot reply 1 <span class="muted">412ms–1.79s</span>'));
    assert.doesNotMatch(callSection(html, 'answers in plain text'), /<audio/);
  });

  test('timeline rows read like the console timeline: seconds, arrow, kind, what, collapsed runs', () => {
    const section = callSection(html, 'greets and takes an order');
    const media = rows(section, /^1\.960s$/);
    assert.deepEqual(media, [['1.960s', '→', 'media', 'caller audio order-pizza.wav <span class="muted">(×67 until 3.300s)</span>', '']]);
  });

  test('bot text is shown as text everywhere, never as markup', () => {
    assert.ok(!html.includes(HOSTILE));
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(html.includes('ok &lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; bell\uFFFD &amp; &quot;quotes&quot; &#39;apos&#39;'));
  });

  test('a flood of timeline entries is cut, and long message data is shortened', () => {
    const run = makeRun();
    const call = run.suites[0]!.calls[0]!;
    call.timeline = Array.from({ length: 1600 }, (_, i): TimelineEntry => ({ t: i, dir: 'in', kind: 'text', summary: `line ${i}`, data: i === 0 ? { text: 'x'.repeat(1000), seq: 7n } : undefined }));
    const section = callSection(renderHtml(run), 'greets and takes an order');
    assert.equal(rows(section, /^\d+\.\d{3}s$/).length, 1500);
    assert.ok(section.includes('Timeline (1600 entries;'));
    assert.ok(section.includes('<p class="muted">… 100 more entries in report.json</p>'));
    const data = rows(section, /^0\.000s$/)[0]![4]!;
    assert.match(data, /^\{&quot;text&quot;:&quot;x{391}… \(1021 characters\)$/);
  });

  test('an audio path keeps characters that mean something in a URL', () => {
    const run = makeRun();
    run.suites[0]!.calls[0]!.audio.call = 'audio/pizza #1/what?.wav';
    assert.ok(renderHtml(run).includes('src="audio/pizza%20%231/what%3F.wav"'));
  });

  test('a load run gets the load line and one table row per window', () => {
    const run: RunResult = makeRun();
    const latency = { count: 4, p50: 610, p95: 900, p99: 1210 };
    run.load = {
      rate: 2,
      rampMs: 0,
      calls: 6,
      started: 6,
      peakInFlight: 3,
      windowMs: 10_000,
      windows: [
        { start: 0, end: 10_000, started: 4, ended: 2, failed: 1, inFlight: 2, responseLatency: latency, firstMediaLatency: { count: 0 } },
        { start: 10_000, end: 70_000, started: 2, ended: 4, failed: 0, inFlight: 0, responseLatency: { count: 0 }, firstMediaLatency: { count: 0 } },
      ],
    };
    const page = renderHtml(run);
    assert.ok(page.includes('<h2>Load</h2>\n<p>load: 6 calls started at 2/s; peak 3 in flight</p>'));
    assert.deepEqual(rows(page, /^[\d.]+m?s–[\d.m ]+s$/), [
      ['0ms–10.00s', '4', '2', '1', '2', '4', '610ms', '900ms', '1.21s'],
      ['10.00s–1m 10s', '2', '4', '0', '0', '0', '–', '–', '–'],
    ]);
    assert.doesNotMatch(renderHtml(makeRun()), /<h2>Load<\/h2>/);
  });
});

describe('writeHtml and HtmlReporter', () => {
  test('write the rendered page, whole', async () => {
    const path = join(dir, 'reports', 'report.html');
    await writeHtml(makeRun(), path);
    assert.equal(await readFile(path, 'utf8'), renderHtml(makeRun()));
    const byReporter = join(dir, 'by-reporter', 'report.html');
    await new HtmlReporter(byReporter).onRunEnd(makeRun());
    assert.equal(await readFile(byReporter, 'utf8'), renderHtml(makeRun()));
  });
});
