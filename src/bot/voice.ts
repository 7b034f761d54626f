/** The reference bots' recorded lines (audio/bot/*.wav), loaded once at the rate a protocol needs. */
import { fileURLToPath } from 'node:url';
import { loadPrompt } from '../audio/wav-read.ts';
import type { Prompt } from '../audio/types.ts';

export type Line = 'greeting' | 'reply' | 'long-reply' | 'dtmf' | 'goodbye';
const LINES: Line[] = ['greeting', 'reply', 'long-reply', 'dtmf', 'goodbye'];

export type Voice = Record<Line, Prompt>;

export function voiceFile(line: Line): string {
  return fileURLToPath(new URL(`../../audio/bot/${line}.wav`, import.meta.url));
}

export async function loadVoice(rate: number): Promise<Voice> {
  const prompts = await Promise.all(LINES.map((line) => loadPrompt(voiceFile(line), rate)));
  return Object.fromEntries(LINES.map((line, i) => [line, prompts[i]!])) as Voice;
}
