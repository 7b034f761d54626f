/**
 * Which calls run: tags (inherited from the suite, any of), --grep/--grep-invert, `only:`
 * (and --forbid-only for CI), and `skip:` calls reported as skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { callTags, selectCalls, SelectionError } from '../../src/engine/selection.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import type { Suite } from '../../src/suite/model.ts';
import { runCli } from '../helpers/cli.ts';
import { folderWith, readReports } from './helpers.ts';

const HANGUP = '    turns: [ { user: { hangup: true } } ]';

function suiteYaml(name: string, head: string[], calls: { name: string; extra?: string[] }[]): string {
  return [
    `name: ${name}`,
    'target: builtin:reference',
    ...head,
    'calls:',
    ...calls.flatMap((call) => [`  - name: ${call.name}`, ...(call.extra ?? []).map((l) => `    ${l}`), HANGUP]),
    '',
  ].join('\n');
}

async function load(files: Record<string, string>): Promise<{ dir: string; suites: Suite[] }> {
  const dir = await folderWith(files);
  const suites = await Promise.all(Object.keys(files).map((name) => loadSuiteFile(join(dir, name))));
  return { dir, suites };
}

const titles = (selected: ReturnType<typeof selectCalls>) => selected.map(({ suite, call, skipReason }) => `${suite.name} › ${call.name}${skipReason ? ` (${skipReason})` : ''}`);

test('--tag selects calls with any of the tags, counting the suite’s tags as the call’s own', async () => {
  const { suites } = await load({
    'pizza.yaml': suiteYaml('Pizza', ['tags: [pizza]'], [{ name: 'orders', extra: ['tags: [smoke]'] }, { name: 'menu', extra: ['tags: [slow]'] }, { name: 'plain' }]),
    'bank.yaml': suiteYaml('Bank', [], [{ name: 'balance', extra: ['tags: [smoke, pizza]'] }, { name: 'transfer' }]),
  });
  assert.deepEqual(callTags(suites[0]!, suites[0]!.calls[0]!), ['pizza', 'smoke']);
  assert.deepEqual(titles(selectCalls(suites, { tags: ['smoke'] })), ['Pizza › orders', 'Bank › balance']);
  assert.deepEqual(titles(selectCalls(suites, { tags: ['pizza'] })), ['Pizza › orders', 'Pizza › menu', 'Pizza › plain', 'Bank › balance']);
  assert.deepEqual(titles(selectCalls(suites, { tags: ['slow', 'smoke'] })), ['Pizza › orders', 'Pizza › menu', 'Bank › balance']);
  assert.deepEqual(titles(selectCalls(suites, { tags: ['none'] })), []);
  assert.deepEqual(titles(selectCalls(suites, { tags: ['pizza'], grepInvert: /menu|plain/ })), ['Pizza › orders', 'Bank › balance']);
  assert.deepEqual(titles(selectCalls(suites, { grep: /^Bank/, grepInvert: /transfer/ })), ['Bank › balance']);
  assert.equal(selectCalls(suites, {}).length, 5);
});

test('only: narrows the run to focused calls and suites; skip: keeps calls in the report as skipped', async () => {
  const { suites } = await load({
    'a.yaml': suiteYaml('A', [], [{ name: 'one' }, { name: 'two', extra: ['only: true'] }, { name: 'three', extra: ['only: true', 'skip: "waiting on a fix"'] }]),
    'b.yaml': suiteYaml('B', ['only: true'], [{ name: 'four' }, { name: 'five', extra: ['skip: true'] }]),
    'c.yaml': suiteYaml('C', [], [{ name: 'six' }]),
  });
  const selected = selectCalls(suites, {});
  assert.deepEqual(titles(selected).map((t) => t.replace(/at .*b\.yaml/, 'at b.yaml')), [
    'A › two',
    'A › three (skipped: waiting on a fix)',
    'B › four',
    'B › five (skipped: `skip: true` at b.yaml:8:5)',
  ]);
  // Within a focused suite, a focused call narrows further.
  const { suites: nested } = await load({ 'n.yaml': suiteYaml('N', ['only: true'], [{ name: 'x' }, { name: 'y', extra: ['only: true'] }]) });
  assert.deepEqual(titles(selectCalls(nested, {})), ['N › y']);
  // A skipped suite skips all its calls; filters still apply first.
  const { suites: skipped } = await load({ 's.yaml': suiteYaml('S', ['skip: "flaky backend"'], [{ name: 'x' }, { name: 'y' }]) });
  assert.deepEqual(titles(selectCalls(skipped, { grepInvert: /y/ })), ['S › x (skipped: flaky backend)']);
});

test('--forbid-only names every only: with file:line:col', async () => {
  const { dir, suites } = await load({
    'a.yaml': suiteYaml('A', [], [{ name: 'one', extra: ['only: true'] }]),
    'b.yaml': suiteYaml('B', ['only: true'], [{ name: 'two' }]),
  });
  const error = (() => {
    try {
      selectCalls(suites, { forbidOnly: true });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof SelectionError);
  const lines = error.message.split('\n').map((l) => l.replace(dir, '<dir>'));
  assert.deepEqual(lines, [
    '<dir>/a.yaml:5:5: `only: true` is not allowed with --forbid-only: it narrows the run to focused calls; remove it before committing',
    '<dir>/b.yaml:3:1: `only: true` is not allowed with --forbid-only: it narrows the run to focused calls; remove it before committing',
  ]);
});

test('the CLI: skipped calls in every report, --forbid-only exits 2, a selection that matches nothing exits 2', async () => {
  const dir = await folderWith({
    'suite.yaml': suiteYaml('Pizza', ['tags: [pizza]'], [{ name: 'hangs up', extra: ['tags: [smoke]'] }, { name: 'later', extra: ['skip: "not built yet"'] }, { name: 'other' }]),
  });
  const file = join(dir, 'suite.yaml');
  const out = join(dir, 'out');
  const result = await runCli(['run', file, '--out', out, '--grep-invert', 'other', '--no-audio']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /– Pizza › later skipped — not built yet/);
  assert.match(result.stdout, /1 passed, 1 skipped \(2 calls\)/);
  const { junit, report } = await readReports(out);
  assert.deepEqual(report.suites[0].calls.map((c: any) => [c.name, c.status, c.tags]), [
    ['hangs up', 'passed', ['pizza', 'smoke']],
    ['later', 'skipped', ['pizza']],
  ]);
  assert.equal(report.suites[0].calls[1].reason, 'skipped: not built yet');
  const later = junit.testsuites.testsuite[0].testcase.find((c: any) => c.name === 'later');
  assert.equal(later.skipped.message, 'skipped: not built yet');

  const tagged = await runCli(['run', file, '--out', join(dir, 'tagged'), '--tag', 'smoke', '--tag', 'nothing', '--no-audio']);
  assert.equal(tagged.code, 0);
  assert.match(tagged.stdout, /1 passed \(1 call\)/);

  const none = await runCli(['run', file, '--out', join(dir, 'none'), '--tag', 'nothing']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no call matches --tag nothing/);

  const focused = await folderWith({ 'suite.yaml': suiteYaml('F', [], [{ name: 'x', extra: ['only: true'] }, { name: 'y' }]) });
  const forbidden = await runCli(['run', join(focused, 'suite.yaml'), '--out', join(focused, 'out'), '--forbid-only']);
  assert.equal(forbidden.code, 2);
  assert.match(forbidden.stderr, /suite\.yaml:5:5: `only: true` is not allowed with --forbid-only/);
  assert.equal(forbidden.stdout, '', 'nothing ran');
  const validate = await runCli(['validate', join(focused, 'suite.yaml'), '--forbid-only']);
  assert.equal(validate.code, 2, 'validate checks it too, for a lint step');
  const allowed = await runCli(['run', join(focused, 'suite.yaml'), '--out', join(focused, 'out'), '--no-audio']);
  assert.equal(allowed.code, 0);
  assert.match(allowed.stdout, /F › x/);
  assert.doesNotMatch(allowed.stdout, /F › y/);
});
