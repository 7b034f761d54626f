/**
 * Spoken prompts from text, synthesised once and kept as WAV files keyed by everything that
 * changes the sound (engine and its version, command, voice, rate, text). A second run, or
 * a second suite saying the same line, reads the file instead of running the synthesiser.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AudioFileError } from '../types.ts';
import { decodeWav, resample } from '../wav-read.ts';
import { writeWav } from '../wav-write.ts';
import { CommandError, runTtsCommand } from './command.ts';
import { DEFAULT_ESPEAK_VOICE, DEFAULT_WORDS_PER_MINUTE, EspeakError, espeakVersion, speakWithEspeak } from './espeak.ts';
import { CALLER_PADDING, shapeSpeech, SilentSynthesisError } from './shape.ts';

/** Bump when shaping or file layout changes, so old cache entries are not reused. */
const CACHE_FORMAT = 1;
const SPEECH_RATE = 16000;

export interface TtsSettings {
  /** The `command:` engine's arguments (placeholders unreplaced); absent = built-in espeak-ng. */
  command?: string[];
  /** Engine voice name; espeak-ng default `en-us`. */
  voice?: string;
  /** Speaking rate for espeak-ng, words per minute. */
  wordsPerMinute?: number;
  /** Folder a command runs in (the suite's). */
  cwd: string;
}

/** Synthesis went wrong in a way the user can fix (bad voice, failing command, output not a WAV). */
export class TtsError extends Error {}

export interface CachedSpeech {
  file: string;
  /** False when the file was already in the cache. */
  synthesized: boolean;
}

export class TtsCache {
  /** How many times a synthesiser ran in this process (cache misses). */
  synthesized = 0;
  private readonly pending = new Map<string, Promise<CachedSpeech>>();

  constructor(readonly dir: string) {}

  /** The cached WAV for this text, synthesising it first when it is not there yet. */
  speech(text: string, settings: TtsSettings): Promise<CachedSpeech> {
    const file = join(this.dir, fileName(text, settings));
    let entry = this.pending.get(file);
    if (!entry) {
      entry = this.fetch(file, text, settings);
      this.pending.set(file, entry);
      entry.catch(() => this.pending.delete(file));
    }
    return entry;
  }

  private async fetch(file: string, text: string, settings: TtsSettings): Promise<CachedSpeech> {
    if (await exists(file)) return { file, synthesized: false };
    await mkdir(this.dir, { recursive: true });
    // Written beside the target and renamed: a concurrent run never reads half a file.
    const temp = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp.wav`);
    try {
      this.synthesized++;
      if (settings.command) await this.runCommand(temp, text, settings);
      else await this.runEspeak(temp, text, settings);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      if (error instanceof EspeakError || error instanceof CommandError || error instanceof SilentSynthesisError) throw new TtsError(error.message);
      throw error;
    }
    return { file, synthesized: true };
  }

  private async runEspeak(temp: string, text: string, settings: TtsSettings): Promise<void> {
    const raw = await speakWithEspeak(text, {
      voice: settings.voice ?? DEFAULT_ESPEAK_VOICE,
      wordsPerMinute: settings.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE,
    });
    // 16 kHz serves both protocols (Twilio 8 kHz, AudioCodes 16 kHz), as the committed prompts do.
    await writeWav(temp, shapeSpeech(resample(raw, SPEECH_RATE), text, CALLER_PADDING));
  }

  private async runCommand(temp: string, text: string, settings: TtsSettings): Promise<void> {
    const outFile = join(this.dir, `.${randomBytes(6).toString('hex')}.out.wav`);
    const bytes = await runTtsCommand({ argv: settings.command!, text, voice: settings.voice, cwd: settings.cwd, outFile });
    try {
      // Decoded only to check it now, with the command named, rather than later as "a bad WAV in the cache".
      decodeWav(bytes, 'output');
    } catch (error) {
      if (!(error instanceof AudioFileError)) throw error;
      throw new TtsError(`tts command \`${settings.command!.join(' ')}\` did not produce a usable WAV: ${error.message.replace(/^output:\s*/, '')}`);
    }
    await writeFile(temp, bytes);
  }
}

/** `id-like-a-large-pepperoni-3f2a….wav`: readable in a listing, unique by its hash. */
export function fileName(text: string, settings: TtsSettings): string {
  const identity = settings.command
    ? { engine: 'command', command: settings.command, cwd: settings.cwd, voice: settings.voice ?? null }
    : {
        engine: `espeak-ng@${espeakVersion()}`,
        voice: settings.voice ?? DEFAULT_ESPEAK_VOICE,
        wordsPerMinute: settings.wordsPerMinute ?? DEFAULT_WORDS_PER_MINUTE,
      };
  const hash = createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, ...identity, text })).digest('hex').slice(0, 20);
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${words ? `${words}-` : ''}${hash}.wav`;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
