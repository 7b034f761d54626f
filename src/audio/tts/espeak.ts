/**
 * The built-in synthesiser: the `espeak-ng` npm package (eSpeak NG compiled to WebAssembly,
 * voice data included, works offline). It is GPL-3.0-or-later and an optional dependency,
 * so it is imported only when a suite needs it and its absence is a message, not a crash.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeWav } from '../wav-read.ts';
import type { Pcm } from '../types.ts';

export const ESPEAK_PACKAGE = 'espeak-ng';
export const DEFAULT_ESPEAK_VOICE = 'en-us';
export const DEFAULT_WORDS_PER_MINUTE = 165;
export const INSTALL_HINT = 'install it with `npm install espeak-ng` (GPL-3.0, optional), or set `tts: { command: "…" }` in the suite to use another synthesiser';

export interface EspeakVoice {
  /** An eSpeak NG voice name: `en-us`, `en-gb`, `de`, `en-us+f3` (a variant), … */
  voice: string;
  wordsPerMinute: number;
}

interface EspeakModule {
  FS: { readFile(path: string): Uint8Array };
}
type EspeakFactory = (options: {
  arguments: string[];
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}) => Promise<EspeakModule>;

/** A voice, text or package problem the user can fix; the message says how. */
export class EspeakError extends Error {}

/**
 * Where the package is installed, or null when it is not. Resolving does not load the
 * 18 MB WebAssembly, so suites can be checked for it cheaply at load time.
 */
export function findEspeak(specifier = ESPEAK_PACKAGE): string | null {
  try {
    return fileURLToPath(import.meta.resolve(specifier));
  } catch {
    return null;
  }
}

/** The installed package version, for cache keys: a new eSpeak NG may pronounce differently. */
export function espeakVersion(specifier = ESPEAK_PACKAGE): string {
  const entry = findEspeak(specifier);
  if (!entry) return 'missing';
  try {
    const manifest = new URL('../package.json', `file://${entry}`);
    return String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

let factory: Promise<EspeakFactory> | undefined;

function loadFactory(): Promise<EspeakFactory> {
  // A non-literal specifier keeps tsc from demanding type declarations the package does not ship.
  const specifier: string = ESPEAK_PACKAGE;
  factory ??= (import(specifier) as Promise<{ default: EspeakFactory }>).then(
    (module) => module.default,
    (error: Error) => {
      factory = undefined;
      throw new EspeakError(`the ${ESPEAK_PACKAGE} package could not be loaded (${error.message}); ${INSTALL_HINT}`);
    },
  );
  return factory;
}

/** Emscripten's note on exit is not an error of the user's. */
const RUNTIME_NOISE = /keepRuntimeAlive|program exited/;

/** Speaks `text` with eSpeak NG; returns its output as PCM (22.05 kHz mono). */
export async function speakWithEspeak(text: string, voice: EspeakVoice): Promise<Pcm> {
  const createEspeak = await loadFactory();
  const errors: string[] = [];
  // The module is the espeak-ng command line; each instance runs it once over an in-memory FS.
  // The leading space keeps text that starts with "-" from being read as an option.
  const espeak = await createEspeak({
    arguments: ['-v', voice.voice, '-s', String(Math.round(voice.wordsPerMinute)), '-w', 'out.wav', ` ${text}`],
    print: () => {},
    printErr: (line) => {
      if (!RUNTIME_NOISE.test(line)) errors.push(line.replace(/^Error:\s*/, ''));
    },
  });
  let bytes: Uint8Array;
  try {
    bytes = espeak.FS.readFile('out.wav');
  } catch {
    const why = errors.join('; ') || 'it wrote no audio';
    const hint = /voice/i.test(why) ? ' (voice names look like en-us, en-gb, de, fr-fr, or en-us+f3 for a variant; see https://github.com/espeak-ng/espeak-ng/blob/master/docs/languages.md)' : '';
    throw new EspeakError(`espeak-ng could not speak with voice ${JSON.stringify(voice.voice)}: ${why}${hint}`);
  }
  return decodeWav(bytes, `espeak-ng output for ${JSON.stringify(text)}`);
}
