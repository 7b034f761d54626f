/**
 * The Twilio options a suite can set, each seen where it matters: on the wire, at the bot.
 * Counts and order only; no timing thresholds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadPrompt } from '../../src/audio/wav-read.ts';
import { twilioSignature } from '../../src/protocols/twilio/signature.ts';
import { startScriptedBot } from '../helpers/scripted-bot.ts';
import { newSession, startHttp, twiml, until } from './helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

test('idle: none sends no frames between turns, only the caller’s audio; silence (the default) never stops', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const quiet = newSession(t, bot.url, { idle: 'none' });
  await quiet.session.connect();
  const connection = await bot.nextConnection();
  await connection.waitFor((m) => m.event === 'start');
  // Key presses still go out; let a few slots pass with nothing to say.
  await quiet.session.sendDtmf('12');
  const prompt = await loadPrompt(ROOT + 'audio/hello.wav', 8000);
  await quiet.session.play(prompt);
  await quiet.session.sendDtmf('3');
  await quiet.session.hangup();
  const kinds = connection.received.map((m) => m.event as string);
  const media = connection.received.filter((m) => m.event === 'media');
  assert.equal(media.length, Math.ceil(prompt.samples.length / 160), 'exactly the prompt’s frames');
  assert.deepEqual(media.map((m) => Number(m.media.chunk)), media.map((_m, i) => i + 1));
  assert.deepEqual(kinds, ['connected', 'start', 'dtmf', 'dtmf', ...media.map(() => 'media'), 'dtmf', 'stop'], 'no media while idle, before or after the prompt');

  const busy = newSession(t, bot.url);
  await busy.session.connect();
  const other = await bot.nextConnection();
  await other.waitFor((m) => m.event === 'media' && Number(m.media.chunk) >= 10);
  await busy.session.hangup();
});

test('tracks set start.tracks; without the inbound track no caller media is sent', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const both = newSession(t, bot.url, { tracks: ['inbound', 'outbound'] });
  await both.session.connect();
  const first = await bot.nextConnection();
  const { message: start } = await first.waitFor((m) => m.event === 'start');
  assert.deepEqual(start.start.tracks, ['inbound', 'outbound']);
  await first.waitFor((m) => m.event === 'media');
  await both.session.hangup();

  const outbound = newSession(t, bot.url, { tracks: ['outbound'] });
  await outbound.session.connect();
  const second = await bot.nextConnection();
  await outbound.session.sendDtmf('1');
  await outbound.session.sendDtmf('2');
  await outbound.session.hangup();
  assert.deepEqual(second.received.map((m) => m.event), ['connected', 'start', 'dtmf', 'dtmf', 'stop']);
});

test('startDelay holds start back after connected: a bot that answers connected is heard before start goes out', async (t) => {
  const bot = await startScriptedBot((connection) => void connection.waitFor((m) => m.event === 'connected').then(() => connection.send('hello from the bot')));
  t.after(() => bot.close());
  const delayed = newSession(t, bot.url, { startDelay: 1500 });
  await delayed.session.connect();
  await delayed.session.hangup();
  const order = delayed.wire.filter((m) => m.kind !== 'media').map((m) => `${m.dir} ${m.kind}`);
  assert.deepEqual(order.slice(0, 3), ['out connected', 'in invalid-json', 'out start']);

  const prompt = newSession(t, bot.url);
  await prompt.session.connect();
  await until(() => prompt.wire.some((m) => m.dir === 'in'));
  await prompt.session.hangup();
  assert.deepEqual(prompt.wire.filter((m) => m.kind !== 'media').map((m) => `${m.dir} ${m.kind}`).slice(0, 3), ['out connected', 'out start', 'in invalid-json']);
});

/** A bot that records, for each message, which TCP read it came in: messages written together arrive together. */
async function readCountingBot(t: { after(fn: () => unknown): void }) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  const messages: { read: number; message: Record<string, any> }[] = [];
  let socket: WebSocket | undefined;
  server.on('connection', (ws, request) => {
    socket = ws;
    let reads = 0;
    // ws parses each read before this listener runs: messages of one read share a number.
    request.socket.on('data', () => reads++);
    ws.on('message', (data) => messages.push({ read: reads, message: JSON.parse(String(data)) }));
  });
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/s`, messages, socket: () => socket };
}

function mediaPerRead(messages: { read: number; message: Record<string, any> }[]): number[] {
  const groups = new Map<number, number>();
  for (const { read, message } of messages) if (message.event === 'media') groups.set(read, (groups.get(read) ?? 0) + 1);
  return [...groups.values()];
}

test('network.bunch sends the caller’s frames N at a time, in order', async (t) => {
  const bot = await readCountingBot(t);
  const { session } = newSession(t, bot.url, { network: { bunch: 5 } });
  await session.connect();
  await until(() => bot.messages.filter((m) => m.message.event === 'media').length >= 40);
  await session.hangup();
  const groups = mediaPerRead(bot.messages);
  assert.ok(groups.length >= 4, `${groups.length} groups`);
  assert.ok(groups.every((size) => size % 5 === 0), `every read holds a multiple of 5 frames: ${groups.join(',')}`);
  const sequence = bot.messages.map((m) => Number(m.message.sequenceNumber ?? 0)).filter((n) => n > 0);
  assert.deepEqual(sequence, sequence.map((_n, i) => i + 1), 'nothing reordered, nothing lost');
  assert.equal(bot.messages.at(-1)!.message.event, 'stop', 'held-back frames go out before stop');
});

test('network.jitter delays frames unevenly without reordering them', async (t) => {
  const bot = await readCountingBot(t);
  const { session } = newSession(t, bot.url, { network: { jitter: 120 } });
  await session.connect();
  await until(() => bot.messages.filter((m) => m.message.event === 'media').length >= 100);
  await session.hangup();
  const sequence = bot.messages.map((m) => Number(m.message.sequenceNumber ?? 0)).filter((n) => n > 0);
  assert.deepEqual(sequence, sequence.map((_n, i) => i + 1), 'in order, none lost');
  // A long delay holds the frames behind it; they then go out together.
  assert.ok(mediaPerRead(bot.messages).some((size) => size >= 2), 'some frames arrived together');
});

test('statusCallback: stream-started and stream-stopped are posted, signed, with Twilio’s fields', async (t) => {
  const token = 'status-token-1234';
  const bot = await startScriptedBot();
  const hook = await startHttp((request) =>
    request.url.startsWith('/voice') ? twiml(`<Connect><Stream url="${bot.url}" name="pizza" statusCallback="/status?v=2"/></Connect>`) : { body: '' },
  );
  t.after(async () => {
    await hook.close();
    await bot.close();
  });
  const { session, events } = newSession(t, `${hook.url}/voice`, { authToken: token, callSid: 'CA11', accountSid: 'AC22', streamSid: 'MZ33' });
  await session.connect();
  const started = await hook.waitFor((r) => r.form['StreamEvent'] === 'stream-started');
  await session.hangup();
  const stopped = await hook.waitFor((r) => r.form['StreamEvent'] === 'stream-stopped');
  for (const request of [started, stopped]) {
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/status?v=2');
    assert.deepEqual(Object.keys(request.form).sort(), ['AccountSid', 'CallSid', 'StreamEvent', 'StreamName', 'StreamSid', 'Timestamp']);
    assert.deepEqual([request.form['AccountSid'], request.form['CallSid'], request.form['StreamSid'], request.form['StreamName']], ['AC22', 'CA11', 'MZ33', 'pizza']);
    assert.ok(!Number.isNaN(Date.parse(request.form['Timestamp']!)));
    assert.equal(request.headers['x-twilio-signature'], twilioSignature(token, `${hook.url}/status?v=2`, request.form));
  }
  assert.deepEqual(hook.requests.map((r) => r.form['StreamEvent'] ?? 'webhook'), ['webhook', 'stream-started', 'stream-stopped']);
  assert.ok(events.some((e) => e.type === 'info' && e.message === 'statusCallback stream-stopped: HTTP 200'));
});

test('statusCallback as an option, with GET, for a stream dialled directly; a bot hang-up posts stream-stopped too', async (t) => {
  const hook = await startHttp(() => ({ body: '' }));
  const bot = await startScriptedBot((connection) => setTimeout(() => connection.socket.close(1000, 'bye'), 200));
  t.after(async () => {
    await hook.close();
    await bot.close();
  });
  const { session } = newSession(t, bot.url, { statusCallback: `${hook.url}/cb`, statusCallbackMethod: 'GET' });
  await session.connect();
  const stopped = await hook.waitFor((r) => r.form['StreamEvent'] === 'stream-stopped');
  assert.equal(stopped.method, 'GET');
  assert.match(stopped.url, /^\/cb\?AccountSid=AC[0-9a-f]{32}&CallSid=CA/);
  assert.deepEqual(hook.requests.map((r) => r.form['StreamEvent']), ['stream-started', 'stream-stopped']);
});

test('statusCallback: a stream that cannot be dialled posts stream-error with the reason', async (t) => {
  const closed = await startHttp(() => ({ body: '' }));
  const deadPort = new URL(closed.url).port;
  await closed.close();
  const hook = await startHttp((request) =>
    request.url === '/voice' ? twiml(`<Connect><Stream url="ws://127.0.0.1:${deadPort}/s" statusCallback="/status"/></Connect>`) : { body: '' },
  );
  t.after(() => hook.close());
  await assert.rejects(newSession(t, `${hook.url}/voice`).session.connect(), /connection refused/);
  const error = await hook.waitFor((r) => r.form['StreamEvent'] === 'stream-error');
  assert.match(error.form['StreamError']!, /^cannot connect to ws:\/\/127\.0\.0\.1:\d+\/s: connection refused/);
  assert.deepEqual(hook.requests.map((r) => r.form['StreamEvent'] ?? 'webhook'), ['webhook', 'stream-error']);
});

test('restApi: the bot learns the fake API’s URL from a customParameter and ends the call with Status=completed', async (t) => {
  const token = 'rest-token-5678';
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const { session, events } = newSession(t, bot.url, { restApi: true, authToken: token });
  await session.connect();
  const connection = await bot.nextConnection();
  const { message: start } = await connection.waitFor((m) => m.event === 'start');
  const base = start.start.customParameters.convotestRestApi as string;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const callUrl = `${base}/2010-04-01/Accounts/${start.start.accountSid}/Calls/${start.start.callSid}.json`;
  const auth = { Authorization: `Basic ${Buffer.from(`${start.start.accountSid}:${token}`).toString('base64')}` };
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

  const noAuth = await fetch(callUrl, { method: 'POST', headers: form, body: 'Status=completed' });
  assert.equal(noAuth.status, 401);
  const otherCall = await fetch(callUrl.replace(start.start.callSid, 'CA0'), { method: 'POST', headers: { ...form, ...auth }, body: 'Status=completed' });
  assert.equal(otherCall.status, 404);
  assert.equal(session.isOpen(), true, 'neither ended the call');

  const done = await fetch(callUrl, { method: 'POST', headers: { ...form, ...auth }, body: 'Status=completed' });
  assert.equal(done.status, 200);
  assert.deepEqual((await done.json()) as unknown, {
    sid: start.start.callSid,
    account_sid: start.start.accountSid,
    from: '+15550001111',
    to: '+15550002222',
    status: 'completed',
    direction: 'inbound',
    api_version: '2010-04-01',
    uri: `/2010-04-01/Accounts/${start.start.accountSid}/Calls/${start.start.callSid}.json`,
  });
  await connection.waitFor((m) => m.event === 'stop');
  assert.deepEqual(await connection.closed, { code: 1000 });
  const hangup = events.find((e) => e.type === 'hangup');
  assert.ok(hangup?.type === 'hangup');
  assert.equal(hangup.reason, 'the bot ended the call through the REST API (Status=completed)');
  assert.ok(await until(() => events.some((e) => e.type === 'closed' && e.by === 'bot')));
});

test('restApi on a fixed port serves several calls at once, each by its CallSid; TwiML <Hangup/> ends a call too', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  const probe = await startHttp(() => ({ body: '' }));
  const port = Number(new URL(probe.url).port);
  await probe.close();
  const a = newSession(t, bot.url, { restApi: { port, parameter: 'apiBase' } });
  const b = newSession(t, bot.url, { restApi: { port, parameter: 'apiBase' } });
  await a.session.connect();
  const first = await bot.nextConnection();
  await b.session.connect();
  const second = await bot.nextConnection();
  const starts = await Promise.all([first, second].map(async (c) => (await c.waitFor((m) => m.event === 'start')).message.start));
  assert.deepEqual(starts.map((s) => s.customParameters.apiBase), [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}/2010-04-01/Accounts/${starts[1].accountSid}/Calls/${starts[1].callSid}.json`;
  const reply = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ Twiml: '<Response><Hangup/></Response>' }) });
  assert.equal(reply.status, 200);
  await second.waitFor((m) => m.event === 'stop');
  assert.equal(a.session.isOpen(), true, 'the other call goes on');
  assert.ok(b.events.some((e) => e.type === 'hangup' && e.reason === 'the bot ended the call through the REST API (Twiml <Hangup/>)'));
  await a.session.hangup();
});
