/** The suite keys of the Twilio side: `twilio:` (suite and call), `compliance:`, `underruns:`, as loaded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { TWILIO_RULES } from '../../src/protocols/twilio/rules.ts';
import { folderWith, problemsOf } from '../suite/helpers.ts';
import { ROOT } from '../helpers/cli.ts';

const FULL = `name: Options
target: https://bot.example.com/voice
defaults:
  underruns: { max: 2, maxTotal: 300ms }
compliance:
  stream-url-query: error
  payload-pcm16: warn
  after-stop: off
twilio:
  parameters: { store: centre }
  webhookFields: { FromCity: AMSTERDAM }
  publicUrl: https://bot.example.com/voice
  streamHost: ws://127.0.0.1:8080
  allowHosts: [media.example.com, "*.example.net"]
  authToken: \${TOKEN}
  idle: none
  tracks: [inbound, outbound]
  startDelay: 1.5s
  network: { bunch: 3, jitter: 40ms }
  statusCallback: https://bot.example.com/status
  statusCallbackMethod: GET
  restApi: { port: 8089, parameter: apiBase }
  clearGrace: 80ms
calls:
  - name: suite options
    turns: [ { user: { hangup: true } } ]
  - name: own options
    parameters: { lang: nl }
    underruns: { max: 0 }
    twilio:
      parameters: { tier: gold }
      signature: wrong
      restApi: true
      idle: silence
    turns: [ { user: { hangup: true } } ]
`;

test('every Twilio key loads into the model, durations in ms; a call’s block is merged over the suite’s', async () => {
  const dir = await folderWith({ 'suite.yaml': FULL });
  const suite = await loadSuiteFile(join(dir, 'suite.yaml'), { env: { TOKEN: 'tok' } });
  const { pos: _pos, ...underruns } = suite.defaults.underruns!;
  assert.deepEqual(underruns, { max: 2, maxTotal: 300 });
  assert.deepEqual(suite.compliance, { 'stream-url-query': 'error', 'payload-pcm16': 'warn', 'after-stop': 'off' });
  assert.deepEqual(suite.twilio, {
    parameters: { store: 'centre' },
    webhookFields: { FromCity: 'AMSTERDAM' },
    publicUrl: 'https://bot.example.com/voice',
    streamHost: 'ws://127.0.0.1:8080',
    allowHosts: ['media.example.com', '*.example.net'],
    authToken: 'tok',
    idle: 'none',
    tracks: ['inbound', 'outbound'],
    startDelay: 1500,
    network: { bunch: 3, jitter: 40 },
    statusCallback: 'https://bot.example.com/status',
    statusCallbackMethod: 'GET',
    restApi: { port: 8089, parameter: 'apiBase' },
    clearGrace: 80,
  });
  const [plain, own] = suite.calls;
  assert.equal(plain!.twilio, undefined, 'a call without a block runs with the suite’s');
  assert.equal(plain!.underruns!.max, 2, 'defaults.underruns applies to every call');
  assert.deepEqual(own!.twilio, { ...suite.twilio, parameters: { store: 'centre', tier: 'gold' }, signature: 'wrong', restApi: { port: 0 }, idle: 'silence' });
  assert.equal(own!.underruns!.max, 0);
  assert.match(`${own!.underruns!.pos.line}:${own!.underruns!.pos.col}`, /^29:\d+$/);
});

test('mistakes in the Twilio keys are named at their line', async () => {
  const dir = await folderWith({
    'suite.yaml': `name: Bad
target: ws://bot/s
compliance:
  after-stopp: warn
  payload-riff: never
twilio:
  signature: valid
  idle: sometimes
  network: { bunch: 0 }
  streamHost: "ws://h:1/path"
  restApi: { port: 70000 }
  tracks: [sideways]
calls:
  - name: c
    twilio: { authToken: "" }
    underruns: {}
    turns: [ { user: { hangup: true } } ]
`,
  });
  const problems = await problemsOf(loadSuiteFile(join(dir, 'suite.yaml')));
  const expected = [
    /^4:3: unknown compliance rule `after-stopp` — did you mean `after-stop`\?/,
    /^5:17: .*payload-riff.* must be one of error, warn, off/,
    /^7:14: `signature: valid` needs `authToken`/,
    /^8:9: .*idle.* must be one of silence, none/,
    /^9:21: .*bunch/,
    /^10:15: .*streamHost/,
    /^11:20: .*port.* must be <= 65535/,
    /^12:12: .*tracks.* must be one of inbound, outbound/,
    /^15:26: .*authToken/,
    /^16:16: .*underruns/,
  ];
  for (const pattern of expected) assert.ok(problems.some((p) => pattern.test(p)), `${pattern} in\n${problems.join('\n')}`);
});

test('the suite schema lists exactly the Twilio compliance rules, each with a description', async () => {
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'suite.schema.json'), 'utf8'));
  const listed = schema.$defs.compliance.properties as Record<string, { description: string }>;
  assert.deepEqual(Object.keys(listed).sort(), Object.keys(TWILIO_RULES).sort());
  for (const [rule, entry] of Object.entries(listed)) assert.ok(entry.description.length > 10, rule);
});
