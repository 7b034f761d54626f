import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { SuiteProblem } from './problems.ts';

const SUITE_FILE = /\.ya?ml$/i;
const GLOB_CHARS = /[*?]/;

/**
 * Turns command-line paths into suite files: a file as is, a folder searched recursively
 * for *.yaml/*.yml, or a glob with `*`, `**` and `?` (Node 20 has no fs.glob). Every path
 * must yield at least one file, so a typo in CI fails loudly instead of running nothing.
 */
export async function expandSuitePaths(paths: string[], cwd: string): Promise<{ files: string[]; problems: SuiteProblem[] }> {
  const files: string[] = [];
  const problems: SuiteProblem[] = [];
  if (paths.length === 0) {
    problems.push({ file: cwd, line: 0, col: 0, message: 'no suite files given: name a file, a folder or a glob' });
  }
  for (const path of paths) {
    const found = GLOB_CHARS.test(path) ? await globFiles(resolve(cwd, path)) : await pathFiles(resolve(cwd, path));
    if (found.length === 0) problems.push({ file: resolve(cwd, path), line: 0, col: 0, message: `no suite files found at ${path}` });
    for (const file of found) if (!files.includes(file)) files.push(file);
  }
  return { files, problems };
}

async function pathFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isDirectory()) return (await walk(path)).filter((f) => SUITE_FILE.test(f)).sort();
  return [path];
}

/** Every file below `dir`, skipping node_modules and dot-files and folders (`.gitlab-ci.yml` is no suite). */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return skippedFolder(entry.name) ? [] : walk(path);
      return entry.isFile() && !entry.name.startsWith('.') ? [path] : [];
    }),
  );
  return nested.flat();
}

function skippedFolder(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

/**
 * Matches segment by segment from the glob's literal prefix, so `suites/*.yaml` reads one
 * folder rather than the whole tree. Without an extension in the last segment only YAML
 * files count (`suites/**` means the suites in there, not their WAVs).
 */
async function globFiles(pattern: string): Promise<string[]> {
  const segments = pattern.split(sep).filter((s, i) => s !== '' || i === 0);
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join(sep) || sep;
  const rest = segments.slice(firstGlob);
  const last = rest[rest.length - 1]!;
  const matches = await matchSegments(base, rest);
  const wanted = last.includes('.') ? matches : matches.filter((f) => SUITE_FILE.test(f));
  return [...new Set(wanted)].sort();
}

async function matchSegments(dir: string, segments: string[]): Promise<string[]> {
  const [segment, ...rest] = segments;
  if (segment === undefined) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (segment === '**') {
    const here =
      rest.length > 0
        ? await matchSegments(dir, rest)
        : entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => join(dir, e.name));
    const deeper = await Promise.all(
      entries.filter((e) => e.isDirectory() && !skippedFolder(e.name)).map((e) => matchSegments(join(dir, e.name), segments)),
    );
    return [...here, ...deeper.flat()];
  }
  const regex = segmentRegex(segment);
  const found = await Promise.all(
    entries
      .filter((e) => regex.test(e.name))
      .map(async (e) => {
        const path = join(dir, e.name);
        if (rest.length === 0) return e.isFile() ? [path] : [];
        return e.isDirectory() ? matchSegments(path, rest) : [];
      }),
  );
  return found.flat();
}

/** `*` and `?` stay inside one path segment and, as in shells, do not match a leading dot. */
function segmentRegex(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  const noDot = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${noDot}${body}$`);
}
