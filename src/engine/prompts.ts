/**
 * Everything the caller will send, ready before any call starts: WAVs decoded, `say:` text
 * synthesised (or read from the speech cache), noise mixed in. A broken WAV, a failing TTS
 * command or a bad voice is reported up front, with where the suite uses it, instead of
 * failing mid-run.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { generateNoise, loopNoise, mixNoise } from '../audio/noise.ts';
import { TtsCache, TtsError, type TtsSettings } from '../audio/tts/index.ts';
import { AudioFileError, type Prompt } from '../audio/types.ts';
import { loadPrompt } from '../audio/wav-read.ts';
import { PROTOCOL_AUDIO_RATE } from '../protocols/index.ts';
import type { CallSpec, NoiseSpec, Suite, UserAction } from '../suite/model.ts';
import { location } from './location.ts';

export class PromptError extends Error {}

/** Keyed by promptKey(action), at the rate of the suite's protocol. */
export type PromptSet = Map<string, Prompt>;

/** The actions that send audio of their own: speech, or noise instead of silence. */
export type SoundingAction = Extract<UserAction, { kind: 'audio' | 'say' }> | (Extract<UserAction, { kind: 'silence' }> & { noise: NoiseSpec });

export function sends(action: UserAction | undefined): action is SoundingAction {
  return action?.kind === 'audio' || action?.kind === 'say' || (action?.kind === 'silence' && action.noise !== undefined);
}

/** What makes two actions sound the same: the same key plays the same prompt. */
export function promptKey(action: SoundingAction): string {
  const noise = action.noise ? { source: action.noise.source, level: action.noise.level } : null;
  switch (action.kind) {
    case 'audio':
      return JSON.stringify({ audio: action.file, noise });
    case 'say':
      return JSON.stringify({ say: action.text, voice: action.voice ?? null, noise });
    case 'silence':
      return JSON.stringify({ silence: action.duration, noise });
  }
}

export interface PreparedPrompts {
  bySuite: Map<Suite, PromptSet>;
  /** `say:` lines synthesised for this run, and those read from the cache. */
  speech: { synthesized: number; cached: number };
}

export async function preparePrompts(work: { suite: Suite; call: CallSpec }[], ttsCacheDir: string): Promise<PreparedPrompts> {
  const bySuite = new Map<Suite, PromptSet>();
  const problems: string[] = [];
  const tts = new TtsCache(ttsCacheDir);
  const speech = { synthesized: 0, cached: 0 };
  const seen = new Set<string>();
  for (const { suite, call } of work) {
    let prompts = bySuite.get(suite);
    if (!prompts) bySuite.set(suite, (prompts = new Map()));
    const rate = PROTOCOL_AUDIO_RATE[suite.protocol];
    for (const turn of call.turns) {
      const user = turn.user;
      if (!sends(user)) continue;
      const key = promptKey(user);
      if (prompts.has(key)) continue;
      try {
        const clean = await cleanPrompt(user, suite, rate, tts, (synthesized, file) => {
          if (seen.has(file)) return;
          seen.add(file);
          if (synthesized) speech.synthesized++;
          else speech.cached++;
        });
        prompts.set(key, user.noise ? await withNoise(clean, user.noise, key) : clean);
      } catch (error) {
        if (error instanceof TtsError) problems.push(`${location(user.pos)}: could not speak ${JSON.stringify(shorten((user as { text: string }).text))}: ${error.message}`);
        else if (error instanceof NoiseFileError) problems.push(`${location(user.noise!.pos)}: noise ${error.message}`);
        else if (error instanceof AudioFileError) problems.push(`${location(user.pos)}: ${error.message}`);
        else throw error;
      }
    }
  }
  if (problems.length > 0) throw new PromptError([...new Set(problems)].join('\n'));
  return { bySuite, speech };
}

/** The prompt before noise: the WAV, the synthesised speech, or silence. */
async function cleanPrompt(
  user: SoundingAction,
  suite: Suite,
  rate: number,
  tts: TtsCache,
  noteSpeech: (synthesized: boolean, file: string) => void,
): Promise<Prompt> {
  switch (user.kind) {
    case 'audio':
      return loadPrompt(user.file, rate);
    case 'say': {
      const settings: TtsSettings = { cwd: dirname(suite.file) };
      if (suite.tts?.command) settings.command = suite.tts.command;
      const voice = user.voice ?? suite.tts?.voice;
      if (voice) settings.voice = voice;
      if (suite.tts?.wordsPerMinute) settings.wordsPerMinute = suite.tts.wordsPerMinute;
      const cached = await tts.speech(user.text, settings);
      noteSpeech(cached.synthesized, cached.file);
      return loadPrompt(cached.file, rate);
    }
    case 'silence': {
      const samples = new Int16Array(Math.round((user.duration * rate) / 1000));
      return { file: 'silence', sampleRate: rate, samples, durationMs: user.duration, speech: null };
    }
  }
}

class NoiseFileError extends Error {}

/**
 * Mixes the noise in. The speech span stays the clean prompt's: it is where the caller's
 * speech really ends, which is what latency is measured from, whatever the noise hides.
 */
async function withNoise(clean: Prompt, noise: NoiseSpec, key: string): Promise<Prompt> {
  const length = clean.samples.length;
  let bed: Float32Array;
  if ('color' in noise.source) {
    bed = generateNoise(noise.source.color, length, seedOf(key));
  } else {
    let recording: Prompt;
    try {
      recording = await loadPrompt(noise.source.file, clean.sampleRate);
    } catch (error) {
      if (error instanceof AudioFileError) throw new NoiseFileError(error.message);
      throw error;
    }
    if (recording.samples.length === 0) throw new NoiseFileError(`${noise.source.file}: the noise recording is empty`);
    bed = loopNoise(recording, length);
  }
  const mixed = mixNoise(clean, clean.speech, bed, noise.level);
  return { file: clean.file, sampleRate: mixed.sampleRate, samples: mixed.samples, durationMs: clean.durationMs, speech: clean.speech };
}

/** The same noise for the same turn on every run, different noise for different prompts. */
function seedOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32LE(0);
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** ` under pink noise at 10 dB SNR`, for turn descriptions; empty without noise. */
export function describeNoise(noise: NoiseSpec | undefined): string {
  if (!noise) return '';
  const source = 'color' in noise.source ? `${noise.source.color} noise` : `noise ${noise.source.file.split(/[\\/]/).pop()}`;
  const level = 'snrDb' in noise.level ? `${noise.level.snrDb} dB SNR` : `${noise.level.levelDbfs} dBFS`;
  return ` under ${source} at ${level}`;
}

/** `"I'd like a large pepperoni"`, cut to keep turn descriptions on one line. */
export function quoteText(text: string): string {
  return JSON.stringify(shorten(text.replace(/\s+/g, ' ').trim()));
}
