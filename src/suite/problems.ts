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
    const sorted = sortProblems(problems).map((p) => ({ ...p, message: readableMessage(p.message) }));
    super(formatProblems(sorted, cwd));
    this.name = 'SuiteLoadError';
    this.problems = sorted;
  }
}

/** Words longer than this in a message (a pasted blob used as a key, a huge value) are cut short. */
const MAX_WORD = 160;
const MAX_MESSAGE = 500;
/** Controls, and the bidi overrides that can make a line read differently than it is. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Messages quote what the user wrote, and a broken file can hold anything: they stay one
 * printable line of bounded length, whatever got quoted into them.
 */
export function readableMessage(message: string): string {
  let text = message.replace(INVISIBLE, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  text = text.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (word) => `${word.slice(0, MAX_WORD - 1)}…`);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
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
