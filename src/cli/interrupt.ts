/**
 * Ctrl-C and SIGTERM for commands that run calls: the first one asks the run to end its
 * calls and write its reports; a second one quits at once. A second signal within
 * SAME_PRESS_MS is the same press arriving twice: `convotest load` runs in a child Node
 * (bin/relaunch.js), and a terminal's Ctrl-C reaches both it and the launcher, which passes
 * signals on.
 */
import { performance } from 'node:perf_hooks';
import { EXIT } from '../engine/run.ts';

export const SAME_PRESS_MS = 250;

export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening (the command is done). */
  dispose(): void;
}

export function interruptOnSignals(): Interrupt {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = () => {
    if (controller.signal.aborted) {
      if (performance.now() - firstAt < SAME_PRESS_MS) return;
      process.exit(EXIT.interrupted);
    }
    firstAt = performance.now();
    process.stderr.write('\nconvotest: interrupted — ending calls and writing reports (press Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
