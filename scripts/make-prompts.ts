// Regenerates the committed WAVs in audio/ (caller prompts) and audio/bot/ (the reference
// bot's voice) with eSpeak NG. Run with `npm run prompts`; the output is committed, so
// neither the runner nor the tests need a speech synthesiser.
//
// Licence note: the `espeak-ng` npm package (eSpeak NG compiled to WebAssembly; works offline)
// is GPL-3.0-or-later. It is a devDependency used only by this script, never imported by
// convotest itself; the generated audio is data, not a derivative of the program.
import { fileURLToPath } from 'node:url';

import { decodeWav, findSpeech, resample, writeWav, type Pcm } from '../src/audio/index.ts';

/** 16 kHz serves both protocols: Twilio (8 kHz) and AudioCodes (16 kHz); convotest resamples. */
const RATE = 16000;
/** Every file peaks here, so prompts and bot lines play at one consistent, unclipped level. */
const PEAK_DBFS = -3;
/** Kept around the detected speech so soft onsets and releases are not clipped by the trim. */
const TRIM_MARGIN_MS = 20;
const FADE_MS = 5;
/** Caller prompts get room before and after speech, so end of speech differs from end of file. */
const CALLER_LEAD_MS = 150;
const CALLER_TRAIL_MS = 700;

const CALLER_VOICE = { voice: 'en-us', wordsPerMinute: 165 };
/** A different voice for the bot keeps the two sides apart when listening to call.wav. */
const BOT_VOICE = { voice: 'en-us+f3', wordsPerMinute: 175 };

const CALLER_PROMPTS: Record<string, string> = {
  'hello.wav': 'Hi, I would like to order a pizza.',
  'order-pizza.wav': 'A large pepperoni, please.',
  'interrupt.wav': 'Sorry, wait, stop.',
  'goodbye.wav': 'That is all, goodbye.',
};

const BOT_LINES: Record<string, string | { text: string; wordsPerMinute: number }> = {
  'greeting.wav': 'Welcome to the pizza line. What would you like to order?',
  'reply.wav': 'Sure. Anything else?',
  // Faster than the other lines so it lands near 6 s: long enough to barge in on.
  'long-reply.wav': {
    text: 'We have margherita, pepperoni, four cheese, vegetarian, and a spicy special with jalapenos and extra onions tonight.',
    wordsPerMinute: 205,
  },
  'dtmf.wav': 'You pressed a key.',
  'goodbye.wav': 'Thank you for calling. Goodbye.',
};

interface EspeakModule {
  FS: { readFile(path: string): Uint8Array };
}
type EspeakFactory = (options: {
  arguments: string[];
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}) => Promise<EspeakModule>;

// The package ships no type declarations; a non-literal specifier keeps tsc from demanding them.
const espeakSpecifier: string = 'espeak-ng';
const { default: createEspeak } = (await import(espeakSpecifier)) as { default: EspeakFactory };

async function speak(text: string, voice: { voice: string; wordsPerMinute: number }): Promise<Pcm> {
  const errors: string[] = [];
  // The module is the espeak-ng command line; each instance runs it once over an in-memory FS.
  const espeak = await createEspeak({
    arguments: ['-v', voice.voice, '-s', String(voice.wordsPerMinute), '-w', 'out.wav', text],
    print: () => {},
    printErr: (line) => errors.push(line),
  });
  const bytes = espeak.FS.readFile('out.wav');
  if (errors.length) console.warn(`espeak-ng: ${errors.join('\n')}`);
  return resample(decodeWav(bytes, `espeak-ng output for "${text}"`), RATE);
}

function trim(pcm: Pcm, text: string): Pcm {
  const speech = findSpeech(pcm);
  if (!speech) throw new Error(`espeak-ng produced silence for "${text}"`);
  const from = Math.max(0, Math.floor(((speech.startMs - TRIM_MARGIN_MS) * pcm.sampleRate) / 1000));
  const to = Math.min(pcm.samples.length, Math.ceil(((speech.endMs + TRIM_MARGIN_MS) * pcm.sampleRate) / 1000));
  return { sampleRate: pcm.sampleRate, samples: pcm.samples.slice(from, to) };
}

/** A trim can cut mid-waveform; a short ramp at each end keeps that from clicking. */
function fadeEdges(pcm: Pcm): Pcm {
  const samples = pcm.samples.slice();
  const ramp = Math.min(Math.round((FADE_MS * pcm.sampleRate) / 1000), samples.length >> 1);
  for (let i = 0; i < ramp; i++) {
    const gain = i / ramp;
    samples[i] = Math.round(samples[i]! * gain);
    samples[samples.length - 1 - i] = Math.round(samples[samples.length - 1 - i]! * gain);
  }
  return { sampleRate: pcm.sampleRate, samples };
}

function normalize(pcm: Pcm): Pcm {
  let peak = 1;
  for (const s of pcm.samples) peak = Math.max(peak, Math.abs(s));
  const gain = (32767 * 10 ** (PEAK_DBFS / 20)) / peak;
  return { sampleRate: pcm.sampleRate, samples: Int16Array.from(pcm.samples, (s) => Math.round(s * gain)) };
}

function pad(pcm: Pcm, leadMs: number, trailMs: number): Pcm {
  const lead = Math.round((leadMs * pcm.sampleRate) / 1000);
  const trail = Math.round((trailMs * pcm.sampleRate) / 1000);
  const samples = new Int16Array(lead + pcm.samples.length + trail);
  samples.set(pcm.samples, lead);
  return { sampleRate: pcm.sampleRate, samples };
}

async function render(
  folder: string,
  lines: Record<string, string | { text: string; wordsPerMinute: number }>,
  voice: { voice: string; wordsPerMinute: number },
  padding: { leadMs: number; trailMs: number },
): Promise<void> {
  for (const [name, line] of Object.entries(lines)) {
    const text = typeof line === 'string' ? line : line.text;
    const wordsPerMinute = typeof line === 'string' ? voice.wordsPerMinute : line.wordsPerMinute;
    const spoken = await speak(text, { voice: voice.voice, wordsPerMinute });
    const pcm = pad(normalize(fadeEdges(trim(spoken, text))), padding.leadMs, padding.trailMs);
    const path = fileURLToPath(new URL(`../audio/${folder}${name}`, import.meta.url));
    await writeWav(path, pcm);
    const speech = findSpeech(pcm);
    console.log(
      `${path}: ${(pcm.samples.length / pcm.sampleRate).toFixed(2)} s, speech ${speech?.startMs.toFixed(0)}–${speech?.endMs.toFixed(0)} ms`,
    );
  }
}

await render('', CALLER_PROMPTS, CALLER_VOICE, { leadMs: CALLER_LEAD_MS, trailMs: CALLER_TRAIL_MS });
await render('bot/', BOT_LINES, BOT_VOICE, { leadMs: 0, trailMs: 0 });
