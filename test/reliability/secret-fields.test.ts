/**
 * Credentials convotest itself sends (Twilio customParameters, AudioCodes start parameters)
 * never reach a report; and a call's timeline stops growing at a cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactSecretFields } from '../../src/protocols/redact.ts';
import { MAX_ENTRIES, Timeline } from '../../src/engine/timeline.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

test('secret-looking fields are masked at any depth; other fields and clean messages are kept as they are', () => {
  const clean = { event: 'start', start: { streamSid: 'MZ1', customParameters: { lang: 'nl' } } };
  assert.equal(redactSecretFields(clean), clean, 'nothing to hide: the same object, not a copy');
  const start = { event: 'start', start: { customParameters: { lang: 'nl', apiToken: 'abc', password: 42 } }, list: [{ authorization: 'Bearer x' }] };
  assert.deepEqual(redactSecretFields(start), {
    event: 'start',
    start: { customParameters: { lang: 'nl', apiToken: '***', password: '***' } },
    list: [{ authorization: '***' }],
  });
  assert.equal(start.start.customParameters.apiToken, 'abc', 'the message itself is left alone');
});

test('a call keeps at most MAX_ENTRIES timeline entries and says how many it left out', () => {
  const timeline = new Timeline();
  for (let i = 0; i < MAX_ENTRIES + 5; i++) timeline.note(i, 'info', `entry ${i}`);
  assert.equal(timeline.entries.length, MAX_ENTRIES + 1);
  assert.equal(timeline.entries.at(-1)!.summary, `5 later timeline entries left out (a call keeps at most ${MAX_ENTRIES})`);
});

test('a customParameter named like a credential is masked in every report, the others are kept', async () => {
  const dir = await tempDir();
  const suite = join(dir, 'suite.yaml');
  await writeFile(
    suite,
    [
      'name: Parameters',
      'target: builtin:reference',
      'twilio:',
      '  parameters: { lang: nl-NL, apiToken: "s3cr3t-param-value" }',
      'calls:',
      '  - name: greets',
      '    turns:',
      '      - expect: [ { botSpeech: { within: 3s } } ]',
      '',
    ].join('\n'),
  );
  const out = join(dir, 'reports');
  const result = await runCli(['run', suite, '--out', out, '--no-audio']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const files = await readdir(out);
  assert.ok(files.includes('report.json') && files.includes('junit.xml') && files.includes('report.html'), files.join(', '));
  for (const text of [result.stdout, result.stderr, ...(await Promise.all(files.map((f) => readFile(join(out, f), 'utf8'))))]) {
    assert.ok(!text.includes('s3cr3t-param-value'), 'the secret appears nowhere');
  }
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const start = report.suites[0].calls[0].timeline.find((e: { kind: string; dir: string }) => e.kind === 'start' && e.dir === 'out');
  assert.deepEqual(start.data.start.customParameters, { lang: 'nl-NL', apiToken: '***' });
});
