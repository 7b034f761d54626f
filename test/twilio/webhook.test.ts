/**
 * A voice webhook first: the form Twilio posts, the TwiML read back, the stream dialled with
 * the TwiML's parameters, and every way a webhook can answer badly. Real HTTP and WebSocket
 * servers on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { CallRefusedError, CallSetupError } from '../../src/protocols/session.ts';
import { makeTestPki } from '../reliability/certs.ts';
import { startScriptedBot, type ScriptedBot } from '../helpers/scripted-bot.ts';
import { newSession, startHttp, twiml, until, type Answer } from './helpers.ts';

async function botAndWebhook(t: { after(fn: () => unknown): void }, answer: (bot: ScriptedBot) => Answer) {
  const bot = await startScriptedBot();
  const hook = await startHttp(() => answer(bot));
  t.after(async () => {
    await hook.close();
    await bot.close();
  });
  return { bot, hook };
}

const rejects = async (promise: Promise<unknown>, pattern: RegExp) =>
  assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof CallSetupError, `a CallSetupError, got ${error.name}`);
    assert.match(error.message, pattern);
    return true;
  });

test('the webhook gets Twilio’s form; the TwiML’s stream is dialled with its Parameters as customParameters', async (t) => {
  const { bot, hook } = await botAndWebhook(t, (bot) =>
    twiml(`<Say>Connecting you now</Say><Play>https://cdn.example.com/beep.wav</Play>
      <Connect><Stream url="${bot.url}"><Parameter name="store" value="centre"/><Parameter name="lang" value="nl"/></Stream></Connect>`),
  );
  const { session, events, wire } = newSession(t, `${hook.url}/voice?tenant=7`, {
    callSid: 'CA00000000000000000000000000000001',
    accountSid: 'AC00000000000000000000000000000002',
    webhookFields: { FromCity: 'AMSTERDAM' },
  }, { parameters: { lang: 'en', suite: 'yes' } });
  await session.connect();
  const connection = await bot.nextConnection();
  const { message: start } = await connection.waitFor((m) => m.event === 'start');
  await session.hangup();

  assert.equal(hook.requests.length, 1);
  const request = hook.requests[0]!;
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/voice?tenant=7');
  assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(request.headers['user-agent'], 'TwilioProxy/1.1');
  assert.equal(request.headers['x-twilio-signature'], undefined, 'no auth token, no signature');
  assert.deepEqual(request.form, {
    CallSid: 'CA00000000000000000000000000000001',
    AccountSid: 'AC00000000000000000000000000000002',
    From: '+15550001111',
    To: '+15550002222',
    Caller: '+15550001111',
    Called: '+15550002222',
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
    FromCity: 'AMSTERDAM',
  });
  // The TwiML's parameters win over the suite's; the suite's others are kept.
  assert.deepEqual(start.start.customParameters, { lang: 'nl', suite: 'yes', store: 'centre' });
  assert.equal(start.start.callSid, 'CA00000000000000000000000000000001');
  assert.deepEqual(start.start.tracks, ['inbound']);

  const infos = events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
  assert.deepEqual(infos.slice(0, 3), [
    'TwiML before the stream: <Say> "Connecting you now" (not played)',
    'TwiML before the stream: <Play> https://cdn.example.com/beep.wav (not played)',
    `TwiML <Connect><Stream> to ${bot.url}`,
  ]);
  assert.deepEqual(wire.slice(0, 4).map((m) => `${m.dir} ${m.kind}`), ['out webhook', 'in twiml', 'out connected', 'out start']);
});

test('<Start><Stream> is one-way: bot audio is a violation and is not played, DTMF is not sent, the track sets start.tracks', async (t) => {
  const { bot, hook } = await botAndWebhook(t, (bot) => twiml(`<Start><Stream url="${bot.url}" track="both_tracks"/></Start><Say>Please hold</Say>`));
  const { session, events, heard } = newSession(t, hook.url);
  await session.connect();
  const connection = await bot.nextConnection();
  const { message: start } = await connection.waitFor((m) => m.event === 'start');
  assert.deepEqual(start.start.tracks, ['inbound', 'outbound']);
  connection.send({ event: 'media', streamSid: start.streamSid, media: { payload: Buffer.alloc(800, 0x10).toString('base64') } });
  await session.sendDtmf('1');
  assert.ok(await until(() => events.some((e) => e.type === 'violation')));
  await connection.waitFor((m) => m.event === 'media', connection.received.length + 10);
  await session.hangup();

  const violation = events.find((e) => e.type === 'violation');
  assert.ok(violation?.type === 'violation');
  assert.equal(violation.rule, 'unidirectional');
  assert.match(violation.message, /bot sent media on a <Start><Stream>, which is one-way/);
  assert.ok(heard.every((frame) => frame === null), 'the caller heard none of it');
  assert.ok(!connection.received.some((m) => m.event === 'dtmf'), 'no dtmf on a unidirectional stream');
  assert.ok(events.some((e) => e.type === 'info' && e.message === 'TwiML after <Start><Stream>: <Say> "Please hold" (not played)'));
});

test('bad webhook answers are set-up errors naming the URL, the status and the body', async (t) => {
  let answer: Answer = { status: 500, type: 'text/plain', body: 'Internal Server Error: KeyError CallSid' };
  const hook = await startHttp(() => answer);
  t.after(() => hook.close());
  const url = `${hook.url}/voice`;

  await rejects(newSession(t, url).session.connect(), new RegExp(`^voice webhook ${url} answered HTTP 500 Internal Server Error: "Internal Server Error: KeyError CallSid"$`));
  answer = { status: 403, type: 'text/plain', body: 'bad signature' };
  const refused = newSession(t, url).session.connect();
  await assert.rejects(refused, (e: Error) => e instanceof CallRefusedError && e.status === 403 && /answered HTTP 403 Forbidden \(the bot refused the request/.test(e.message));
  answer = { type: 'application/json', body: '{"ok":true}' };
  await rejects(newSession(t, url).session.connect(), /answered HTTP 200 OK, but the reply is not XML: expected the root element at 1:1; body: "\{\\"ok\\":true\}"/);
  answer = twiml('<Say>We are closed</Say><Hangup/>');
  await rejects(newSession(t, url).session.connect(), /answered HTTP 200 OK, but the TwiML ends the call with <Hangup> before any <Stream>/);
  answer = twiml('<Say>Hi</Say>');
  await rejects(newSession(t, url).session.connect(), /but the TwiML has no <Connect><Stream> or <Start><Stream> \(it has <Say>\)/);
  answer = { status: 302, body: '' };
  await rejects(newSession(t, url).session.connect(), /answered HTTP 302 Found; it must answer 200 with TwiML \(convotest does not follow redirects\): \(empty body\)/);
  await hook.close();
  await rejects(newSession(t, url).session.connect(), new RegExp(`^voice webhook ${url}: connection refused`));
});

test('the stream may only go to the webhook’s own host, unless allowHosts widens it or streamHost rewrites it', async (t) => {
  const bot = await startScriptedBot();
  let streamUrl = 'wss://elsewhere.example.net/stream';
  const hook = await startHttp(() => twiml(`<Connect><Stream url="${streamUrl}"/></Connect>`));
  t.after(async () => {
    await hook.close();
    await bot.close();
  });
  await rejects(
    newSession(t, hook.url).session.connect(),
    /the TwiML sends the stream to elsewhere\.example\.net, which is neither the webhook's host \(127\.0\.0\.1:\d+\) nor in twilio\.allowHosts/,
  );

  // The bot answers with its public URL; streamHost dials the local one, with the public Host.
  const botPort = new URL(bot.url).port;
  streamUrl = 'wss://bot.example.com/media/stream';
  const rewritten = newSession(t, hook.url, { streamHost: `ws://127.0.0.1:${botPort}` });
  await rewritten.session.connect();
  await bot.nextConnection();
  await rewritten.session.hangup();
  assert.equal(bot.upgrades.at(-1)!['host'], 'bot.example.com');
  assert.ok(rewritten.events.some((e) => e.type === 'info' && e.message === `TwiML <Connect><Stream> to wss://bot.example.com/media/stream, dialled as ws://127.0.0.1:${botPort}/media/stream`));

  // allowHosts lets a TwiML name another host (here: localhost, while the webhook is 127.0.0.1).
  streamUrl = bot.url.replace('127.0.0.1', 'localhost');
  await rejects(newSession(t, hook.url).session.connect(), /sends the stream to localhost:\d+/);
  const allowed = newSession(t, hook.url, { allowHosts: ['localhost'] });
  await allowed.session.connect();
  await bot.nextConnection();
  await allowed.session.hangup();
});

test('a query string on the stream URL is a compliance warning; the call goes on', async (t) => {
  const { bot, hook } = await botAndWebhook(t, (bot) => twiml(`<Connect><Stream url="${bot.url}?store=7&amp;lang=nl"/></Connect>`));
  const { session, events } = newSession(t, hook.url);
  await session.connect();
  await bot.nextConnection();
  await session.hangup();
  const violation = events.find((e) => e.type === 'violation');
  assert.ok(violation?.type === 'violation');
  assert.equal(violation.rule, 'stream-url-query');
  assert.equal(violation.severity, 'warn');
  assert.match(violation.message, /has a query string; Twilio does not allow one \(pass values as <Parameter>s\)/);
});

test('an https webhook with an untrusted certificate says what to do; with the CA (--ca) it is called', async (t) => {
  const pki = makeTestPki();
  const bot = await startScriptedBot();
  const hook = createHttpsServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/xml' }).end(`<Response><Connect><Stream url="${bot.url}"/></Connect></Response>`));
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    hook.closeAllConnections();
    await new Promise((resolve) => hook.close(resolve));
    await bot.close();
  });
  const url = `https://127.0.0.1:${(hook.address() as { port: number }).port}/voice`;
  await rejects(
    newSession(t, url).session.connect(),
    new RegExp(`^voice webhook ${url}: its TLS certificate is not trusted \\(.+\\); if a private CA signed it, pass that CA with --ca <file>`),
  );
  const trusted = newSession(t, url, {}, { connection: { tls: { ca: pki.ca } }, target: url });
  await trusted.session.connect();
  await bot.nextConnection();
  await trusted.session.hangup();
});

test('twilio: URLs that are no URLs are set-up errors naming the option, not stack traces', async (t) => {
  const bot = await startScriptedBot();
  t.after(() => bot.close());
  await rejects(newSession(t, bot.url, { publicUrl: 'wss://[bot.example.com/stream' }).session.connect(), /^twilio\.publicUrl "wss:\/\/\[bot\.example\.com\/stream" is not a URL; write a full URL/);
  await rejects(newSession(t, bot.url, { statusCallback: 'http://[status' }).session.connect(), /^twilio\.statusCallback "http:\/\/\[status" is not a URL/);
  await rejects(newSession(t, bot.url, { streamHost: 'a:b:c' }).session.connect(), /^twilio\.streamHost "a:b:c" is not a host to dial; write host:port/);
  assert.equal(bot.upgrades.length, 0, 'nothing was dialled');
});

test('credentials in the TwiML reach the bot but not the timeline: secret-named Parameters and URL tokens are masked', async (t) => {
  const { bot, hook } = await botAndWebhook(t, (bot) =>
    twiml(`<Connect><Stream url="${bot.url}"><Parameter value='s3cr3t-value' name='apiToken'/><Parameter name="lang" value="nl"/></Stream></Connect><Play>https://cdn.example.com/a.wav?sig=s3cr3t-sig</Play>`),
  );
  const { session, wire } = newSession(t, hook.url);
  await session.connect();
  const connection = await bot.nextConnection();
  const { message: start } = await connection.waitFor((m) => m.event === 'start');
  await session.hangup();
  assert.deepEqual(start.start.customParameters, { apiToken: 's3cr3t-value', lang: 'nl' }, 'the bot gets the real value');
  const shown = wire.find((m) => m.kind === 'twiml')!.data as { body: string };
  assert.match(shown.body, /<Parameter value="\*\*\*" name='apiToken'\/><Parameter name="lang" value="nl"\/>/);
  assert.match(shown.body, /a\.wav\?sig=\*\*\*/);
  assert.ok(!shown.body.includes('s3cr3t'), shown.body);
});
