export { AudioFileError, type Pcm, type Prompt, type SpeechSpan } from './types.ts';
export { samplesPerFrame, splitFrames } from './frames.ts';
export {
  ALAW_SILENCE,
  MULAW_SILENCE,
  alawDecode,
  alawDecodeSample,
  alawEncode,
  mulawDecode,
  mulawDecodeSample,
  mulawEncode,
} from './g711.ts';
export { AUDIBLE_DB, SILENCE_DB, findSpeech, frameLevelDb, isAudible } from './vad.ts';
export {
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  clearPromptCache,
  decodeWav,
  loadPrompt,
  resample,
} from './wav-read.ts';
export { StereoRecorder, WavWriter, writeWav } from './wav-write.ts';
