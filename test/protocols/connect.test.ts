/** A bot that speaks the instant the socket opens must be heard: nothing is lost before the session listens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { openSocket } from '../../src/protocols/connect.ts';
import { CallSetupError } from '../../src/protocols/session.ts';
import { TwilioCallerSession } from '../../src/protocols/twilio/caller.ts';
import type { WireMessage } from '../../src/protocols/events.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';

test('frames sent by the bot together with its handshake answer reach the session', async (t) => {
  // The server sends on 'connection', before reading anything: such a frame often shares a
  // TCP read with the 101 answer.
  const bot = await startScriptedBot((connection) => {
    for (let i = 0; i < 3; i++) connection.send({ event: 'mark', streamSid: 'early', mark: { name: `early-${i}` } });
  });
  t.after(() => bot.close());
  const wire: WireMessage[] = [];
  const origin = performance.now();
  const session = new TwilioCallerSession(
    { target: bot.url, from: '+1', to: '+2', parameters: {}, options: {}, connectTimeout: 5000 },
    { origin, now: () => performance.now() - origin },
    { event() {}, wire: (m) => wire.push(m), frame() {} },
  );
  await session.connect();
  const connection = await bot.nextConnection();
  await connection.waitFor((m) => m.event === 'media');
  await session.hangup();
  const early = wire.filter((m) => m.dir === 'in' && m.kind === 'mark').map((m) => (m.data as { mark: { name: string } }).mark.name);
  assert.deepEqual(early, ['early-0', 'early-1', 'early-2']);
});

test('wss:// to a server that does not speak TLS: one line with OpenSSL’s verdict, not its dump', async (t) => {
  const plain = createServer((_req, res) => res.end('plain http'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    plain.closeAllConnections();
    return new Promise((resolve) => plain.close(resolve));
  });
  const url = `wss://127.0.0.1:${(plain.address() as { port: number }).port}/stream`;
  await assert.rejects(openSocket(url, { timeoutMs: 5_000 }), (error: Error) => {
    assert.ok(error instanceof CallSetupError);
    assert.match(error.message, new RegExp(`^cannot connect to ${url}: the TLS handshake failed \\([^()\\n:]+\\); check that the bot really serves wss:// there$`));
    return true;
  });
});
