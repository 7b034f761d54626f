import { relative } from 'node:path';
import type { SourcePos } from '../suite/model.ts';

/**
 * Each position's text, made once: every call of a load names its call, turns and
 * expectations, and a thousand calls would otherwise each work out and keep their own copies.
 */
const made = new WeakMap<SourcePos, { cwd: string; text: string }>();

/** `suites/pizza.yaml:12:9`, relative to where convotest was started when that is shorter. */
export function location(pos: SourcePos): string {
  const cwd = process.cwd();
  const known = made.get(pos);
  if (known?.cwd === cwd) return known.text;
  const rel = relative(cwd, pos.file);
  const file = rel.length < pos.file.length && !rel.startsWith('..') ? rel : pos.file;
  const text = `${file}:${pos.line}:${pos.col}`;
  made.set(pos, { cwd, text });
  return text;
}

/** The suite's file as results name it: its location without line and column. */
export function suiteFile(suite: { pos: SourcePos }): string {
  return location(suite.pos).replace(/:\d+:\d+$/, '');
}
