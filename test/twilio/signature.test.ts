/**
 * X-Twilio-Signature against the vectors Twilio publishes (auth token 12345, the
 * mycompany.com example of its "Webhooks security" page and twilio-node's tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signatureHeader, twilioSignature } from '../../src/protocols/twilio/signature.ts';

const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = (caller: string) => ({ CallSid: 'CA1234567890ABCDE', Caller: caller, Digits: '1234', From: caller, To: '+18005551212' });

test('the published vectors: URL plus params sorted by name, HMAC-SHA1, base64', () => {
  assert.equal(twilioSignature(TOKEN, URL, params('+14158675309')), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  assert.equal(twilioSignature(TOKEN, URL, params('+12349013030')), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
});

test('the order the params were given in does not matter; any change to URL, a value or the token does', () => {
  const p = params('+12349013030');
  const reversed = Object.fromEntries(Object.entries(p).reverse());
  assert.equal(twilioSignature(TOKEN, URL, reversed), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.notEqual(twilioSignature(TOKEN, URL, { ...p, Digits: '1235' }), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.notEqual(twilioSignature(TOKEN, URL.replace('bar=2', 'bar=3'), p), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.notEqual(twilioSignature('12346', URL, p), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
});

test('a WebSocket upgrade is signed over the URL alone', () => {
  const wss = 'wss://bot.example.com/stream';
  assert.equal(twilioSignature(TOKEN, wss), twilioSignature(TOKEN, wss, {}));
  assert.notEqual(twilioSignature(TOKEN, wss), twilioSignature(TOKEN, `${wss}/`));
});

test('signature modes: valid needs a token, wrong is well-formed but never the right one, none sends nothing', () => {
  const p = params('+12349013030');
  assert.deepEqual(signatureHeader('valid', TOKEN, URL, p), { 'X-Twilio-Signature': '0/KCTR6DLpKmkAf8muzZqo1nDgQ=' });
  assert.deepEqual(signatureHeader('valid', undefined, URL, p), {});
  assert.deepEqual(signatureHeader('none', TOKEN, URL, p), {});
  const wrong = signatureHeader('wrong', TOKEN, URL, p)['X-Twilio-Signature'];
  assert.match(wrong!, /^[A-Za-z0-9+/]{27}=$/);
  assert.notEqual(wrong, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
});
