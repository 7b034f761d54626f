/**
 * Signed calls end to end: the webhook and the WebSocket upgrade carry X-Twilio-Signature
 * over the URLs the bot believes in, a bot that checks them accepts convotest, and a
 * deliberately wrong signature is refused — which a suite can expect. The token itself is
 * never written anywhere convotest reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { twilioSignature } from '../../src/protocols/twilio/signature.ts';
import { newSession, startHttp, twiml } from './helpers.ts';

const TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** A bot that checks the upgrade's signature against its public stream URL, as a careful bot would. */
async function checkingBot(t: { after(fn: () => unknown): void }, publicUrl: string) {
  const seen: IncomingMessage[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: ({ req }, done) => {
      seen.push(req);
      const ok = req.headers['x-twilio-signature'] === twilioSignature(TOKEN, publicUrl);
      done(ok, ok ? undefined : 403, ok ? undefined : 'Forbidden');
    },
  });
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as { port: number }).port, seen, server };
}

test('with an auth token, webhook and upgrade are signed over the public URLs, with their Host', async (t) => {
  const publicStream = 'wss://bot.example.com/stream';
  const bot = await checkingBot(t, publicStream);
  const hook = await startHttp(() => twiml(`<Connect><Stream url="${publicStream}"/></Connect>`));
  t.after(() => hook.close());
  const publicHook = 'https://bot.example.com/voice?x=1';
  const { session, events, wire } = newSession(t, `${hook.url}/voice?x=1`, {
    authToken: TOKEN,
    publicUrl: publicHook,
    streamHost: `ws://127.0.0.1:${bot.port}`,
  });
  await session.connect();
  await session.hangup();

  const request = hook.requests[0]!;
  assert.equal(request.headers['host'], 'bot.example.com');
  assert.equal(request.headers['x-twilio-signature'], twilioSignature(TOKEN, publicHook, request.form));
  assert.equal(bot.seen.length, 1);
  assert.equal(bot.seen[0]!.headers['host'], 'bot.example.com');
  assert.equal(bot.seen[0]!.headers['x-twilio-signature'], twilioSignature(TOKEN, publicStream));
  assert.ok(!events.some((e) => e.type === 'hangup'), 'the bot accepted the call');

  const written = JSON.stringify({ events, wire });
  assert.ok(!written.includes(TOKEN), 'the token is in no event and no wire record');
  assert.ok(!written.includes(request.headers['x-twilio-signature'] as string), 'nor is the signature');
});

test('a direct stream target is signed over publicUrl when given, else over the URL dialled', async (t) => {
  const bot = await checkingBot(t, 'wss://public.example.org/s');
  const signed = newSession(t, `ws://127.0.0.1:${bot.port}/s`, { authToken: TOKEN, publicUrl: 'wss://public.example.org/s' });
  await signed.session.connect();
  await signed.session.hangup();
  assert.equal(bot.seen[0]!.headers['host'], 'public.example.org');

  const unsigned = newSession(t, `ws://127.0.0.1:${bot.port}/s`, { authToken: TOKEN });
  await assert.rejects(unsigned.session.connect(), /answered HTTP 403 Forbidden \(authentication rejected\) instead of accepting the WebSocket/);
  assert.equal(bot.seen[1]!.headers['x-twilio-signature'], twilioSignature(TOKEN, `ws://127.0.0.1:${bot.port}/s`));
});

test('signature: wrong — a bot that refuses ends the call as a hang-up, which a turn can expect', async (t) => {
  const hook = await startHttp((request) =>
    request.headers['x-twilio-signature'] === twilioSignature(TOKEN, `http://${request.headers['host']}${request.url}`, request.form)
      ? twiml('<Connect><Stream url="wss://never.example.com/s"/></Connect>')
      : { status: 403, type: 'text/plain', body: 'invalid signature' },
  );
  t.after(() => hook.close());
  const { session, events } = newSession(t, `${hook.url}/voice`, { authToken: TOKEN, signature: 'wrong' });
  await session.connect();
  assert.equal(session.isOpen(), false);
  assert.equal(events.length, 0, 'the hang-up comes after connect() returns, so the first turn sees it');
  await new Promise((resolve) => setImmediate(resolve));
  const hangup = events.find((e) => e.type === 'hangup');
  assert.ok(hangup?.type === 'hangup');
  assert.equal(hangup.reason, 'the bot refused the wrongly signed webhook with HTTP 403');

  // The same at the upgrade: the bot checks only there.
  const bot = await checkingBot(t, 'wss://bot.example.com/stream');
  const direct = newSession(t, `ws://127.0.0.1:${bot.port}/stream`, { authToken: TOKEN, signature: 'wrong', publicUrl: 'wss://bot.example.com/stream' });
  await direct.session.connect();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(direct.events.some((e) => e.type === 'hangup' && e.reason === 'the bot refused the wrongly signed WebSocket upgrade with HTTP 403'));
});

test('signature: wrong — other set-up failures stay errors, not refusals', async (t) => {
  const hook = await startHttp(() => ({ status: 200, body: 'no stream here' }));
  t.after(() => hook.close());
  // Any other set-up failure is still an error, not a refusal.
  await assert.rejects(newSession(t, hook.url, { signature: 'wrong' }).session.connect(), /but the reply is not XML/);
});
