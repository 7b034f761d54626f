/**
 * wss:// targets: certificates are verified by default; `--ca` trusts a private CA; only
 * `--insecure` skips the check, and then every report says so. The CA and the server's
 * certificate are made in the test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INSECURE_WARNING } from '../../src/cli/safety.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { makeTestPki, type TestPki } from './certs.ts';
import { startChaosBot, type ChaosBot } from './chaos-bot.ts';
import { readReports } from './chaos-run.ts';

let pki: TestPki;
let bot: ChaosBot;
let dir: string;
let suite: string;

before(async () => {
  pki = makeTestPki();
  bot = await startChaosBot({ tls: { cert: pki.cert, key: pki.key } });
  dir = await tempDir('convotest-tls-');
  await writeFile(join(dir, 'ca.pem'), pki.ca);
  await writeFile(join(dir, 'not-a-cert.pem'), 'just some text\n');
  suite = join(dir, 'tls.yaml');
  await writeFile(
    suite,
    ['name: TLS', `target: ${bot.url('healthy')}`, 'calls:', '  - name: greets over wss', '    turns:', '      - expect: [ { botSpeech: { within: 10s } }, { mark: { name: greeting } } ]', ''].join('\n'),
  );
});
after(() => bot.close());

async function runWith(flags: string[]) {
  const out = await tempDir('convotest-tls-out-');
  const cli = await runCli(['run', suite, '--out', out, ...flags]);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  return { cli, report, out };
}

describe('TLS', () => {
  test('a certificate from an unknown CA is refused by default, with what to do', async () => {
    const { cli, report } = await runWith([]);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    const call = report.suites[0].calls[0];
    assert.equal(call.status, 'errored');
    assert.equal(
      call.reason,
      `cannot connect to ${bot.url('healthy')}: its TLS certificate is not trusted (unable to verify the first certificate); if a private CA signed it, pass that CA with --ca <file> (--insecure skips the check, for throwaway test setups only)`,
    );
    assert.ok(!(report.warnings ?? []).includes(INSECURE_WARNING));
  });

  test('--ca with the private CA: the certificate verifies and the call passes', async () => {
    const { cli, report } = await runWith(['--ca', join(dir, 'ca.pem')]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.equal(report.suites[0].calls[0].status, 'passed');
    assert.ok(!(report.warnings ?? []).includes(INSECURE_WARNING), 'no insecure warning when certificates were verified');
  });

  test('--insecure connects without verifying, and says so on stderr and in every report', async () => {
    const { cli, report, out } = await runWith(['--insecure']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.equal(report.suites[0].calls[0].status, 'passed');
    assert.ok(report.warnings.includes(INSECURE_WARNING), JSON.stringify(report.warnings));
    assert.match(cli.stderr, /convotest: warning: --insecure: TLS certificates .* were NOT verified/);
    assert.match(cli.stdout, /Warning: --insecure/);
    const { junit, html } = await readReports(out, report);
    assert.ok(junit.testsuites.testsuite[0].properties.property.some((p: { name: string; value: string }) => p.name === 'warning' && p.value === INSECURE_WARNING));
    assert.ok(html.includes('were NOT verified'));
  });

  test('--ca that is missing or not a PEM certificate is exit 2 before anything runs', async () => {
    const missing = await runCli(['run', suite, '--ca', join(dir, 'nope.pem'), '--out', await tempDir()]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^convotest: cannot read the --ca file .*nope\.pem: no such file or folder; give the path of the CA certificate, in PEM form\n$/m);
    const wrong = await runCli(['run', suite, '--ca', join(dir, 'not-a-cert.pem'), '--out', await tempDir()]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /not-a-cert\.pem holds no PEM certificate/);
    assert.doesNotMatch(wrong.stdout, /Running/);
  });
});
