import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expandSuitePaths } from './expand-paths.ts';
import { hideValues, interpolateDocument } from './interpolate.ts';
import type { Env } from './interpolate.ts';
import type { Suite } from './model.ts';
import { buildSuite } from './normalize.ts';
import { SuiteLoadError } from './problems.ts';
import type { SuiteProblem } from './problems.ts';
import { schemaProblems } from './schema-check.ts';
import { parseYaml, toData } from './yaml-source.ts';

export { SuiteLoadError } from './problems.ts';
export type { SuiteProblem } from './problems.ts';

export interface LoadOptions {
  /** Variables for ${VAR} interpolation; defaults to process.env. */
  env?: Env;
}

export interface LoadFileOptions extends LoadOptions {
  /** Messages show files relative to this folder when that is shorter; defaults to process.cwd(). */
  cwd?: string;
}

/** Suite files are hand-written; anything bigger is a mistake or an attack, and YAML parsing is not free. */
export const MAX_SUITE_BYTES = 1024 * 1024;

/** Loads one suite file; throws SuiteLoadError listing every problem found in it. */
export async function loadSuiteFile(file: string, options: LoadFileOptions = {}): Promise<Suite> {
  const cwd = options.cwd ?? process.cwd();
  const result = await readSuite(resolve(cwd, file), options.env ?? process.env);
  if (!result.suite) throw new SuiteLoadError(result.problems, cwd);
  return result.suite;
}

/**
 * Loads every suite named by files, folders and globs (relative to cwd), in a stable order.
 * Throws one SuiteLoadError with the problems of all files, so nothing runs on a bad suite.
 */
export async function loadSuites(paths: string[], cwd: string, options: LoadOptions = {}): Promise<Suite[]> {
  const env = options.env ?? process.env;
  const { files, problems } = await expandSuitePaths(paths, cwd);
  const results = await Promise.all(files.map((file) => readSuite(file, env)));
  const all = [...problems, ...results.flatMap((r) => r.problems)];
  if (all.length > 0) throw new SuiteLoadError(all, cwd);
  return results.map((r) => r.suite!);
}

type ReadResult = { suite: Suite; problems: [] } | { suite?: undefined; problems: SuiteProblem[] };

async function readSuite(file: string, env: Env): Promise<ReadResult> {
  const atStart = (message: string): ReadResult => ({ problems: [{ file, line: 1, col: 1, message }] });
  let text: string;
  try {
    if ((await stat(file)).size > MAX_SUITE_BYTES) return atStart('suite file is larger than 1 MiB');
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problems: [{ file, line: 0, col: 0, message: `suite file not found: ${file}` }] };
    return atStart(`cannot read suite file: ${code ?? (error as Error).message}`);
  }

  const parsed = parseYaml(file, text);
  // After a syntax error the structure is a guess; checking it would bury the real problem.
  if (!parsed.source) return { problems: parsed.problems };
  const source = parsed.source;
  const interpolation = interpolateDocument(source, env);
  const converted = toData(source);
  const hide = (found: SuiteProblem[]): SuiteProblem[] => found.map((p) => ({ ...p, message: hideValues(p.message, interpolation.used) }));
  if ('problem' in converted) return { problems: hide([...interpolation.problems, converted.problem]) };

  const { suite, problems: modelProblems } = await buildSuite(converted.data, source);
  const problems = [...interpolation.problems, ...schemaProblems(converted.data, source, interpolation), ...modelProblems];
  return problems.length > 0 ? { problems: hide(problems) } : { suite, problems: [] };
}
