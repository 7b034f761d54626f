import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { SuiteLoadError } from '../../src/suite/index.ts';

const created: string[] = [];
after(() => Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fresh folder holding the given files (paths relative to it); returns its absolute path. */
export async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'convotest-suite-'));
  created.push(root);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), content);
  }
  return root;
}

/** Awaits a load that must fail and returns its problems as "line:col: message". */
export async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  const error = await load.then(
    () => assert.fail('expected the suite to be rejected'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SuiteLoadError, `expected SuiteLoadError, got ${String(error)}`);
  return error.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
}

/** A minimal valid suite with `calls` replaced by the given YAML lines (already indented). */
export function suiteWithCalls(callsYaml: string): string {
  return `name: t\ntarget: ws://bot\ncalls:\n${callsYaml}`;
}
