// Regenerates the committed WAVs in audio/ (caller prompts) and audio/bot/ (the reference
// bot's voice) with eSpeak NG. Run with `npm run prompts`; the output is committed, so
// neither the runner nor the tests need a speech synthesiser.
//
// The synthesis and shaping are convotest's own `say:` engine (src/audio/tts), so committed
// prompts and spoken turns sound alike.
//
// Licence note: the `espeak-ng` npm package (eSpeak NG compiled to WebAssembly; works offline)
// is GPL-3.0-or-later and an optional dependency, loaded only when speech is synthesised;
// the generated audio is data, not a derivative of the program.
import { fileURLToPath } from 'node:url';

import { findSpeech, resample, writeWav } from '../src/audio/index.ts';
import { CALLER_PADDING, shapeSpeech, speakWithEspeak } from '../src/audio/tts/index.ts';

/** 16 kHz serves both protocols: Twilio (8 kHz) and AudioCodes (16 kHz); convotest resamples. */
const RATE = 16000;

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

async function render(
  folder: string,
  lines: Record<string, string | { text: string; wordsPerMinute: number }>,
  voice: { voice: string; wordsPerMinute: number },
  padding: { leadMs: number; trailMs: number },
): Promise<void> {
  for (const [name, line] of Object.entries(lines)) {
    const text = typeof line === 'string' ? line : line.text;
    const wordsPerMinute = typeof line === 'string' ? voice.wordsPerMinute : line.wordsPerMinute;
    const spoken = resample(await speakWithEspeak(text, { voice: voice.voice, wordsPerMinute }), RATE);
    const pcm = shapeSpeech(spoken, text, padding);
    const path = fileURLToPath(new URL(`../audio/${folder}${name}`, import.meta.url));
    await writeWav(path, pcm);
    const speech = findSpeech(pcm);
    console.log(
      `${path}: ${(pcm.samples.length / pcm.sampleRate).toFixed(2)} s, speech ${speech?.startMs.toFixed(0)}–${speech?.endMs.toFixed(0)} ms`,
    );
  }
}

await render('', CALLER_PROMPTS, CALLER_VOICE, CALLER_PADDING);
await render('bot/', BOT_LINES, BOT_VOICE, { leadMs: 0, trailMs: 0 });
