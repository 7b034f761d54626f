/**
 * The benchmark's call, known to both sides so each can be exact: the caller says a tone of
 * exactly TONE_MS (whole 20 ms frames, no leading or trailing silence, so convotest's VAD puts
 * the end of speech exactly at the end of the tone); the bot recognises the end of the
 * utterance as the first silent frame after tone frames, waits REPLY_DELAY_MS, and answers with
 * REPLY_MS of tone. REPLY_DELAY_MS sits mid-slot, so at the caller's ear the reply starts on the
 * next 20 ms boundary: the ear latency to expect is REPLY_DELAY_MS rounded up to a slot.
 */
import { writeWav } from '../src/audio/wav-write.ts';

export const RATE = 8000;
export const TONE_MS = 1000;
export const REPLY_DELAY_MS = 190;
export const REPLY_MS = 400;
export const SLOT_MS = 20;

/** A 440 Hz sine at about -12 dBFS: loud enough for any VAD, far from clipping. */
export function tone(ms: number, rate = RATE): Int16Array {
  const samples = new Int16Array(Math.round((rate * ms) / 1000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return samples;
}

export async function writeToneWav(path: string): Promise<void> {
  await writeWav(path, { sampleRate: RATE, samples: tone(TONE_MS) });
}

/** The ear latency a perfect runner reports for a reply sent `delayMs` after the end of speech. */
export function earLatencyFor(delayMs: number): number {
  return Math.ceil(delayMs / SLOT_MS) * SLOT_MS;
}

/** base64 of a 20 ms frame of μ-law silence (0xFF): what every silent caller frame carries. */
export const SILENT_PAYLOAD = Buffer.alloc(160, 0xff).toString('base64');

/** Builds the suite YAML the convotest side runs: `turns` tone turns, then a hang-up. */
export function benchSuiteYaml(target: string, tonePath: string, turns: number): string {
  const lines = ['name: bench', 'protocol: twilio', `target: ${JSON.stringify(target)}`, 'defaults: { timeout: 5s }', 'calls:', '  - name: call', '    turns:'];
  for (let i = 0; i < turns; i++) {
    lines.push(`      - user: { audio: ${JSON.stringify(tonePath)} }`, '        expect: [ { botSpeech: { within: 2s } } ]');
  }
  lines.push('      - user: { hangup: true }', '');
  return lines.join('\n');
}
