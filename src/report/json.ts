/** reports/report.json: the whole RunResult, the shape schemas/report.schema.json describes. */
import type { RunResult } from '../engine/results.ts';
import { writeFileAtomic } from './atomic.ts';
import type { Reporter } from './reporter.ts';

/**
 * Timeline `data` holds raw protocol messages; a bigint in one would make JSON.stringify
 * throw and lose the whole report, so it is written as a string instead.
 */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, replacer, 2)}\n`;
}

export async function writeJson(result: RunResult, path: string): Promise<void> {
  await writeFileAtomic(path, renderJson(result));
}

export class JsonReporter implements Reporter {
  constructor(private readonly path: string) {}

  async onRunEnd(result: RunResult): Promise<void> {
    await writeJson(result, this.path);
  }
}
