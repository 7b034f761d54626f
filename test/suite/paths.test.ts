import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSuites, SuiteLoadError } from '../../src/suite/index.ts';
import { folderWith, problemsOf } from './helpers.ts';

const suite = (name: string) => `name: ${name}\ntarget: ws://bot\ncalls:\n  - name: a\n    turns: [ { user: { hangup: true } } ]\n`;

/** A tree with suites at several depths, plus files and folders that must not be picked up. */
function tree() {
  return folderWith({
    'suites/b.yaml': suite('b'),
    'suites/a.yml': suite('a'),
    'suites/README.md': '# not a suite',
    'suites/nested/c.yaml': suite('c'),
    'suites/nested/deeper/d.YAML': suite('d'),
    'suites/node_modules/pkg/x.yaml': suite('x'),
    'suites/.hidden/y.yaml': suite('y'),
    'suites/.dot.yaml': suite('dot'),
    'other/e.yaml': suite('e'),
    'other/e.suite': suite('e2'),
  });
}

async function names(paths: string[], cwd: string): Promise<string[]> {
  return (await loadSuites(paths, cwd, { env: {} })).map((s) => s.name);
}

describe('loadSuites path expansion', () => {
  it('searches a folder recursively, sorted, skipping node_modules, dot-folders and dot-files', async () => {
    const dir = await tree();
    assert.deepEqual(await names(['suites'], dir), ['a', 'b', 'c', 'd']);
  });

  it('loads a file named directly whatever its extension, and keeps the order given', async () => {
    const dir = await tree();
    assert.deepEqual(await names(['other/e.suite', 'suites/b.yaml', join(dir, 'suites/a.yml')], dir), ['e2', 'b', 'a']);
  });

  it('loads a file only once when several paths name it', async () => {
    const dir = await tree();
    assert.deepEqual(await names(['suites/b.yaml', 'suites', 'suites/*.yaml'], dir), ['b', 'a', 'c', 'd']);
  });

  it('expands * and ? within one folder, without matching dot-files', async () => {
    const dir = await tree();
    assert.deepEqual(await names(['suites/*.yaml'], dir), ['b']);
    assert.deepEqual(await names(['suites/?.y*'], dir), ['a', 'b']);
    assert.deepEqual(await names(['*/e.*'], dir), ['e2', 'e']);
  });

  it('expands ** across folders, keeping only YAML unless the pattern names an extension', async () => {
    const dir = await tree();
    assert.deepEqual(await names(['suites/**'], dir), ['a', 'b', 'c', 'd']);
    assert.deepEqual(await names(['**/*.yaml'], dir), ['e', 'b', 'c']);
    assert.deepEqual(await names(['suites/**/c.yaml'], dir), ['c']);
  });

  it('fails for every path that matches nothing, and for no paths at all', async () => {
    const dir = await tree();
    const error = await loadSuites(['suites', 'nope', 'suites/*.json', 'other/e.txt'], dir, { env: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof SuiteLoadError);
    assert.equal(
      error.message,
      // Sorted by the path's absolute form, like every other problem.
      ['no suite files found at nope', 'no suite files found at other/e.txt', 'no suite files found at suites/*.json'].join('\n'),
    );
    const empty = await folderWith({ 'notes.txt': '' });
    assert.deepEqual(await problemsOf(loadSuites(['.'], empty)), ['0:0: no suite files found at .']);
    assert.deepEqual(await problemsOf(loadSuites([], empty)), ['0:0: no suite files given: name a file, a folder or a glob']);
  });

  it('reports the problems of all files together, sorted by file', async () => {
    const dir = await folderWith({
      'suites/b.yaml': 'name: b\ntarget: nope\ncalls: []\n',
      'suites/a.yaml': 'name: a\ntarget: ws://bot\ncalls:\n  - name: x\n    turns: [ { user: { audio: gone.wav } } ]\n',
    });
    const error = await loadSuites(['suites'], dir, { env: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof SuiteLoadError);
    assert.equal(
      error.message,
      [
        `suites/a.yaml:5:31: audio file not found: ${join(dir, 'suites/gone.wav')} (paths are relative to the suite's folder)`,
        'suites/b.yaml:2:9: `target` must be a ws://, wss://, http:// or https:// URL or builtin:reference, got "nope" — did you mean `ws://nope`?',
        'suites/b.yaml:3:8: `calls` is empty: add at least one call',
      ].join('\n'),
    );
  });
});
