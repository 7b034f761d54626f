/**
 * Decodes every caller prompt the selected calls use before any call starts, so a broken
 * WAV is reported up front (with where the suite uses it) instead of failing mid-run.
 */
import { loadPrompt } from '../audio/wav-read.ts';
import { AudioFileError, type Prompt } from '../audio/types.ts';
import { PROTOCOL_AUDIO_RATE } from '../protocols/index.ts';
import type { CallSpec, Suite } from '../suite/model.ts';
import { location } from './location.ts';

export class PromptError extends Error {}

/** Keyed by file path, at the rate of the suite's protocol. */
export type PromptSet = Map<string, Prompt>;

export async function preparePrompts(work: { suite: Suite; call: CallSpec }[]): Promise<Map<Suite, PromptSet>> {
  const bySuite = new Map<Suite, PromptSet>();
  const problems: string[] = [];
  for (const { suite, call } of work) {
    let prompts = bySuite.get(suite);
    if (!prompts) bySuite.set(suite, (prompts = new Map()));
    for (const turn of call.turns) {
      const user = turn.user;
      if (user?.kind !== 'audio' || prompts.has(user.file)) continue;
      try {
        prompts.set(user.file, await loadPrompt(user.file, PROTOCOL_AUDIO_RATE[suite.protocol]));
      } catch (error) {
        if (!(error instanceof AudioFileError)) throw error;
        problems.push(`${location(user.pos)}: ${error.message}`);
      }
    }
  }
  if (problems.length > 0) throw new PromptError([...new Set(problems)].join('\n'));
  return bySuite;
}
