/** Audio as the rest of convotest sees it: mono signed 16-bit PCM at a known rate. */
export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** Where speech sits inside a prompt, in ms from its first sample. */
export interface SpeechSpan {
  startMs: number;
  endMs: number;
}

/** A caller prompt ready to stream: decoded, resampled to the protocol's rate, speech located. */
export interface Prompt extends Pcm {
  file: string;
  durationMs: number;
  /** null when the file holds no speech at all (pure silence). */
  speech: SpeechSpan | null;
}

/** A WAV file that cannot be used, with a message naming the file and what to do. */
export class AudioFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'AudioFileError';
  }
}
