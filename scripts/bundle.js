#!/usr/bin/env node
// `npm ci` runs this (the `prepare` script): bundles the CLI into dist/cli/main.mjs so
// `convotest` starts without compiling TypeScript on every run. bin/convotest.js uses the
// bundle only while it is newer than everything under src/, and tsx otherwise, so the bundle
// is an optimisation that never runs stale code. Without esbuild (a dev dependency) nothing
// is built and the CLI runs through tsx as before.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
// Two levels below the root, like src/cli/: what src/cli/ and src/bot/ read beside the code
// (package.json, schemas/, audio/) resolves the same from here.
const OUT_DIR = join(ROOT, 'dist', 'cli');
const OUT_FILE = join(OUT_DIR, 'main.mjs');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stdout.write('convotest: esbuild is not installed; not bundling (the CLI runs through tsx)\n');
  process.exit(0);
}

/**
 * Modules deeper than src/x/ find their files with `new URL('../../../schemas/…', import.meta.url)`;
 * in the bundle import.meta.url is dist/cli/main.mjs, so each such path is rewritten relative to it.
 */
const relocateFileUrls = {
  name: 'relocate-file-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const contents = source.replace(/new URL\((['"`])(\.\.?\/[^'"`]*)\1, import\.meta\.url\)/g, (_match, quote, path) => {
        let moved = relative(OUT_DIR, resolve(dirname(args.path), path)).split(sep).join('/');
        if (!moved.startsWith('.')) moved = `./${moved}`;
        return `new URL(${quote}${moved}${quote}, import.meta.url)`;
      });
      return { contents, loader: 'ts' };
    });
  },
};

mkdirSync(OUT_DIR, { recursive: true });
const temp = `${OUT_FILE}.${process.pid}.tmp`;
await esbuild.build({
  entryPoints: [join(SRC, 'cli', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies (and optional ones such as espeak-ng) load from node_modules as usual.
  packages: 'external',
  outfile: temp,
  plugins: [relocateFileUrls],
  logLevel: 'warning',
});
// Written whole, then renamed: a CLI starting meanwhile never loads half a bundle.
renameSync(temp, OUT_FILE);
process.stdout.write(`convotest: bundled the CLI into ${relative(ROOT, OUT_FILE)}\n`);
