/**
 * Caller prompts cut into 20 ms slots once per media format: the 16 kHz PCM the engine
 * records and the wire bytes the gateway sends. Resampling the whole prompt at once (not
 * slot by slot) keeps slot edges free of filter artefacts; every call of a suite reuses it.
 */
import { samplesPerFrame } from '../../audio/frames.ts';
import type { Prompt } from '../../audio/types.ts';
import { resample } from '../../audio/wav-read.ts';
import { CALL_RATE, encodeSamples, silenceBytes, type MediaFormat } from './formats.ts';

export interface EncodedPrompt {
  pcm: Int16Array[];
  bytes: Uint8Array[];
}

const FRAME = samplesPerFrame(CALL_RATE);
const encodedPrompts = new WeakMap<Prompt, Map<string, EncodedPrompt>>();

export function encodePrompt(prompt: Prompt, format: MediaFormat): EncodedPrompt {
  let byFormat = encodedPrompts.get(prompt);
  if (!byFormat) encodedPrompts.set(prompt, (byFormat = new Map()));
  const cached = byFormat.get(format.name);
  if (cached) return cached;
  const pcm16 = resample(prompt, CALL_RATE).samples;
  const wire = encodeSamples(resample({ sampleRate: CALL_RATE, samples: pcm16 }, format.rate).samples, format);
  const slots = Math.max(1, Math.ceil(pcm16.length / FRAME));
  const slotBytes = silenceBytes(format, 20).length;
  const encoded: EncodedPrompt = { pcm: [], bytes: [] };
  for (let i = 0; i < slots; i++) {
    const frame = new Int16Array(FRAME);
    frame.set(pcm16.subarray(i * FRAME, (i + 1) * FRAME));
    encoded.pcm.push(frame);
    // The last slot is padded with the format's silence, as the PCM is padded with zeros.
    const bytes = silenceBytes(format, 20);
    bytes.set(wire.subarray(i * slotBytes, Math.min(wire.length, (i + 1) * slotBytes)));
    encoded.bytes.push(bytes);
  }
  byFormat.set(format.name, encoded);
  return encoded;
}
