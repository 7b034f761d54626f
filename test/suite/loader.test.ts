import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import type { ExpectationSpec, TextMatch } from '../../src/suite/index.ts';
import { folderWith, problemsOf, suiteWithCalls } from './helpers.ts';

const FULL_SUITE = `# yaml-language-server: $schema=../schemas/suite.schema.json
name: Pizza line
protocol: twilio
target: \${BOT_URL:-builtin:reference}
defaults: { timeout: 8s }
tags: [smoke]
twilio:
  parameters: { lang: en }
  callSid: CA123
calls:
  - name: greets
    from: "+31612345678"
    parameters: { tier: gold }
    tags: [greeting]
    timeout: 20s
    turns:
      - expect: [ { botSpeech: { within: 3s } } ]
      - user: { audio: audio/order-pizza.wav }
        expect:
          - botSpeech: { within: 1200ms, minDuration: 300ms }
          - mark: { name: greeting, within: 2s }
          - clear: { within: 500ms }
          - dtmf: { digits: "12", within: 1s }
          - hangup: { within: 5s, reason: "/bye/i" }
          - closed: { within: 5s }
          - text: "a.b"
          - text: { match: "/welcome/i", within: 2s }
          - recognition: pepperoni
          - transfer: { target: "sip:agent", within: 2s }
          - message: { match: { event: mark, "mark.name": "/^greet/" }, within: 1s }
          - botSpeech:
          - mark: {}
      - user: { audio: audio/wait.wav, bargeIn: 400ms }
      - user: { dtmf: "1#" }
      - user: { silence: 2s }
      - user: { hangup: true }
  - name: defaults
    turns:
      - user: { hangup: true }
`;

async function loadFull(env: Record<string, string> = {}) {
  const dir = await folderWith({ 'suite.yaml': FULL_SUITE, 'audio/order-pizza.wav': 'RIFF', 'audio/wait.wav': 'RIFF' });
  const file = join(dir, 'suite.yaml');
  return { dir, file, suite: await loadSuiteFile(file, { env }) };
}

/** The expectation without its compiled regexes, which deepEqual compares by identity of flags/source only. */
function shape(spec: ExpectationSpec) {
  return JSON.parse(JSON.stringify(spec, (_key, value: unknown) => (value instanceof RegExp ? String(value) : value)));
}

describe('a valid suite', () => {
  it('loads into the model with defaults, ms durations and absolute paths', async () => {
    const { dir, file, suite } = await loadFull();
    const at = (line: number, col: number) => ({ file, line, col });
    assert.equal(suite.file, file);
    assert.equal(suite.name, 'Pizza line');
    assert.equal(suite.protocol, 'twilio');
    assert.equal(suite.target, 'builtin:reference');
    assert.deepEqual(suite.defaults, { timeout: 8000 });
    assert.deepEqual(suite.tags, ['smoke']);
    assert.deepEqual(suite.twilio, { parameters: { lang: 'en' }, callSid: 'CA123' });
    assert.deepEqual(suite.audiocodes, {});
    assert.deepEqual(suite.pos, at(2, 1));

    const [greets, plain] = suite.calls;
    assert.ok(greets && plain);
    assert.deepEqual(
      { ...greets, turns: greets.turns.length },
      {
        name: 'greets',
        from: '+31612345678',
        to: '+15550002222',
        parameters: { tier: 'gold' },
        tags: ['greeting'],
        timeout: 20_000,
        turns: 6,
        pos: at(11, 5),
      },
    );
    assert.deepEqual(
      { ...plain, turns: plain.turns.length },
      { name: 'defaults', from: '+15550001111', to: '+15550002222', parameters: {}, tags: [], timeout: 8000, turns: 1, pos: at(37, 5) },
    );

    const [greeting, order, bargeIn, dtmf, silence, hangup] = greets.turns;
    assert.deepEqual(greeting, {
      index: 1,
      expect: [{ kind: 'botSpeech', within: 3000, pos: at(17, 19) }],
      pos: at(17, 9),
    });
    assert.deepEqual(order?.user, { kind: 'audio', file: join(dir, 'audio/order-pizza.wav'), pos: at(18, 17) });
    assert.equal(order?.index, 2);
    assert.deepEqual(bargeIn?.user, { kind: 'audio', file: join(dir, 'audio/wait.wav'), bargeIn: { after: 400 }, pos: at(33, 17) });
    assert.deepEqual(bargeIn?.expect, []);
    assert.deepEqual(dtmf?.user, { kind: 'dtmf', digits: '1#', pos: at(34, 17) });
    assert.deepEqual(silence?.user, { kind: 'silence', duration: 2000, pos: at(35, 17) });
    assert.deepEqual(hangup, { index: 6, user: { kind: 'hangup', pos: at(36, 17) }, expect: [], pos: at(36, 9) });
  });

  it('turns every expectation kind into its spec, in the order written', async () => {
    const { file, suite } = await loadFull();
    const expect = suite.calls[0]!.turns[1]!.expect;
    const pos = (line: number) => ({ file, line, col: 13 });
    assert.deepEqual(expect.map(shape), [
      { kind: 'botSpeech', within: 1200, pos: pos(20), minDuration: 300 },
      { kind: 'mark', within: 2000, pos: pos(21), name: 'greeting' },
      { kind: 'clear', within: 500, pos: pos(22) },
      { kind: 'dtmf', within: 1000, pos: pos(23), digits: '12' },
      { kind: 'hangup', within: 5000, pos: pos(24), reason: { source: '/bye/i', regex: '/bye/i' } },
      { kind: 'closed', within: 5000, pos: pos(25) },
      { kind: 'text', pos: pos(26), match: { source: 'a.b', regex: '/a\\.b/i' } },
      { kind: 'text', within: 2000, pos: pos(27), match: { source: '/welcome/i', regex: '/welcome/i' } },
      { kind: 'recognition', pos: pos(28), match: { source: 'pepperoni', regex: '/pepperoni/i' } },
      { kind: 'transfer', within: 2000, pos: pos(29), target: { source: 'sip:agent', regex: '/sip:agent/i' } },
      { kind: 'message', within: 1000, pos: pos(30), match: { event: 'mark', 'mark.name': '/^greet/' } },
      { kind: 'botSpeech', pos: pos(31) },
      { kind: 'mark', pos: pos(32) },
    ]);
  });

  it('compiles plain text to case-insensitive "contains" and /re/flags to a regex', async () => {
    const { suite } = await loadFull();
    const expect = suite.calls[0]!.turns[1]!.expect;
    const matchOf = (i: number): TextMatch => {
      const spec = expect[i]!;
      assert.ok(spec.kind === 'text' || spec.kind === 'recognition');
      return spec.match;
    };
    const plain = matchOf(6).regex;
    assert.ok(plain.test('see A.B here'));
    assert.ok(!plain.test('axb'), 'a plain string is escaped, not a regex');
    const regex = matchOf(7).regex;
    assert.ok(regex.test('Well, WELCOME!'));
    assert.ok(!regex.test('welcom'));
    assert.ok(matchOf(8).regex.test('One PEPPERONI please'));
  });

  it('drops g and y so a match does not depend on the previous one', async () => {
    const dir = await folderWith({
      's.yaml': suiteWithCalls('  - name: a\n    turns:\n      - expect: [ { text: "/hi/gi" } ]\n'),
    });
    const spec = (await loadSuiteFile(join(dir, 's.yaml'), { env: {} })).calls[0]!.turns[0]!.expect[0]!;
    assert.ok(spec.kind === 'text');
    assert.equal(spec.match.source, '/hi/gi');
    assert.equal(spec.match.regex.flags, 'i');
    assert.ok(spec.match.regex.test('hi') && spec.match.regex.test('hi'));
  });

  it('takes ${VAR} from the given env, and ${VAR:-default} when unset or empty', async () => {
    assert.equal((await loadFull({ BOT_URL: 'wss://bot.example/stream' })).suite.target, 'wss://bot.example/stream');
    assert.equal((await loadFull({ BOT_URL: '' })).suite.target, 'builtin:reference');
  });

  it('accepts protocol audiocodes with its audiocodes block (checked by its own schema)', async () => {
    const dir = await folderWith({
      's.yaml':
        'name: t\nprotocol: audiocodes\ntarget: wss://vac\naudiocodes: { language: en-US, startParameters: { nested: 1 } }\n' +
        'calls:\n  - name: a\n    turns:\n      - user: { silence: 1500 }\n',
    });
    const suite = await loadSuiteFile(join(dir, 's.yaml'), { env: {} });
    assert.equal(suite.protocol, 'audiocodes');
    assert.deepEqual(suite.audiocodes, { language: 'en-US', startParameters: { nested: 1 } });
    assert.deepEqual(suite.twilio, { parameters: {} });
    assert.deepEqual(suite.calls[0]!.turns[0]!.user, { kind: 'silence', duration: 1500, pos: { file: suite.file, line: 8, col: 17 } });
  });
});

describe('problems', () => {
  async function problemsIn(yaml: string, env: Record<string, string> = {}, extra: Record<string, string> = {}) {
    const dir = await folderWith({ 's.yaml': yaml, ...extra });
    return problemsOf(loadSuiteFile(join(dir, 's.yaml'), { env }));
  }

  it('a twilio URL or host that could never be dialled, where it is written; an env value is not shown', async () => {
    const yaml =
      'name: t\nprotocol: twilio\ntarget: ws://bot\ntwilio:\n  publicUrl: "http://[bad"\ncalls:\n' +
      '  - name: a\n    twilio: { streamHost: "a:b:c", statusCallback: "${CB}" }\n    turns: [ { user: { hangup: true } } ]\n';
    const problems = await problemsIn(yaml, { CB: 'https://[secret-host' });
    assert.deepEqual(problems, [
      '5:14: `publicUrl` is not a URL; write a full URL, like https://bot.example.com/voice or wss://bot.example.com/stream',
      '8:27: `streamHost` is not a host to dial; write host:port (127.0.0.1:8080) or scheme://host:port (ws://127.0.0.1:8080)',
      '8:52: `statusCallback` is not a URL; write a full URL, like https://bot.example.com/stream-status',
    ]);
    assert.ok(problems.every((p) => !p.includes('secret-host')));
  });

  it('reports a YAML syntax error at its line and column, on one line', async () => {
    assert.deepEqual(await problemsIn('name: t\ntarget: ws://bot\ncalls:\n\t- name: a\n'), [
      '4:1: Tabs are not allowed as indentation: indent with spaces',
    ]);
    assert.deepEqual(await problemsIn('name: t\ntarget: ws://bot: x\n'), [
      '2:9: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('reports duplicate keys as YAML errors', async () => {
    assert.deepEqual(await problemsIn('name: t\nname: u\n'), ['2:1: Map keys must be unique: this key is already set earlier in the same map; keep one of them']);
  });

  it('points at an unknown key and suggests the close one', async () => {
    const yaml = suiteWithCalls('  - name: a\n    turns:\n      - expect:\n          - botspeech: { within: 1s }\n');
    assert.deepEqual(await problemsIn(yaml), ['7:13: unknown key `botspeech` — did you mean `botSpeech`?']);
  });

  it('lists the allowed keys when nothing is close', async () => {
    // Every top-level key of the schema, in its order (the list grows as features land).
    const { readFile } = await import('node:fs/promises');
    const schema = JSON.parse(await readFile(new URL('../../schemas/suite.schema.json', import.meta.url), 'utf8')) as { properties: object };
    const keys = Object.keys(schema.properties);
    assert.ok(['name', 'target', 'calls', 'tags', 'tts', 'noise', 'only', 'skip'].every((key) => keys.includes(key)));
    assert.deepEqual(await problemsIn(`${suiteWithCalls('  - name: a\n    turns: [ { user: { hangup: true } } ]\n')}reporter: junit\n`), [
      `6:1: unknown key \`reporter\` — expected one of: ${keys.join(', ')}`,
    ]);
  });

  it('explains a field that lost its indentation under an expectation', async () => {
    const yaml = suiteWithCalls('  - name: a\n    turns:\n      - expect:\n          - botSpeech:\n            within: 2s\n');
    assert.deepEqual(await problemsIn(yaml), [
      '8:13: unknown key `within` here — it belongs inside `botSpeech`: indent it under `botSpeech:`',
    ]);
  });

  it('words wrong types for people and suggests quoting numbers meant as strings', async () => {
    const yaml =
      'name: t\ntarget: ws://bot\ntwilio: { parameters: { retries: 3 } }\ncalls:\n  - name: a\n    from: +31612345678\n' +
      '    turns:\n      - expect: [ { clear: { within: true } } ]\n';
    assert.deepEqual(await problemsIn(yaml), [
      '3:34: parameter `retries` must be a string, got 3 — quote it: "3"',
      '6:11: `from` must be a string, got 31612345678 — quote it: "+31612345678"',
      '8:38: `within` must be a duration like "800ms" or "1.5s", got true',
    ]);
    assert.deepEqual(await problemsIn('name: t\ntarget: ws://bot\ncalls: { a: 1 }\n'), ['3:8: `calls` must be a list, got a map']);
    assert.deepEqual(await problemsIn('name: t\ntarget: ws://bot\ncalls:\n'), ['3:1: `calls` must be a list, got an empty value']);
    assert.deepEqual(await problemsIn('- a\n'), ['1:1: a suite file must be a map with `name`, `target` and `calls`, got a list']);
    assert.deepEqual(await problemsIn(''), ['1:1: the suite file is empty: it needs `name`, `target` and `calls`']);
    assert.deepEqual(await problemsIn(suiteWithCalls('  - null\n  - name: a\n    turns: [ hello, { user: }, { expect: [ { text: } ] } ]\n')), [
      '4:5: item 1 of `calls` must be a map, got an empty value',
      '6:14: item 1 of `turns` must be a map, got "hello"',
      '6:23: `user` must be a map, got an empty value',
      '6:46: `text` must be a string or a map, got an empty value',
    ]);
  });

  it('suggests the enum value a typo was meant to be', async () => {
    const yaml = `protocol: twillio\n${suiteWithCalls('  - name: a\n    turns: [ { user: { hangup: true } } ]\n')}`;
    assert.deepEqual(await problemsIn(yaml), [
      '1:11: `protocol` must be one of twilio, audiocodes, got "twillio" — did you mean `twilio`?',
    ]);
  });

  it('reports a missing required key at the object that lacks it', async () => {
    assert.deepEqual(await problemsIn('# a comment\nname: t\ncalls:\n  - turns: [ { user: { hangup: true } } ]\n'), [
      '2:1: suite is missing `target`',
      '4:5: call is missing `name`',
    ]);
    assert.deepEqual(await problemsIn(suiteWithCalls('  - name: a\n    turns: [ { expect: [ { message: { within: 1s } } ] } ]\n')), [
      '5:37: `message` is missing `match`',
    ]);
  });

  it('does not repeat a missing key that an unknown key already suggests', async () => {
    assert.deepEqual(await problemsIn(suiteWithCalls('  - nmae: a\n    turns: [ { user: { hangup: true } } ]\n')), [
      '4:5: unknown key `nmae` — did you mean `name`?',
    ]);
  });

  it('reports a bad duration in the duration parser words', async () => {
    assert.deepEqual(await problemsIn(`defaults: { timeout: 10 parsecs }\n${suiteWithCalls('  - name: a\n    turns: [ { user: { silence: -5 } } ]\n')}`), [
      '1:22: "10 parsecs" is not a duration: write a number with a unit (ms, s, m, h), like "800ms" or "1.5s"',
      '6:33: -5 is not a duration: use a positive number with a unit, like "800ms" or "1.5s"',
    ]);
  });

  it('reports a missing audio file with its absolute path, at the audio value', async () => {
    const dir = await folderWith({
      'suites/s.yaml': suiteWithCalls('  - name: a\n    turns:\n      - user: { audio: ../audio/missing.wav }\n'),
    });
    assert.deepEqual(await problemsOf(loadSuiteFile(join(dir, 'suites/s.yaml'), { env: {} })), [
      `6:24: audio file not found: ${join(dir, 'audio/missing.wav')} (paths are relative to the suite's folder)`,
    ]);
  });

  it('reports a folder given as audio', async () => {
    const dir = await folderWith({ 's.yaml': suiteWithCalls('  - name: a\n    turns:\n      - user: { audio: audio }\n'), 'audio/x.wav': '' });
    assert.deepEqual(await problemsOf(loadSuiteFile(join(dir, 's.yaml'), { env: {} })), [
      `6:24: audio path is a folder, not a file: ${join(dir, 'audio')}`,
    ]);
  });

  it('reports an unset variable at its ${ without printing any environment value', async () => {
    const dir = await folderWith({
      's.yaml': 'name: t\ntarget: "ws://${BOT_HOST}/x"\ncalls:\n  - name: a\n    turns: [ { user: { hangup: true } } ]\n',
    });
    const error = await loadSuiteFile(join(dir, 's.yaml'), { env: { SECRET_TOKEN: 'hunter2' } }).catch((e: unknown) => e);
    assert.ok(error instanceof SuiteLoadError);
    assert.deepEqual(
      error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`),
      ['2:15: `${BOT_HOST}` is not set: export BOT_HOST or write `${BOT_HOST:-default}`'],
    );
    assert.ok(!error.message.includes('hunter2'));
  });

  it('shows a value from the environment as written, not its content', async () => {
    const yaml = `name: t\ntarget: \${BOT_URL}\ncalls:\n  - name: a\n    turns: [ { user: { hangup: true } } ]\n`;
    assert.deepEqual(await problemsIn(yaml, { BOT_URL: 'localhost?token=hunter2' }), [
      '2:9: `target` must be a ws://, wss://, http:// or https:// URL or builtin:reference, got "${BOT_URL}" (from the environment)',
    ]);
  });

  it('reports duplicate call names at the second one', async () => {
    const calls = '  - name: same\n    turns: [ { user: { hangup: true } } ]\n  - name: same\n    turns: [ { user: { hangup: true } } ]\n';
    assert.deepEqual(await problemsIn(suiteWithCalls(calls)), [
      '6:11: duplicate call name "same": call names must be unique within a suite (first used on line 4)',
    ]);
  });

  it('reports empty calls, empty turns and turns with nothing to do', async () => {
    assert.deepEqual(await problemsIn('name: t\ntarget: ws://bot\ncalls: []\n'), ['3:8: `calls` is empty: add at least one call']);
    assert.deepEqual(await problemsIn(suiteWithCalls('  - name: a\n    turns:\n      - {}\n      - expect: []\n')), [
      '6:9: turn needs `user`, `expect` or both',
      '7:17: `expect` is empty: add at least one expectation',
    ]);
  });

  it('checks user actions: exactly one, bargeIn only with audio, valid dtmf', async () => {
    const calls =
      '  - name: a\n    turns:\n' +
      '      - user: { dtmf: "1", silence: 1s }\n' +
      '      - user: { silence: 1s, bargeIn: 1s }\n' +
      '      - user: { dtmf: "12x" }\n' +
      '      - user: {}\n';
    assert.deepEqual(await problemsIn(suiteWithCalls(calls)), [
      '6:15: `user` takes one action, got `dtmf` and `silence`: put them in separate turns',
      "7:30: `bargeIn` only works with `audio` or `say`: it delays the caller's speech to talk over the bot",
      '8:23: `dtmf` may only contain 0-9 * # A-D and w (pause), got "12x"',
      '9:15: `user` needs one action: `audio`, `say`, `dtmf`, `silence` or `hangup`',
    ]);
  });

  it('checks expectations hold exactly one event', async () => {
    const calls = '  - name: a\n    turns:\n      - expect:\n          - { botSpeech: {}, mark: {} }\n          - {}\n          - botSpeech\n';
    assert.deepEqual(await problemsIn(suiteWithCalls(calls)), [
      '7:13: an expectation names exactly one event, got `botSpeech` and `mark`: give each its own `- ` item',
      '8:13: expectation is empty: name one event, like `botSpeech: {}`',
      '9:13: item 3 of `expect` must be a map with one key, like `- botSpeech: { within: 1s }`, got "botSpeech"',
    ]);
  });

  it('reports invalid regexes in text matches and message fields', async () => {
    const calls =
      '  - name: a\n    turns:\n      - expect:\n          - text: "/(/"\n          - hangup: { reason: "/a/q" }\n' +
      '          - message: { match: { "mark.name": "/[/" } }\n';
    assert.deepEqual(await problemsIn(suiteWithCalls(calls)), [
      '7:19: invalid regular expression /(/: Unterminated group',
      "8:31: invalid regular expression /a/q: Invalid flags supplied to RegExp constructor 'q'",
      '9:46: invalid regular expression /[/: Unterminated character class',
    ]);
  });

  it('refuses YAML alias bombs at the alias that multiplies', async () => {
    const bomb =
      'name: t\ntarget: ws://bot\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
      'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n';
    assert.deepEqual(await problemsIn(bomb), [
      '5:5: YAML aliases here expand to more than 100 nodes: write the values out instead of nesting aliases',
    ]);
  });

  it('follows aliases when pointing at a problem inside them', async () => {
    const yaml = suiteWithCalls('  - name: a\n    turns:\n      - &t { user: { silence: forever } }\n      - *t\n');
    assert.deepEqual(await problemsIn(yaml), [
      '6:31: "forever" is not a duration: write a number with a unit (ms, s, m, h), like "800ms" or "1.5s"',
    ]);
  });

  it('refuses files over 1 MiB before parsing them', async () => {
    assert.deepEqual(await problemsIn(`# ${'x'.repeat(1024 * 1024)}\n`), ['1:1: suite file is larger than 1 MiB']);
  });

  it('collects every problem of a file, sorted, in one message with paths relative to cwd', async () => {
    const dir = await folderWith({
      'suites/s.yaml': 'name: t\ntarget: ${URL}\ncalls:\n  - name: a\n    turns: [ { user: { audio: nope.wav } } ]\n  - name: a\n',
    });
    const error = await loadSuiteFile('suites/s.yaml', { cwd: dir, env: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof SuiteLoadError);
    assert.equal(
      error.message,
      [
        'suites/s.yaml:2:9: `${URL}` is not set: export URL or write `${URL:-default}`',
        `suites/s.yaml:5:31: audio file not found: ${join(dir, 'suites/nope.wav')} (paths are relative to the suite's folder)`,
        'suites/s.yaml:6:5: call is missing `turns`',
        'suites/s.yaml:6:11: duplicate call name "a": call names must be unique within a suite (first used on line 4)',
      ].join('\n'),
    );
    assert.equal(error.problems[0]!.file, join(dir, 'suites/s.yaml'));
  });

  it('says when the suite file itself does not exist', async () => {
    const dir = await folderWith({});
    await writeFile(join(dir, 'other.yaml'), '');
    const error = await loadSuiteFile('missing.yaml', { cwd: dir }).catch((e: unknown) => e);
    assert.ok(error instanceof SuiteLoadError);
    assert.equal(error.message, `suite file not found: ${join(dir, 'missing.yaml')}`);
  });
});
