/**
 * The reporter API, after Playwright's: the engine calls these hooks as a run unfolds;
 * reporters only read the results they are handed and never reach into the engine.
 */
import type { AttemptResult, CallResult, RunResult, SuiteResult } from '../engine/results.ts';

export interface RunInfo {
  /** Folder the reports and audio go to (absolute). */
  outDir: string;
  suites: { file: string; name: string; calls: number }[];
  totalCalls: number;
}

export interface Reporter {
  onRunStart?(info: RunInfo): void | Promise<void>;
  onCallStart?(suite: SuiteResult, call: { name: string }): void | Promise<void>;
  onCallEnd?(suite: SuiteResult, call: CallResult): void | Promise<void>;
  /**
   * An attempt of a call that runs more than once (retries, repeat) finished; `retrying`
   * when a retry follows. onCallEnd still follows once, with the combined result.
   */
  onAttemptEnd?(suite: SuiteResult, attempt: AttemptResult, info: { call: string; retrying: boolean }): void | Promise<void>;
  onRunEnd?(result: RunResult): void | Promise<void>;
}
