/**
 * A Twilio voice webhook first, through the CLI: the TwiML may only steer the stream to the
 * webhook's own host or a host in `twilio.allowHosts`, so a test run cannot be sent to an
 * arbitrary address; and the auth token that signs the requests appears in no output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';
import { startChaosBot, type ChaosBot } from './chaos-bot.ts';

const AUTH_TOKEN = `twilio-auth-${randomBytes(16).toString('hex')}`;

let bot: ChaosBot;
let webhook: Server;
let webhookUrl: string;
const signatures: string[] = [];

before(async () => {
  bot = await startChaosBot();
  // The stream is on another host name than the webhook (localhost vs 127.0.0.1).
  const stream = bot.url('healthy').replace('127.0.0.1', 'localhost');
  webhook = createServer((req, res) => {
    signatures.push(String(req.headers['x-twilio-signature'] ?? ''));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${stream}"/></Connect></Response>`);
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/voice`;
});

after(async () => {
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
  await bot.close();
});

const suite = (name: string, allowHosts: string | null) =>
  [
    `name: ${name}`,
    'target: ${HOOK_URL}',
    'twilio:',
    '  authToken: ${TW_AUTH_TOKEN}',
    ...(allowHosts ? [`  allowHosts: [${allowHosts}]`] : []),
    'calls:',
    '  - name: greets',
    '    turns:',
    '      - expect: [ { botSpeech: { within: 10s } }, { mark: { name: greeting } } ]',
    '',
  ].join('\n');

describe('webhook targets', () => {
  test('the TwiML may steer the stream only to an allowed host; the auth token is in no output', async () => {
    const dir = await tempDir('convotest-webhook-');
    await writeFile(join(dir, 'a-allowed.yaml'), suite('Allowed', 'localhost'));
    await writeFile(join(dir, 'b-not-allowed.yaml'), suite('Not allowed', null));
    const out = join(dir, 'reports');
    const cli = await runCli(['run', dir, '--out', out, '--verbose'], { env: { HOOK_URL: webhookUrl, TW_AUTH_TOKEN: AUTH_TOKEN } });
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    const [allowed, refused] = report.suites.map((s: { calls: { status: string; reason?: string }[] }) => s.calls[0]);
    assert.equal(allowed.status, 'passed', allowed.reason);
    assert.equal(refused.status, 'errored');
    const port = new URL(bot.base).port;
    assert.match(
      refused.reason,
      new RegExp(`the TwiML sends the stream to localhost:${port}, which is neither the webhook's host \\(127\\.0\\.0\\.1:\\d+\\) nor in twilio\\.allowHosts`),
    );
    assert.ok(signatures.length >= 2 && signatures.every((s) => s.length > 0), 'the token was used: every webhook request was signed');

    const texts = [cli.stdout, cli.stderr];
    for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) texts.push((await readFile(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))).toString('latin1'));
    }
    for (const text of texts) assert.ok(!text.includes(AUTH_TOKEN), 'the auth token leaked');
  });
});
