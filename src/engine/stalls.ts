/**
 * convotest's own clock falling behind: when the machine does not give the process the CPU
 * it needs, caller frames go out late (a stall over 100 ms even skips slots rather than
 * burst stale audio), and a latency measured across the stall is over-reported by up to its
 * length. A run says so instead of quietly blaming the bot.
 */
import { formatMs } from '../clock/duration.ts';
import { sharedPacer, STALL_MS, type Pacer } from '../clock/pacer.ts';

/** Starts watching; the returned function gives a warning for the reports, or null if the clock kept up. */
export function watchStalls(pacer: Pacer = sharedPacer): () => string | null {
  const before = pacer.stats.stalls;
  return () => {
    const stalls = pacer.stats.stalls - before;
    if (stalls === 0) return null;
    return (
      `convotest's 20 ms clock stalled ${stalls} time${stalls === 1 ? '' : 's'} for ${formatMs(STALL_MS)} or more (the longest ${formatMs(pacer.stats.longestStallMs)}): ` +
      'this machine did not give convotest the CPU it needed, so caller audio went out late then, and latencies measured across a stall are over-reported by up to its length; run fewer calls at once or on a less busy machine'
    );
  };
}
