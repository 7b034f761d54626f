/** Speech from text for `say:` turns: the built-in espeak-ng engine, a user's command, and the cache. */
export { TtsCache, TtsError, fileName as ttsFileName, type CachedSpeech, type TtsSettings } from './cache.ts';
export { CommandError, findProgram, parseCommand, PLACEHOLDERS, usesPlaceholder } from './command.ts';
export {
  DEFAULT_ESPEAK_VOICE,
  DEFAULT_WORDS_PER_MINUTE,
  ESPEAK_PACKAGE,
  EspeakError,
  findEspeak,
  INSTALL_HINT,
  speakWithEspeak,
} from './espeak.ts';
export { CALLER_PADDING, fadeEdges, normalizePeak, pad, PEAK_DBFS, shapeSpeech, trim } from './shape.ts';
