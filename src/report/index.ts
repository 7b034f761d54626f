/** The report/ entry point: the reporters, and how the CLI gets the default set of them. */
import { join, resolve } from 'node:path';
import type { AttemptResult, CallResult, RunResult, SuiteResult } from '../engine/results.ts';
import { ConsoleReporter } from './console.ts';
import { HtmlReporter } from './html.ts';
import { JsonReporter } from './json.ts';
import { JUnitReporter } from './junit.ts';
import type { Reporter, RunInfo } from './reporter.ts';

export type { Reporter, RunInfo } from './reporter.ts';
export { writeFileAtomic } from './atomic.ts';
export {
  ConsoleReporter,
  formatCallLine,
  formatSummaryLine,
  formatLatencyLine,
  formatTimelineEntry,
  shouldColor,
  type ConsoleReporterOptions,
} from './console.ts';
export { JUnitReporter, writeJUnit, renderJUnit, escapeXmlText, escapeXmlAttr } from './junit.ts';
export { JsonReporter, writeJson, renderJson } from './json.ts';
export { HtmlReporter, writeHtml, renderHtml, escapeHtml } from './html.ts';

export interface ReporterOptions {
  outDir: string;
  /** Where the console reporter prints; null for none (e.g. `--reporter junit` alone). */
  console?: NodeJS.WritableStream | null;
  color: boolean;
  verbose?: boolean;
}

/** The default set: console (unless turned off), `<outDir>/junit.xml`, `<outDir>/report.json` and `<outDir>/report.html`. */
export function createReporters(options: ReporterOptions): Reporter[] {
  const outDir = resolve(options.outDir);
  const junit = join(outDir, 'junit.xml');
  const json = join(outDir, 'report.json');
  const html = join(outDir, 'report.html');
  const reporters: Reporter[] = [];
  if (options.console) {
    reporters.push(
      new ConsoleReporter(options.console, {
        color: options.color,
        verbose: options.verbose,
        reports: [junit, json, html, `${join(outDir, 'audio')}/`],
      }),
    );
  }
  reporters.push(new JUnitReporter(junit), new JsonReporter(json), new HtmlReporter(html));
  return reporters;
}

type Hook = keyof Reporter;

/** One or more reporters failed (a full disk, a folder made read-only mid-run): the message names each. */
export class ReportError extends AggregateError {}

/**
 * Hands each hook to several reporters in order, awaiting each. A reporter that throws must
 * not cost the others their output (a broken console must not stop junit.xml being written),
 * so every reporter runs, and the failures are thrown together afterwards for the caller to
 * report and turn into an exit code.
 */
export class ReporterHub implements Reporter {
  constructor(readonly reporters: Reporter[]) {}

  onRunStart(info: RunInfo): Promise<void> {
    return this.each('onRunStart', (r) => r.onRunStart?.(info));
  }

  onCallStart(suite: SuiteResult, call: { name: string }): Promise<void> {
    return this.each('onCallStart', (r) => r.onCallStart?.(suite, call));
  }

  onCallEnd(suite: SuiteResult, call: CallResult): Promise<void> {
    return this.each('onCallEnd', (r) => r.onCallEnd?.(suite, call));
  }

  onAttemptEnd(suite: SuiteResult, attempt: AttemptResult, info: { call: string; retrying: boolean }): Promise<void> {
    return this.each('onAttemptEnd', (r) => r.onAttemptEnd?.(suite, attempt, info));
  }

  onRunEnd(result: RunResult): Promise<void> {
    return this.each('onRunEnd', (r) => r.onRunEnd?.(result));
  }

  private async each(hook: Hook, call: (reporter: Reporter) => void | Promise<void>): Promise<void> {
    const errors: unknown[] = [];
    const names: string[] = [];
    for (const reporter of this.reporters) {
      try {
        await call(reporter);
      } catch (err) {
        errors.push(err);
        names.push(`${reporter.constructor.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (errors.length > 0) {
      throw new ReportError(errors, `${errors.length} reporter${errors.length === 1 ? '' : 's'} failed in ${hook}: ${names.join('; ')}`);
    }
  }
}
