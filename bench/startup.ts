/**
 * Time from process start to the first media frame on the wire, for `convotest run` of a
 * one-call suite: the bench bot stamps the first frame's arrival on the machine-wide clock,
 * the spawn is stamped on the same clock. Beside it, the floors that time is made of: a bare
 * `node`, node with the tsx loader, and the CLI loading everything and exiting (`--version`).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../src/engine/stats.ts';
import type { BenchBot } from './children.ts';
import { monoNow } from './clock.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'convotest.js');

export interface StartupFigures {
  runs: number;
  /** Medians, ms from spawn. */
  nodeExitMs: number;
  tsxExitMs: number;
  cliVersionExitMs: number;
  /**
   * The same CLI bundled into one JS file by esbuild, `--version`: what a build step would
   * save on loading (NaN when esbuild, a dependency of tsx, is not there).
   */
  bundledVersionExitMs: number;
  /** Spawn → the bot accepts the WebSocket. */
  connectMs: number;
  /** Spawn → the first media frame arrives at the bot. */
  firstFrameMs: number;
  firstFrameAll: number[];
}

function timeToExit(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = monoNow();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(monoNow() - start));
  });
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50) ?? NaN;
}

/**
 * Bundles src/cli/main.ts into .cache/convotest-bench/cli.mjs: two levels below the root,
 * like src/cli/, so its package.json lookup still works. Returns null without esbuild.
 */
async function bundleCli(): Promise<string | null> {
  const outfile = join(ROOT, '.cache', 'convotest-bench', 'cli.mjs');
  try {
    const esbuild = (await import('esbuild')) as { build(options: Record<string, unknown>): Promise<unknown> };
    await esbuild.build({ entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'silent' });
    return outfile;
  } catch {
    return null;
  }
}

export async function measureStartup(bot: BenchBot, workDir: string, tonePath: string, runs: number): Promise<StartupFigures> {
  const bundled = await bundleCli();
  const suite = join(workDir, 'tiny.yaml');
  await writeFile(
    suite,
    ['name: tiny', `target: ${JSON.stringify(bot.url)}`, 'calls:', '  - name: one turn', '    turns:', `      - user: { audio: ${JSON.stringify(tonePath)} }`, '      - user: { hangup: true }', ''].join('\n'),
  );
  const node: number[] = [];
  const tsx: number[] = [];
  const version: number[] = [];
  const bundledVersion: number[] = [];
  const connect: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(await timeToExit(['-e', '0']));
    tsx.push(await timeToExit(['--import', 'tsx', '-e', '0']));
    version.push(await timeToExit([BIN, '--version']));
    if (bundled) bundledVersion.push(await timeToExit([bundled, '--version']));
    bot.arm();
    const spawnedAt = monoNow();
    const exit = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'run', suite, '--no-audio', '--out', join(workDir, 'tiny-reports')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stderr }));
    });
    const stamps = await bot.first();
    // NaN crosses IPC as null: no frame arrived.
    if (typeof stamps.firstMediaAt !== 'number' || Number.isNaN(stamps.firstMediaAt)) {
      throw new Error(`convotest run exited (${exit.code}) before a frame reached the bot: ${exit.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    }
    connect.push(stamps.connectedAt - spawnedAt);
    first.push(stamps.firstMediaAt - spawnedAt);
  }
  return {
    runs,
    nodeExitMs: median(node),
    tsxExitMs: median(tsx),
    cliVersionExitMs: median(version),
    bundledVersionExitMs: bundled ? median(bundledVersion) : NaN,
    connectMs: median(connect),
    firstFrameMs: median(first),
    firstFrameAll: first.map((ms) => Math.round(ms)),
  };
}
