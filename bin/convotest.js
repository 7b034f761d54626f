#!/usr/bin/env node
// The CLI is TypeScript. `npm ci` bundles it into dist/cli/main.mjs (scripts/bundle.js), which
// starts about 300 ms sooner; without that bundle, or once anything under src/ is newer than it
// (a developer edited the code), the TypeScript runs through tsx, so stale code never runs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaunch, relaunchFlags } from './relaunch.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'cli', 'main.mjs');

/** Whether anything under `dir` (a file, or a folder: files added or removed) changed after `time`. */
function changedSince(dir, time) {
  if (statSync(dir).mtimeMs > time) return true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? changedSince(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}

function freshBundle() {
  try {
    return !changedSince(join(ROOT, 'src'), statSync(BUNDLE).mtimeMs);
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
const flags = relaunchFlags(args, process.execArgv, process.env);
if (flags && 'error' in flags) {
  process.stderr.write(`convotest: ${flags.error}\n`);
  process.exitCode = 2;
} else if (flags) {
  relaunch(fileURLToPath(import.meta.url), args, flags);
} else if (process.env.CONVOTEST_NO_BUNDLE !== '1' && freshBundle()) {
  await import('../dist/cli/main.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
