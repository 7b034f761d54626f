// `convotest load` runs in a child Node with a larger first old-generation budget. A load keeps
// hundreds of calls' state alive, so with V8's default budget (a few tens of MB) the old
// generation fills every second or two, and each major collection holds the one thread that
// paces every call's frames and stamps every bot reply: at 200 calls on two cores, the
// latency measurement error p99 went from about 6 ms to under 3 ms with it. The budget
// cannot be set from inside a running process, nor through NODE_OPTIONS, hence the child.
// It is a threshold for the first collection, not a reservation: memory is taken as used.
import { spawn } from 'node:child_process';

export const LOAD_HEAP_MB = 256;
const HEAP_FLAG = '--initial-old-space-size';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The Node flags to relaunch `argv` (the CLI's arguments) with, null to run in this process,
 * or a user error: only `load` is relaunched, not when the flag is already set (we are the
 * child, or the user chose), and not when CONVOTEST_LOAD_HEAP_MB=0.
 */
export function relaunchFlags(argv, execArgv, env) {
  if (argv[0] !== 'load') return null;
  if (execArgv.some((arg) => arg.startsWith(HEAP_FLAG))) return null;
  const chosen = env.CONVOTEST_LOAD_HEAP_MB;
  const mb = chosen === undefined || chosen === '' ? LOAD_HEAP_MB : Number(chosen);
  if (!Number.isInteger(mb) || mb < 0) return { error: `CONVOTEST_LOAD_HEAP_MB must be a whole number of MB (0 = off), got "${chosen}"` };
  return mb === 0 ? null : [`${HEAP_FLAG}=${mb}`];
}

/**
 * Runs `script argv` in a child Node with `flags` added, and ends this process the way the
 * child ended. Signals sent to this process are passed on; a terminal's Ctrl-C reaches both,
 * and the child takes a second signal within a moment as the same press (src/cli/interrupt.ts).
 */
export function relaunch(script, argv, flags) {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, script, ...argv], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`convotest: could not start Node for the load (${error.message})\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const name of FORWARDED) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
