/**
 * Secrets never leave the process: a run that uses a bearer token (AudioCodes `token`), a
 * wrong token (refused with 401), and a secret in the target URL's query is run through the
 * real CLI, and every byte it printed or wrote is searched for them. Interpolation errors
 * never print the value of any variable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAudioCodesBot } from '../../src/bot/audiocodes-bot.ts';
import type { RunningBot } from '../../src/bot/twilio-bot.ts';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const TOKEN = secret('bearer');
const WRONG_TOKEN = secret('wrong-bearer');
const URL_SECRET = secret('url-key');
const SECRETS = [TOKEN, WRONG_TOKEN, URL_SECRET];

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

function assertNoSecret(where: string, text: string | Buffer): void {
  for (const value of SECRETS) {
    assert.ok(!text.includes(value), `${where} leaks ${value.split('-')[0]}`);
    // Encoded forms too: base64 (as in a Basic header) and URL-encoding.
    assert.ok(!text.includes(Buffer.from(value).toString('base64')), `${where} leaks ${value.split('-')[0]} (base64)`);
  }
}

describe('secrets (AudioCodes bearer token, URL query secrets)', () => {
  let bot: RunningBot;
  before(async () => {
    bot = await startAudioCodesBot({ port: 0, token: TOKEN });
  });
  after(() => bot.close());

  test('a run that used them: console, junit.xml, report.json, report.html and every written file are clean', async () => {
    const dir = await tempDir('convotest-secrets-');
    const suite = (name: string, tokenVar: string, calls: string[]) =>
      [
        `name: ${name}`,
        'protocol: audiocodes',
        'target: ${AC_URL}?apiKey=${CT_URL_SECRET}&token=${CT_URL_SECRET}',
        'defaults: { timeout: 3s }',
        'audiocodes:',
        `  token: \${${tokenVar}}`,
        'calls:',
        ...calls,
        '',
      ].join('\n');
    await writeFile(
      join(dir, 'a-good.yaml'),
      suite('Authorized', 'CT_TOKEN', [
        '  - name: greets',
        '    turns:',
        '      - expect: [ { botSpeech: { within: 5s } } ]',
        '  - name: fails on purpose',
        '    turns:',
        '      - expect: [ { text: { match: "words the bot never says", within: 1s } } ]',
      ]),
    );
    await writeFile(join(dir, 'b-wrong-token.yaml'), suite('Refused', 'CT_WRONG_TOKEN', ['  - name: knocks with the wrong token', '    turns:', '      - expect: [ { botSpeech: { within: 2s } } ]']));
    const out = join(dir, 'reports');
    const env = { AC_URL: bot.url, CT_TOKEN: TOKEN, CT_WRONG_TOKEN: WRONG_TOKEN, CT_URL_SECRET: URL_SECRET };
    const cli = await runCli(['run', dir, '--out', out, '--verbose'], { env });

    // The run really happened, with the secrets in play: the right token got in, the wrong one did not.
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const status = Object.fromEntries(report.suites.flatMap((s: { calls: { name: string; status: string }[] }) => s.calls.map((c) => [c.name, c.status])));
    assert.deepEqual(status, { greets: 'passed', 'fails on purpose': 'failed', 'knocks with the wrong token': 'errored' });
    const refused = report.suites[1].calls[0].reason as string;
    assert.match(refused, /answered HTTP 401 .*authentication rejected/);
    assert.ok(report.suites[0].target.includes('apiKey=***'), `the target is shown redacted: ${report.suites[0].target}`);

    assertNoSecret('stdout', cli.stdout);
    assertNoSecret('stderr', cli.stderr);
    const files = await allFiles(out);
    for (const name of ['junit.xml', 'report.json', 'report.html']) assert.ok(files.some((f) => f.endsWith(name)), `${name} written`);
    assert.ok(files.some((f) => f.endsWith('.wav')), 'audio written too');
    for (const file of files) assertNoSecret(file, await readFile(file));
  });
});

describe('environment interpolation errors', () => {
  const env = {
    SECRET_A: secret('env-a'),
    SECRET_URL: secret('env-url'),
    SECRET_DURATION: secret('env-duration'),
    SECRET_NUMBER: '4242424242',
  };
  const values = Object.values(env);

  test('never print the value of a variable, theirs or another’s', async () => {
    const dir = await tempDir('convotest-env-');
    const file = join(dir, 'suite.yaml');
    await writeFile(
      file,
      [
        'name: "${SECRET_A} and ${MISSING}"',
        'target: "${SECRET_URL}"',
        'defaults: { timeout: "${SECRET_DURATION}" }',
        'twilio: { parameters: { key: "${SECRET_A}", count: "${SECRET_NUMBER}", bad: "${NOT VALID}" } }',
        'calls:',
        '  - name: "${SECRET_A}"',
        '    from: "${MISSING_TOO:-}${SECRET_NUMBER}"',
        '    timeout: "${SECRET_NUMBER}x"',
        '    turns:',
        '      - expect: [ { botSpeech: { within: "${SECRET_A}" } } ]',
        '',
      ].join('\n'),
    );
    await assert.rejects(loadSuiteFile(file, { env }), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      const messages = error.problems.map((p) => p.message);
      // Each interpolation problem is reported, as written …
      assert.ok(messages.includes('`${MISSING}` is not set: export MISSING or write `${MISSING:-default}`'), messages.join('\n'));
      assert.ok(messages.some((m) => m.startsWith('`${NOT VALID}` is not a variable reference')), messages.join('\n'));
      assert.ok(messages.some((m) => m.includes('got "${SECRET_URL}" (from the environment)')), messages.join('\n'));
      assert.ok(messages.some((m) => m.includes('${SECRET_DURATION}')), messages.join('\n'));
      // … and no value of any variable appears anywhere in what would be printed.
      for (const value of values) assert.ok(!error.message.includes(value), `the message leaks ${value}:\n${error.message}`);
      return true;
    });
    const cli = await runCli(['validate', file], { env });
    assert.equal(cli.code, 2);
    for (const value of values) assert.ok(!cli.stderr.includes(value) && !cli.stdout.includes(value), `the CLI leaks ${value}:\n${cli.stderr}`);
  });
});
