/**
 * suites/compliance/twilio.yaml, run as a team would run it with the real CLI: it passes
 * against the reference bot, and against a bot that never sends `clear` (the reference bot
 * behind a proxy that drops its clears) it fails that call, for that reason, and only that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { startTwilioBot } from '../../src/bot/twilio-bot.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

const SUITE = 'suites/compliance/twilio.yaml';

/** Sits between convotest and a bot, passing everything on except the bot messages `drop` picks. */
async function filteringProxy(t: { after(fn: () => unknown): void }, upstream: string, drop: (message: Record<string, unknown>) => boolean) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  let dropped = 0;
  server.on('connection', (client) => {
    const bot = new WebSocket(upstream, { perMessageDeflate: false });
    const early: string[] = [];
    client.on('message', (data) => (bot.readyState === bot.OPEN ? bot.send(String(data)) : early.push(String(data))));
    bot.on('open', () => early.splice(0).forEach((m) => bot.send(m)));
    bot.on('message', (data) => {
      if (drop(JSON.parse(String(data)))) dropped++;
      else if (client.readyState === client.OPEN) client.send(String(data));
    });
    bot.on('close', (code) => client.close(code === 1005 ? 1000 : code));
    client.on('close', () => bot.close());
    bot.on('error', () => client.terminate());
  });
  t.after(() => {
    for (const client of server.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/stream`, dropped: () => dropped };
}

async function runSuite(target: string) {
  const out = await tempDir();
  const result = await runCli(['run', SUITE, '--target', target, '--out', out, '--no-audio']);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  return { result, calls: report.suites[0].calls as { name: string; status: string; reason?: string; metrics: { violations: number } }[] };
}

test('the Twilio compliance suite passes against the reference bot', async () => {
  const { result, calls } = await runSuite('builtin:reference');
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(calls.map((c) => c.status), ['passed', 'passed', 'passed', 'passed', 'passed']);
  assert.ok(calls.every((c) => c.metrics.violations === 0));
  assert.match(result.stdout, /5 passed \(5 calls\)/);
});

test('it passes through the reference bot’s voice webhook too: TwiML first, then the stream', async (t) => {
  const bot = await startTwilioBot({ port: 0 });
  t.after(() => bot.close());
  const { result, calls } = await runSuite(bot.webhookUrl!);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(calls.map((c) => c.status), ['passed', 'passed', 'passed', 'passed', 'passed']);
});

test('against a bot that never sends clear it fails the barge-in call, with the clear that never came', async (t) => {
  const bot = await startTwilioBot({ port: 0 });
  t.after(() => bot.close());
  const proxy = await filteringProxy(t, bot.url, (message) => message.event === 'clear');
  const { result, calls } = await runSuite(proxy.url);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.ok(proxy.dropped() >= 1, 'the bot did try to clear');
  const byName = Object.fromEntries(calls.map((c) => [c.name, c]));
  const bargeIn = byName['stops talking with clear when the caller barges in']!;
  assert.equal(bargeIn.status, 'failed');
  assert.match(bargeIn.reason!, /^turn 1 \(audio interrupt\.wav \(barge-in at 600ms\)\): expected clear within 1\.00s of the start of caller speech, got none/);
  for (const call of calls.filter((c) => c !== bargeIn)) assert.equal(call.status, 'passed', `${call.name}: ${call.reason}`);
  assert.match(result.stdout, /✗ Twilio compliance › stops talking with clear when the caller barges in/);
  assert.match(result.stdout, /4 passed, 1 failed \(5 calls\)/);
});
