/** The benchmark's processes: each runner and bot is a child with an IPC channel. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { relaunchFlags } from '../bin/relaunch.js';
import type { BotReport } from './bot.ts';
import type { RunnerConfig, RunnerReport } from './protocol.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function spawnTs(script: string, args: string[], nodeFlags: string[] = []): ChildProcess {
  // BENCH_CPU_PROF=<dir>: each child writes a V8 CPU profile there (for finding what a frame costs).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return spawn(process.execPath, [...nodeFlags, ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...profile, '--import', 'tsx', here(script), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next IPC message of `type` from `child`; rejects if the child exits first or time runs out. */
function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${type} message within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    const onMessage = (message: { type?: string }) => {
      if (message?.type === type) finish(null, message as T);
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`exited (${signal ?? code}) before sending ${type}`));
    const finish = (error: Error | null, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export interface BenchBot {
  url: string;
  report(): Promise<BotReport>;
  /** Times the next connection's first frames (for the startup measurement). */
  arm(): void;
  first(): Promise<{ connectedAt: number; firstMediaAt: number }>;
  stop(): Promise<void>;
}

export async function startBot(): Promise<BenchBot> {
  const child = spawnTs('./bot.ts', []);
  const { url } = await nextMessage<{ url: string }>(child, 'ready', 30_000);
  return {
    url,
    report: () => {
      const reply = nextMessage<BotReport>(child, 'report', 60_000);
      child.send({ type: 'report' });
      return reply;
    },
    arm: () => child.send({ type: 'arm' }),
    first: () => {
      const reply = nextMessage<{ connectedAt: number; firstMediaAt: number }>(child, 'first', 10_000);
      child.send({ type: 'first' });
      return reply;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs one design at one level in a fresh process and returns what it measured. */
export async function runRunner(config: RunnerConfig, timeoutMs: number): Promise<RunnerReport> {
  // The convotest runner gets the Node flags `convotest load` relaunches itself with
  // (bin/relaunch.js, CONVOTEST_LOAD_HEAP_MB included).
  const loadFlags = relaunchFlags(['load'], [], process.env);
  if (loadFlags && 'error' in loadFlags) throw new Error(loadFlags.error);
  const child =
    config.design === 'convotest'
      ? spawnTs('./runner.ts', [JSON.stringify(config)], loadFlags ?? [])
      : spawnTs('./baseline.ts', [JSON.stringify(config)]);
  try {
    return await nextMessage<RunnerReport>(child, 'result', timeoutMs);
  } finally {
    // A profiled runner writes its profile as it exits: give it the time.
    if (process.env.BENCH_CPU_PROF && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5000).unref() && child.once('exit', resolve));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
