/**
 * A run as the engine would hand it to reporters: two suites (Twilio, AudioCodes) with one
 * call of every status, every optional field set somewhere (so the schema's
 * `additionalProperties: false` is exercised), and bot text that tries to break XML.
 */
import { resolve } from 'node:path';
import type { CallResult, RunResult, SuiteResult, TimelineEntry } from '../../src/engine/results.ts';

export const HOSTILE = 'ok <script>alert(1)</script> ]]> bell\u0007 & "quotes" \'apos\'';

const pizzaFile = 'suites/pizza.yaml';
// Absolute, as the suite loader produces it; reports must show it relative to cwd.
const bankFile = resolve('suites/bank.yaml');

function mediaRun(t: number, until: number, count: number): TimelineEntry {
  return { t, dir: 'in', kind: 'media', summary: 'bot audio', until, count };
}

const passed: CallResult = {
  suite: 'Pizza line',
  name: 'greets and takes an order',
  location: `${pizzaFile}:6:5`,
  status: 'passed',
  startedAt: '2025-03-01T10:00:00.000Z',
  durationMs: 4210.4,
  turns: [
    {
      index: 1,
      action: 'wait',
      location: `${pizzaFile}:9:9`,
      startedAt: 0,
      anchorAt: 0,
      anchor: 'turnStart',
      status: 'passed',
      expectations: [
        {
          kind: 'botSpeech',
          description: 'botSpeech within 3s of turn start',
          location: `${pizzaFile}:10:13`,
          status: 'passed',
          matchedAt: 412,
          latency: 412,
        },
      ],
      metrics: { botSpeechMs: 1380 },
    },
    {
      index: 2,
      action: 'audio order-pizza.wav',
      location: `${pizzaFile}:11:9`,
      startedAt: 1900,
      anchorAt: 3300,
      anchor: 'speechEnd',
      callerSpeech: { start: 1960, end: 3300 },
      status: 'passed',
      expectations: [
        {
          kind: 'botSpeech',
          description: 'botSpeech within 1200ms of end of caller speech',
          location: `${pizzaFile}:13:13`,
          status: 'passed',
          matchedAt: 3940,
          latency: 640.3,
        },
        {
          kind: 'mark',
          description: 'mark',
          location: `${pizzaFile}:14:13`,
          status: 'passed',
          matchedAt: 4180,
          latency: 880,
        },
      ],
      metrics: { responseLatency: 640.3, firstMediaLatency: 602, botSpeechMs: 240 },
    },
  ],
  botSpeech: [
    { start: 412, end: 1792, audio: 'audio/pizza-line/greets-and-takes-an-order/reply-1.wav' },
    { start: 3940, end: 4180, audio: 'audio/pizza-line/greets-and-takes-an-order/reply-2.wav' },
  ],
  metrics: {
    timeToFirstSpeech: 412,
    responseLatency: [640.3],
    firstMediaLatency: [602],
    markEchoDelay: [31, 27],
    botSpeechMs: 1620,
    violations: 0,
  },
  timeline: [
    { t: 0, dir: 'out', kind: 'connected', summary: 'connected to builtin:reference' },
    { t: 2, dir: 'out', kind: 'start', summary: 'start CA1234', data: { event: 'start', start: { callSid: 'CA1234' } } },
    mediaRun(380, 1792, 70),
    { t: 412, dir: 'local', kind: 'botSpeech', summary: 'bot speech 1.38s' },
    { t: 1800, dir: 'in', kind: 'mark', summary: 'mark "greeting" sent' },
    { t: 1831, dir: 'out', kind: 'mark', summary: 'mark "greeting" echoed' },
    { t: 1960, dir: 'out', kind: 'media', summary: 'caller audio order-pizza.wav', until: 3300, count: 67 },
    mediaRun(3902, 4180, 14),
    { t: 4180, dir: 'in', kind: 'mark', summary: 'mark "order" sent' },
    { t: 4207, dir: 'out', kind: 'mark', summary: 'mark "order" echoed' },
  ],
  audio: {
    call: 'audio/pizza-line/greets-and-takes-an-order/call.wav',
    replies: [
      'audio/pizza-line/greets-and-takes-an-order/reply-1.wav',
      'audio/pizza-line/greets-and-takes-an-order/reply-2.wav',
    ],
  },
};

/** Turn 2's `clear` never came: the failure the JUnit excerpt should centre on. */
const failedTimeline: TimelineEntry[] = [
  { t: 0, dir: 'out', kind: 'connected', summary: 'connected to builtin:reference' },
  { t: 1, dir: 'out', kind: 'start', summary: 'start CA5678' },
  mediaRun(350, 2600, 113),
  { t: 390, dir: 'local', kind: 'botSpeech', summary: 'bot speech 2.21s' },
  { t: 2600, dir: 'in', kind: 'mark', summary: 'mark "menu" sent' },
  { t: 2633, dir: 'out', kind: 'mark', summary: 'mark "menu" echoed' },
  { t: 2700, dir: 'out', kind: 'media', summary: 'caller audio menu.wav', until: 4000, count: 65 },
  mediaRun(4610, 9800, 260),
  { t: 4650, dir: 'local', kind: 'botSpeech', summary: 'bot speech 5.15s' },
  { t: 5000, dir: 'out', kind: 'media', summary: 'caller audio wait.wav (barge-in)', until: 6200, count: 60 },
  { t: 5010, dir: 'local', kind: 'speechStart', summary: 'caller speech starts' },
  { t: 5510, dir: 'local', kind: 'timeout', summary: 'clear window closed (500ms)' },
  { t: 6200, dir: 'local', kind: 'speechEnd', summary: 'caller speech ends' },
  { t: 9800, dir: 'in', kind: 'mark', summary: 'mark "specials" sent' },
  { t: 9830, dir: 'out', kind: 'mark', summary: 'mark "specials" echoed' },
  { t: 9900, dir: 'out', kind: 'stop', summary: 'stop' },
];

const failed: CallResult = {
  suite: 'Pizza line',
  name: 'survives an interruption',
  location: `${pizzaFile}:18:5`,
  status: 'failed',
  reason: 'turn 3: no clear within 500ms of the caller starting to speak',
  startedAt: '2025-03-01T10:00:04.300Z',
  durationMs: 9912,
  turns: [
    {
      index: 1,
      action: 'wait',
      location: `${pizzaFile}:20:9`,
      startedAt: 0,
      anchorAt: 0,
      anchor: 'turnStart',
      status: 'passed',
      expectations: [
        { kind: 'botSpeech', description: 'botSpeech within 3s of turn start', location: `${pizzaFile}:21:13`, status: 'passed', matchedAt: 390, latency: 390 },
      ],
      metrics: { botSpeechMs: 2210 },
    },
    {
      index: 2,
      action: 'audio menu.wav',
      location: `${pizzaFile}:22:9`,
      startedAt: 2640,
      anchorAt: 4000,
      anchor: 'speechEnd',
      callerSpeech: { start: 2720, end: 4000 },
      status: 'passed',
      expectations: [
        { kind: 'botSpeech', description: 'botSpeech within 1200ms of end of caller speech', location: `${pizzaFile}:24:13`, status: 'passed', matchedAt: 4650, latency: 650 },
      ],
      metrics: { responseLatency: 650, firstMediaLatency: 610, botSpeechMs: 5150 },
    },
    {
      index: 3,
      action: 'audio wait.wav, barge-in 400ms',
      location: `${pizzaFile}:25:9`,
      startedAt: 4600,
      anchorAt: 5010,
      anchor: 'speechStart',
      callerSpeech: { start: 5010, end: 6200 },
      status: 'failed',
      expectations: [
        {
          kind: 'clear',
          description: 'clear within 500ms of start of caller speech',
          location: `${pizzaFile}:27:13`,
          status: 'failed',
          expected: 'clear within 500ms',
          actual: 'no clear; bot audio kept playing until 9.80s',
          message: 'the bot did not stop talking when the caller barged in',
        },
      ],
      metrics: {},
    },
    {
      index: 4,
      action: 'hangup',
      location: `${pizzaFile}:28:9`,
      startedAt: 9880,
      anchorAt: 9880,
      anchor: 'turnStart',
      status: 'skipped',
      expectations: [],
      metrics: {},
    },
  ],
  botSpeech: [
    { start: 390, end: 2600, audio: 'audio/pizza-line/survives-an-interruption/reply-1.wav' },
    { start: 4650, end: 9800, audio: 'audio/pizza-line/survives-an-interruption/reply-2.wav' },
  ],
  metrics: {
    timeToFirstSpeech: 390,
    responseLatency: [650],
    firstMediaLatency: [610],
    markEchoDelay: [33, 30],
    botSpeechMs: 7360,
    violations: 0,
  },
  timeline: failedTimeline,
  audio: {
    call: 'audio/pizza-line/survives-an-interruption/call.wav',
    replies: [
      'audio/pizza-line/survives-an-interruption/reply-1.wav',
      'audio/pizza-line/survives-an-interruption/reply-2.wav',
    ],
  },
};

const hostileFailed: CallResult = {
  suite: 'Bank assistant',
  name: 'answers in plain text',
  location: `${bankFile}:5:5`,
  status: 'failed',
  reason: 'turn 1: bot text did not match',
  startedAt: '2025-03-01T10:00:15.000Z',
  durationMs: 2500,
  turns: [
    {
      index: 1,
      action: 'wait',
      location: `${bankFile}:7:9`,
      startedAt: 0,
      anchorAt: 0,
      anchor: 'turnStart',
      status: 'failed',
      expectations: [
        {
          kind: 'text',
          description: 'text containing "balance"',
          location: `${bankFile}:8:13`,
          status: 'failed',
          expected: 'text containing "balance"',
          actual: HOSTILE,
        },
      ],
      metrics: {},
    },
  ],
  botSpeech: [],
  metrics: { responseLatency: [], firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 0, violations: 1 },
  timeline: [
    { t: 0, dir: 'out', kind: 'session.initiate', summary: 'session.initiate' },
    { t: 40, dir: 'in', kind: 'session.accepted', summary: 'session.accepted' },
    { t: 300, dir: 'in', kind: 'text', summary: `text "${HOSTILE}"`, data: { type: 'activities', text: HOSTILE } },
    { t: 310, dir: 'local', kind: 'violation', summary: 'violation: activity without id' },
    { t: 2500, dir: 'out', kind: 'session.end', summary: 'session.end' },
  ],
  audio: { replies: [] },
};

const errored: CallResult = {
  suite: 'Bank assistant',
  name: 'transfers to an agent',
  location: `${bankFile}:12:5`,
  status: 'errored',
  reason: 'WebSocket closed unexpectedly (code 1006) during turn 2',
  startedAt: '2025-03-01T10:00:17.600Z',
  durationMs: 1830,
  turns: [
    {
      index: 1,
      action: 'wait',
      location: `${bankFile}:14:9`,
      startedAt: 0,
      anchorAt: 0,
      anchor: 'turnStart',
      status: 'passed',
      expectations: [
        { kind: 'botSpeech', description: 'botSpeech within 3s of turn start', location: `${bankFile}:15:13`, status: 'passed', matchedAt: 520, latency: 520 },
      ],
      metrics: { botSpeechMs: 900 },
    },
  ],
  botSpeech: [{ start: 520, end: 1420 }],
  metrics: { timeToFirstSpeech: 520, responseLatency: [], firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 900, violations: 0 },
  timeline: [
    { t: 0, dir: 'out', kind: 'session.initiate', summary: 'session.initiate' },
    mediaRun(500, 1420, 46),
    { t: 1830, dir: 'local', kind: 'closed', summary: 'socket closed 1006' },
  ],
  audio: { call: 'audio/bank-assistant/transfers-to-an-agent/call.wav', replies: [] },
};

const skipped: CallResult = {
  suite: 'Bank assistant',
  name: 'reads the balance',
  location: `${bankFile}:20:5`,
  status: 'skipped',
  reason: 'not matched by --grep transfer',
  startedAt: '2025-03-01T10:00:19.430Z',
  durationMs: 0,
  turns: [],
  botSpeech: [],
  metrics: { responseLatency: [], firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 0, violations: 0 },
  timeline: [],
  audio: { replies: [] },
};

const interrupted: CallResult = {
  suite: 'Bank assistant',
  name: 'hangs up politely',
  location: `${bankFile}:26:5`,
  status: 'interrupted',
  startedAt: '2025-03-01T10:00:19.430Z',
  durationMs: 1200,
  turns: [],
  botSpeech: [],
  metrics: { responseLatency: [], firstMediaLatency: [], markEchoDelay: [], botSpeechMs: 0, violations: 0 },
  timeline: [{ t: 0, dir: 'out', kind: 'session.initiate', summary: 'session.initiate' }],
  audio: { replies: [] },
};

export const calls = { passed, failed, hostileFailed, errored, skipped, interrupted };

export function makeRun(): RunResult {
  const pizza: SuiteResult = {
    file: pizzaFile,
    name: 'Pizza line',
    protocol: 'twilio',
    target: 'builtin:reference',
    calls: [passed, failed],
  };
  const bank: SuiteResult = {
    file: bankFile,
    name: 'Bank assistant',
    protocol: 'audiocodes',
    target: 'wss://bot.example.com/voice',
    calls: [hostileFailed, errored, skipped, interrupted],
  };
  // A deep copy, so a test that mutates its run cannot change what the next one sees.
  return structuredClone({
    tool: { name: 'convotest', version: '0.1.0' },
    startedAt: '2025-03-01T10:00:00.000Z',
    durationMs: 20630,
    interrupted: true,
    suites: [pizza, bank],
    summary: {
      total: 6,
      passed: 1,
      failed: 2,
      errored: 1,
      interrupted: 1,
      skipped: 1,
      flaky: 0,
      responseLatency: { count: 2, p50: 640.3, p95: 650, p99: 650, max: 650 },
    },
    exitCode: 130,
  } satisfies RunResult);
}
