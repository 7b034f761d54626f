/**
 * Untrusted bot content — mark names, event names, raw messages, with `<script>`, `]]>` and
 * control characters — end to end through the CLI: report.html shows it as text and never as
 * markup, junit.xml stays well-formed XML, the console prints no control characters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { escapeHtml, renderHtml } from '../../src/report/html.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { HOSTILE, makeRun } from '../report/fixture.ts';
import { HOSTILE_TEXT, startChaosBot, type ChaosBot } from './chaos-bot.ts';
import { readReports } from './chaos-run.ts';

/** Characters that must not survive into HTML or XML: C0 controls but tab/newline/CR, and ESC sequences. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Every element closed in order (void elements aside): escaped text cannot open or close one. */
function assertBalanced(html: string): void {
  const open: string[] = [];
  for (const [, closing, tag] of html.matchAll(/<(\/?)([a-z][a-z0-9]*)\b[^>]*>/gi)) {
    const name = tag!.toLowerCase();
    if (['meta', 'br', 'img', 'input', 'link', 'hr', 'source'].includes(name)) continue;
    if (!closing) open.push(name);
    else assert.equal(open.pop(), name, `</${name}> closes what it opened`);
  }
  assert.deepEqual(open, [], 'nothing left open');
}

describe('escapeHtml', () => {
  test('markup, quotes and ampersands become text; controls become a visible replacement', () => {
    assert.equal(escapeHtml('<a href="x">\'&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(escapeHtml(']]>'), ']]&gt;');
    assert.equal(escapeHtml('bell\u0007 nul\u0000 esc\u001b[31m'), 'bell\uFFFD nul\uFFFD esc\uFFFD[31m');
    assert.equal(escapeHtml('tab\tnew\nline'), 'tab\tnew\nline');
    assert.equal(escapeHtml('lone \uD800 surrogate'), 'lone \uFFFD surrogate');
  });

  test('renderHtml of a run with hostile text shows it escaped, with no script anywhere', () => {
    const html = renderHtml(makeRun());
    assertBalanced(html);
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes(escapeHtml(HOSTILE)), 'the hostile text is there, as text');
    assert.ok(!CONTROL.test(html));
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.match(html, /<audio controls preload="none" src="audio\/pizza-line\/greets-and-takes-an-order\/call\.wav"><\/audio>/);
  });
});

describe('hostile bot text end to end', () => {
  let bot: ChaosBot;
  let out: string;
  let cli: Awaited<ReturnType<typeof runCli>>;
  before(async () => {
    bot = await startChaosBot();
    const dir = await tempDir('convotest-escaping-');
    await writeFile(
      join(dir, 'hostile.yaml'),
      [
        `name: "Hostile <b>suite</b> ]]>"`,
        `target: ${bot.url('hostile')}`,
        'calls:',
        '  - name: "echoes <script>alert(3)</script> ]]>"',
        '    turns:',
        '      - expect: [ { botSpeech: { within: 5s } }, { mark: { name: greeting } }, { mark: { name: never-sent, within: 1s } } ]',
        '',
      ].join('\n'),
    );
    out = join(dir, 'reports');
    cli = await runCli(['run', dir, '--out', out, '--verbose']);
  });
  after(() => bot.close());

  test('the call fails on its expectation and the bot text is in every report', async () => {
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const timeline = JSON.stringify(report.suites[0].calls[0].timeline);
    assert.ok(timeline.includes(JSON.stringify(HOSTILE_TEXT).slice(1, -1)), 'report.json keeps the raw text, JSON-escaped');
    await readReports(out, report);
  });

  test('report.html: the text is escaped everywhere, nothing of it is markup', async () => {
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assertBalanced(html);
    assert.ok(!/<script|<img|<b>/i.test(html), 'no bot or suite text became markup');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;&lt;img src=x onerror=alert(2)&gt;'), 'the mark name shows as text');
    assert.ok(html.includes('echoes &lt;script&gt;alert(3)&lt;/script&gt; ]]&gt;'), 'the call name shows as text');
    assert.ok(!CONTROL.test(html), 'no control characters');
  });

  test('junit.xml: well-formed, the text survives as text, no control characters', async () => {
    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    assert.equal(XMLValidator.validate(xml), true);
    assert.ok(!CONTROL.test(xml));
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const testcase = junit.testsuites.testsuite.testcase;
    assert.equal(testcase.name, 'echoes <script>alert(3)</script> ]]>');
    assert.ok(String(testcase['system-out']).includes('<script>alert(1)</script>]]><img src=x onerror=alert(2)>'), 'the mark name is in the event log, unescaped by the parser');
  });

  test('console: no control characters reach the terminal', () => {
    assert.ok(!CONTROL.test(cli.stdout.replace(/\n/g, '')), JSON.stringify(cli.stdout.slice(0, 400)));
    assert.ok(!cli.stdout.includes('\u001b'));
  });
});
