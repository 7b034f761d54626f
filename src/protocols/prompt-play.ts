/**
 * A caller prompt in a session's play queue: every protocol plays the engine's prompts one
 * 20 ms slot at a time, from a prompt it encoded once for its wire, and reports the same
 * moments back (see CallerSession.play).
 */
import type { PlayResult } from './session.ts';

export interface PromptPlay<Encoded> {
  /** The prompt cut into slots, in the protocol's own encoding. */
  prompt: Encoded;
  /** The next slot to send. */
  index: number;
  /** Slot time of the first frame; 0 until it went out. */
  startedAt: number;
  /** Where the caller's speech ends in the prompt, ms into it. */
  speechEndMs: number;
  onFirstFrame?: (t: number) => void;
  onSpeechEnd?: (t: number) => void;
  resolve: (result: PlayResult) => void;
}
