/**
 * Which calls a run runs: focused ones (`only: true`) when there are any, narrowed by
 * `--tag` (any of), `--grep` and `--grep-invert`; calls marked `skip:` stay in the reports as
 * skipped. `--forbid-only` turns a forgotten `only:` into an error before anything runs.
 */
import type { CallSpec, SourcePos, Suite } from '../suite/model.ts';
import { location } from './location.ts';

/** A selection the user must fix (a forbidden `only:`); the message names where. */
export class SelectionError extends Error {}

export interface SelectionOptions {
  /** Only calls whose "suite › call" title matches. */
  grep?: RegExp;
  /** No calls whose title matches. */
  grepInvert?: RegExp;
  /** Only calls with at least one of these tags (a call has its own tags and its suite's). */
  tags?: string[];
  /** Refuse `only:` anywhere in the suites (CI). */
  forbidOnly?: boolean;
}

export interface SelectedCall {
  suite: Suite;
  call: CallSpec;
  /** Set when the call is selected but marked `skip:`: why, for the reports. */
  skipReason?: string;
}

export function callTitle(suite: Suite, call: CallSpec): string {
  return `${suite.name} › ${call.name}`;
}

/** The call's tags and its suite's, without repeats. */
export function callTags(suite: Suite, call: CallSpec): string[] {
  return [...new Set([...suite.tags, ...call.tags])];
}

export function selectCalls(suites: Suite[], options: SelectionOptions): SelectedCall[] {
  const onlyAt = suites.flatMap((suite) => [suite.only, ...suite.calls.map((call) => call.only)]).filter((pos): pos is SourcePos => pos !== undefined);
  if (options.forbidOnly && onlyAt.length > 0) {
    throw new SelectionError(
      onlyAt
        .map((pos) => `${location(pos)}: \`only: true\` is not allowed with --forbid-only: it narrows the run to focused calls; remove it before committing`)
        .join('\n'),
    );
  }
  const focused = onlyAt.length > 0;
  const tags = options.tags?.length ? new Set(options.tags) : null;
  const selected: SelectedCall[] = [];
  for (const suite of suites) {
    // A focused call narrows its suite further than the suite's own `only:`.
    const suiteHasFocusedCall = suite.calls.some((call) => call.only);
    for (const call of suite.calls) {
      if (focused && !(call.only || (suite.only && !suiteHasFocusedCall))) continue;
      if (tags && !callTags(suite, call).some((tag) => tags.has(tag))) continue;
      const title = callTitle(suite, call);
      if (options.grep && !options.grep.test(title)) continue;
      if (options.grepInvert?.test(title)) continue;
      const skip = call.skip ?? suite.skip;
      selected.push(skip ? { suite, call, skipReason: skip.reason ? `skipped: ${skip.reason}` : `skipped: \`skip: true\` at ${location(skip.pos)}` } : { suite, call });
    }
  }
  return selected;
}

/** What narrowed the run, for "no call matches …". */
export function describeSelection(options: SelectionOptions, focused: boolean): string {
  const parts: string[] = [];
  if (focused) parts.push('`only: true`');
  if (options.tags?.length) parts.push(`--tag ${options.tags.join(', ')}`);
  if (options.grep) parts.push(`--grep ${options.grep.source}`);
  if (options.grepInvert) parts.push(`--grep-invert ${options.grepInvert.source}`);
  return parts.join(' and ');
}
