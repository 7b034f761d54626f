export { loadSuiteFile, loadSuites, MAX_SUITE_BYTES, SuiteLoadError } from './load.ts';
export type { LoadFileOptions, LoadOptions, SuiteProblem } from './load.ts';
export type { Env } from './interpolate.ts';
export { DEFAULT_FROM, DEFAULT_TIMEOUT_MS, DEFAULT_TO } from './normalize.ts';
export type * from './model.ts';
