/** Ctrl-C (or a CI job's SIGTERM) mid-run: calls in flight end cleanly, finished ones keep their result, exit 130. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startCli, tempDir } from '../helpers/cli.ts';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} writes reports for finished and interrupted calls and exits 130`, async () => {
    const dir = await tempDir();
    const suite = join(dir, 'long.yaml');
    await writeFile(
      suite,
      [
        'name: Interruptible',
        'target: builtin:reference',
        'calls:',
        '  - name: quick greeting',
        '    turns:',
        '      - expect: [ { botSpeech: { within: 3s } } ]',
        '  - name: long silence',
        '    turns:',
        '      - expect: [ { botSpeech: { within: 3s } } ]',
        '      - user: { silence: 60s }',
        '        expect: [ { hangup: { within: 60s } } ]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'reports');
    const cli = startCli(['run', suite, '--out', out, '--workers', '2']);
    await cli.stdoutMatches(/quick greeting/);
    cli.child.kill(signal);
    const code = await cli.exited;
    assert.equal(code, 130, cli.stdout + cli.stderr);
    assert.match(cli.stderr, /interrupted/);

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(report.interrupted, true);
    assert.equal(report.exitCode, 130);
    const status = Object.fromEntries(report.suites[0].calls.map((c: { name: string; status: string }) => [c.name, c.status]));
    assert.deepEqual(status, { 'quick greeting': 'passed', 'long silence': 'interrupted' });
    const long = report.suites[0].calls[1];
    assert.ok(long.timeline.some((e: { kind: string; dir: string }) => e.kind === 'stop' && e.dir === 'out'), 'the interrupted call was stopped with a Twilio stop');

    const xml = await readFile(join(out, 'junit.xml'), 'utf8');
    assert.equal(XMLValidator.validate(xml), true, 'junit.xml is well-formed');
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    assert.equal(Number(junit.testsuites.testsuite.tests), 2);
    assert.equal(Number(junit.testsuites.testsuite.skipped), 1);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /^<!doctype html>[\s\S]*<\/html>\n$/, 'report.html is whole');
    assert.match(html, /Interrupted: the report holds the calls that finished/);
    assert.match(html, /<span class="badge interrupted">interrupted<\/span> long silence/);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.tmp')), [], 'no half-written temp files');
  });
}
