import { relative } from 'node:path';
import type { SourcePos } from '../suite/model.ts';

/** `suites/pizza.yaml:12:9`, relative to where convotest was started when that is shorter. */
export function location(pos: SourcePos): string {
  const rel = relative(process.cwd(), pos.file);
  const file = rel.length < pos.file.length && !rel.startsWith('..') ? rel : pos.file;
  return `${file}:${pos.line}:${pos.col}`;
}

/** The suite's file as results name it: its location without line and column. */
export function suiteFile(suite: { pos: SourcePos }): string {
  return location(suite.pos).replace(/:\d+:\d+$/, '');
}
