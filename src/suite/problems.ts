import { isAbsolute, relative } from 'node:path';

/** One thing wrong with a suite, where the user can fix it. line/col are 1-based; 0 means "the path itself". */
export interface SuiteProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/**
 * Everything wrong with the suites of one load, so a user fixes them in one pass instead of
 * one rerun per mistake. `message` is what the CLI prints, one `file:line:col: message` per line.
 */
export class SuiteLoadError extends Error {
  readonly problems: SuiteProblem[];

  constructor(problems: SuiteProblem[], cwd: string = process.cwd()) {
    const sorted = sortProblems(problems);
    super(formatProblems(sorted, cwd));
    this.name = 'SuiteLoadError';
    this.problems = sorted;
  }
}

export function sortProblems(problems: SuiteProblem[]): SuiteProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const id = `${p.file}\0${p.line}\0${p.col}\0${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

export function formatProblems(problems: SuiteProblem[], cwd: string): string {
  return problems
    .map((p) => (p.line > 0 ? `${displayPath(p.file, cwd)}:${p.line}:${p.col}: ${p.message}` : p.message))
    .join('\n');
}

/** Relative to cwd when that is shorter, so messages stay readable and still clickable. */
export function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel !== '' && rel.length < file.length ? rel : file;
}
