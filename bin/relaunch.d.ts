/** Types for bin/relaunch.js (plain JS: the launcher runs before any TypeScript is loaded). */
export declare const LOAD_HEAP_MB: number;
export declare function relaunchFlags(argv: string[], execArgv: string[], env: Record<string, string | undefined>): string[] | null | { error: string };
export declare function relaunch(script: string, argv: string[], flags: string[]): void;
