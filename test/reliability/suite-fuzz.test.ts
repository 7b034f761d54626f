/**
 * Suites under attack: thousands of documents mutated from the example suites (keys deleted,
 * values of the wrong type, files cut short, junk inserted, deep nesting, huge strings, alias
 * bombs). Each one either loads or fails with a SuiteLoadError whose every problem has a
 * file, a line, a column and a one-line message — never a crash, a hang or a stack trace.
 * The loader runs in-process for speed; a handful go through the real CLI for exit code 2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';
import { MAX_SUITE_BYTES } from '../../src/suite/load.ts';
import { MAX_ALIAS_COUNT } from '../../src/suite/yaml-source.ts';
import { ROOT, runCli, tempDir } from '../helpers/cli.ts';

/** Longest message a problem may have: one line someone reads, not a dump of their file. */
const MAX_MESSAGE = 500;

let dir: string;
let seeds: { name: string; text: string }[];
let counter = 0;

before(async () => {
  dir = await tempDir('convotest-fuzz-');
  // The seeds name their audio as ../audio/…: the same layout here makes those references resolve.
  await mkdir(join(dir, 'suites'));
  await symlink(join(ROOT, 'audio'), join(dir, 'audio'));
  const names = (await readdir(join(ROOT, 'suites'))).filter((name) => name.endsWith('.yaml')).sort();
  seeds = await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(ROOT, 'suites', name), 'utf8') })));
  assert.ok(seeds.length > 0, 'example suites to mutate');
});

after(() => rm(dir, { recursive: true, force: true }));

type Outcome = 'loaded' | 'refused';

/** Loads one document; asserts the contract; says which way it went. */
async function check(text: string | Buffer): Promise<Outcome> {
  const file = join(dir, 'suites', `case-${++counter}.yaml`);
  await writeFile(file, text);
  try {
    const suite = await loadSuiteFile(file, { env: {} });
    assert.equal(typeof suite.name, 'string');
    assert.ok(Array.isArray(suite.calls));
    return 'loaded';
  } catch (error) {
    if (!(error instanceof SuiteLoadError)) {
      throw new Error(`not a SuiteLoadError for:\n${String(text).slice(0, 500)}\n→ ${(error as Error).stack}`);
    }
    assert.ok(error.problems.length > 0, 'a refusal names at least one problem');
    for (const problem of error.problems) {
      const where = `${JSON.stringify(problem)} for:\n${String(text).slice(0, 300)}`;
      assert.equal(problem.file, file, `the problem names the file: ${where}`);
      assert.ok(Number.isInteger(problem.line) && problem.line >= 1, `a line: ${where}`);
      assert.ok(Number.isInteger(problem.col) && problem.col >= 1, `a column: ${where}`);
      assert.ok(problem.message.length > 0 && !/[\r\n]/.test(problem.message), `one line: ${where}`);
      assert.ok(problem.message.length <= MAX_MESSAGE, `a short message (${problem.message.length} chars): ${where}`);
      assert.ok(!/\n\s+at |\bat .*\.ts:\d+/.test(problem.message), `no stack: ${where}`);
    }
    for (const line of error.message.split('\n')) assert.match(line, /^\S.*:\d+:\d+: \S/, 'every printed line is file:line:col: message');
    return 'refused';
  } finally {
    await rm(file, { force: true });
  }
}

// ── mutations ──────────────────────────────────────────────────────────────────────────

const seedIndex = () => fc.nat({ max: 1000 }).map((n) => seeds[n % seeds.length]!.text);

const junk = fc.oneof(
  fc.constantFrom(':', '- ', '  ', '\t', '{', '}', '[', ']', '&a ', '*a', '<<: *a', '!!binary ', '!!js/function ', '? ', '| ', '> ', '"', "'", '#', '%YAML 1.1\n', '---\n', '...\n', '\u0000', '\u0007', '\uFEFF', '\u202E', '${', '${X', '${1BAD}', '${HOME:-x}', '\\', '\r', '\r\n'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);

/** Edits of the text: cut short, junk inserted, a line dropped, doubled, re-indented, or lines swapped. */
const textMutation = fc
  .tuple(seedIndex(), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 5 }), junk)
  .map(([text, a, b, kind, insert]) => {
    const lines = text.split('\n');
    const i = a % lines.length;
    const j = b % lines.length;
    switch (kind) {
      case 0:
        return text.slice(0, a % (text.length + 1));
      case 1:
        return text.slice(0, a % (text.length + 1)) + insert + text.slice(a % (text.length + 1));
      case 2:
        lines.splice(i, 1);
        return lines.join('\n');
      case 3:
        lines.splice(i, 0, lines[i]!);
        return lines.join('\n');
      case 4:
        lines[i] = ' '.repeat(b % 9) + lines[i]!.trimStart();
        return lines.join('\n');
      default:
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        return lines.join('\n');
    }
  });

const wrongValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0.5, '', ' ', '-1s', '1x', 'NaN', '${UNSET}', '/(unclosed/', [], {}, [[[]]], { a: { b: { c: {} } } }),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.anything({ maxDepth: 3 }),
);

type Data = Record<string, unknown> | unknown[];

/** Every path to a node of the parsed document. */
function paths(node: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (node === null || typeof node !== 'object') return [prefix];
  const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
  return [prefix, ...keys.flatMap((key) => paths((node as Record<string | number, unknown>)[key], [...prefix, key]))];
}

/** Edits of the data, written back as YAML: a key or item deleted, a value replaced, a key renamed. */
const dataMutation = fc.tuple(seedIndex(), fc.nat(), fc.integer({ min: 0, max: 2 }), wrongValue, fc.string({ minLength: 1, maxLength: 12 })).map(([text, pick, kind, value, newKey]) => {
  const data = parse(text) as Data;
  const all = paths(data).filter((p) => p.length > 0);
  const path = all[pick % all.length]!;
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], data);
  const key = path[path.length - 1]!;
  if (kind === 0) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (kind === 1 || Array.isArray(parent)) {
    parent[key] = value;
  } else {
    parent[newKey] = parent[key];
    delete parent[key];
  }
  return stringify(data);
});

function nested(depth: number, open: string, close: string, leaf = 'x'): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

/** Documents built to hurt: deep nesting, huge strings, alias bombs, size limits, odd encodings. */
const hostile = fc.oneof(
  fc.integer({ min: 10, max: 3000 }).map((d) => `name: deep\ntarget: builtin:reference\ncalls: ${nested(d, '[', ']')}\n`),
  fc.integer({ min: 10, max: 3000 }).map((d) => `name: deep\ntarget: builtin:reference\naudiocodes: ${nested(d, '{a: ', '}')}\ncalls: []\n`),
  fc.integer({ min: 10, max: 800 }).map((d) => `name: deep\n${Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} x\n`),
  fc.integer({ min: 10, max: 800 }).map((d) => `calls:\n${Array.from({ length: d }, (_, i) => `${'  '.repeat(i)}- `).join('\n')}x\n`),
  fc.integer({ min: 1_000, max: 900_000 }).map((n) => `name: "${'n'.repeat(n)}"\ntarget: builtin:reference\ncalls: [ { name: a, turns: [ { expect: [ { botSpeech: {} } ] } ] } ]\n`),
  fc.integer({ min: 1_000, max: 900_000 }).map((n) => `name: x\ntarget: builtin:reference\n${'k'.repeat(n)}: 1\ncalls: []\n`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => `name: x\ntarget: builtin:reference\ncalls: [ { name: a, turns: [ { user: { dtmf: "${'1x'.repeat(n)}" } } ] } ]\n`),
  fc.integer({ min: 2, max: 9 }).map((levels) => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    return `${lines.join('\n')}\nname: bomb\ntarget: builtin:reference\ncalls: [ *a${levels} ]\n`;
  }),
  fc.integer({ min: 1, max: 2000 }).map((n) => `name: many\ntarget: builtin:reference\ncalls:\n${Array.from({ length: n }, (_, i) => `  - { name: c${i}, turns: [ { expect: [ { botSpeech: {} } ] } ] }`).join('\n')}\n`),
  fc.constantFrom('', '\uFEFF', '---\n---\n', '%YAML 9.9\n---\nname: x', '!!str', '&a *a', 'a: *nope', '[', '{', '- - - -', 'name: x\nname: y\n', '\u0000\u0000'),
);

describe('suites under attack (in-process loader)', () => {
  test('text mutations of the example suites load or fail with file:line:col problems', async () => {
    const seen: Record<Outcome, number> = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(textMutation, async (text) => {
        seen[await check(text)]++;
      }),
      { numRuns: 1500, seed: 7, timeout: 20_000 },
    );
    assert.ok(seen.loaded > 0 && seen.refused > 0, `both outcomes happen (${JSON.stringify(seen)})`);
  });

  test('data mutations (keys deleted, wrong types, keys renamed) load or fail with file:line:col problems', async () => {
    const seen: Record<Outcome, number> = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(dataMutation, async (text) => {
        seen[await check(text)]++;
      }),
      { numRuns: 1500, seed: 11, timeout: 20_000 },
    );
    assert.ok(seen.refused > 1000, `wrong data is refused (${JSON.stringify(seen)})`);
  });

  test('hostile documents: deep nesting, huge strings, alias bombs, many calls', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (text) => {
        await check(text);
      }),
      { numRuns: 150, seed: 3, timeout: 30_000 },
    );
  });

  test('an alias bomb is refused at the alias, naming the cap', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 6; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const file = join(dir, 'suites', 'bomb.yaml');
    await writeFile(file, `${lines.join('\n')}\nname: bomb\ntarget: builtin:reference\ncalls: [ *a6 ]\n`);
    await assert.rejects(loadSuiteFile(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      assert.equal(error.problems.length, 1);
      assert.match(error.problems[0]!.message, new RegExp(`^YAML aliases here expand to more than ${MAX_ALIAS_COUNT} nodes`));
      assert.equal(error.problems[0]!.line, 3, 'at the first alias whose anchor itself holds aliases');
      return true;
    });
  });

  test('a few aliases are fine: the cap is on expansion, not on using anchors', async () => {
    const file = join(dir, 'suites', 'anchors.yaml');
    await writeFile(
      file,
      ['name: anchors', 'target: builtin:reference', 'calls:', '  - name: a', '    turns: &turns', '      - expect: [ { botSpeech: {} } ]', '  - name: b', '    turns: *turns', ''].join('\n'),
    );
    const suite = await loadSuiteFile(file, { env: {} });
    assert.equal(suite.calls[1]!.turns.length, 1);
  });

  test('control characters, bidi overrides and huge keys are quoted readably, on one short line', async () => {
    const file = join(dir, 'suites', 'odd-keys.yaml');
    await writeFile(file, `name: x\ntarget: builtin:reference\ncalls: []\n"\\u0007bad\\u202Ekey\\r": 1\n? ${'k'.repeat(5000)}\n: 2\n`);
    await assert.rejects(loadSuiteFile(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      const messages = error.problems.map((p) => p.message);
      assert.ok(messages.some((m) => m.startsWith('unknown key `\\u0007bad\\u202ekey\\r`')), messages.join('\n'));
      const long = messages.find((m) => m.includes('kkkk'))!;
      assert.match(long, /^unknown key `k+…/);
      assert.ok(long.length < 400, `${long.length} characters`);
      for (const m of messages) assert.doesNotMatch(m, /[\u0000-\u001f\u202e]/);
      return true;
    });
  });

  test('a file over 1 MiB is refused before it is parsed', async () => {
    const file = join(dir, 'suites', 'big.yaml');
    await writeFile(file, `name: big\ntarget: builtin:reference\n# ${'x'.repeat(MAX_SUITE_BYTES)}\ncalls: []\n`);
    await assert.rejects(loadSuiteFile(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      assert.deepEqual(error.problems, [{ file, line: 1, col: 1, message: 'suite file is larger than 1 MiB' }]);
      return true;
    });
  });

  test('nesting deeper than the parser can go is a problem with a position, not a crash', async () => {
    const text = `name: deep\ntarget: builtin:reference\ncalls: ${nested(20_000, '[', ']')}\n`;
    assert.equal(await check(text), 'refused');
    const file = join(dir, 'suites', 'deep.yaml');
    await writeFile(file, text);
    await assert.rejects(loadSuiteFile(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof SuiteLoadError);
      assert.equal(error.problems[0]!.message, 'the YAML nests too deeply here: a suite needs a few levels of nesting, not hundreds');
      assert.equal(error.problems[0]!.line, 3);
      return true;
    });
  });
});

describe('suites under attack (the CLI)', () => {
  const cases: [string, string][] = [
    ['cut short', 'name: x\ntarget: builtin:reference\ncalls:\n  - name: a\n    turns:\n      - expect: [ { botSpeech: { within: '],
    ['alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nname: x\ntarget: builtin:reference\ncalls: [ *c ]\n`],
    ['deep nesting', `name: deep\ntarget: builtin:reference\ncalls: ${nested(20_000, '[', ']')}\n`],
    ['wrong types', 'name: 5\ntarget: [1]\ncalls: { a: 1 }\n'],
    ['over 1 MiB', `name: x\n# ${'x'.repeat(MAX_SUITE_BYTES)}\n`],
    ['junk bytes', '\u0000\u0001name: \u0007\n\t- x: [\n'],
  ];
  test('each exits 2 with file:line:col lines and no stack', async () => {
    const cli = await tempDir('convotest-fuzz-cli-');
    for (const [label, text] of cases) {
      const file = join(cli, `${label.replace(/\W+/g, '-')}.yaml`);
      await writeFile(file, text);
      const result = await runCli(['validate', file]);
      assert.equal(result.code, 2, `${label}: exit 2\n${result.stderr}`);
      assert.equal(result.stdout, '', label);
      const lines = result.stderr.replace(/^npm warn.*\n/gm, '').trimEnd().split('\n');
      assert.ok(lines[0]!.startsWith('convotest: '), `${label}: ${lines[0]}`);
      for (const line of lines) assert.match(line.replace(/^convotest: /, ''), /^\S.*\.yaml:\d+:\d+: \S/, `${label}: ${line}`);
      assert.doesNotMatch(result.stderr, /\n\s+at |Error:/, `${label}: no stack`);
    }
  });
});
