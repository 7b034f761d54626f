/**
 * Caller prompts cut into 20 ms slots once per media format: the 16 kHz PCM the engine
 * records and the wire bytes the gateway sends. Resampling the whole prompt at once (not
 * slot by slot) keeps slot edges free of filter artefacts; every call of a suite reuses it.
 */
import { samplesPerFrame, splitFrames } from '../../audio/frames.ts';
import type { Prompt } from '../../audio/types.ts';
import { resample } from '../../audio/wav-read.ts';
import { bytesForMs, CALL_RATE, encodeSamples, silenceBytes, type MediaFormat } from './formats.ts';

/** Slot by slot; both may be views into one shared buffer, to be read, never written. */
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
  // An empty prompt still takes its one slot, as every play does.
  const pcm = pcm16.length > 0 ? splitFrames(pcm16, FRAME) : [new Int16Array(FRAME)];
  const wire = encodeSamples(resample({ sampleRate: CALL_RATE, samples: pcm16 }, format.rate).samples, format);
  const slotBytes = bytesForMs(format, 20);
  const bytes = pcm.map((_, i) => {
    const from = i * slotBytes;
    if (from + slotBytes <= wire.length) return wire.subarray(from, from + slotBytes);
    // The last slot is padded with the format's silence, as the PCM is padded with zeros.
    const padded = silenceBytes(format, 20);
    padded.set(wire.subarray(from, from + slotBytes));
    return padded;
  });
  const encoded: EncodedPrompt = { pcm, bytes };
  byFormat.set(format.name, encoded);
  return encoded;
}
