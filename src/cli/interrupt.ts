/**
 * Ctrl-C and SIGTERM for commands that run calls: the first one asks the run to end its
 * calls and write its reports; a second one quits at once.
 */
import { EXIT } from '../engine/run.ts';

export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening (the command is done). */
  dispose(): void;
}

export function interruptOnSignals(): Interrupt {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
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
