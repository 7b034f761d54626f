import { relative } from 'node:path';
import type { SourcePos } from '../suite/model.ts';

/** `suites/pizza.yaml:12:9`, relative to where convotest was started when that is shorter. */
export function location(pos: SourcePos): string {
  const rel = relative(process.cwd(), pos.file);
  const file = rel.length < pos.file.length && !rel.startsWith('..') ? rel : pos.file;
  return `${file}:${pos.line}:${pos.col}`;
}
