/**
 * The reference bots' ear: decides from 20 ms frames of caller audio when an utterance
 * begins and when it has ended. Deliberately simple and documented, so suites can rely on
 * its timing: speech starts after 60 ms of audible audio, ends after 400 ms of quiet.
 */
import { isAudible } from '../audio/vad.ts';

const START_FRAMES = 3;
const END_FRAMES = 20;

export class TurnDetector {
  private audibleRun = 0;
  private quietRun = 0;
  private inSpeech = false;

  constructor(
    private readonly onStart: () => void,
    private readonly onEnd: () => void,
  ) {}

  get speaking(): boolean {
    return this.inSpeech;
  }

  frame(pcm: Int16Array): void {
    if (isAudible(pcm)) {
      this.audibleRun++;
      this.quietRun = 0;
      if (!this.inSpeech && this.audibleRun >= START_FRAMES) {
        this.inSpeech = true;
        this.onStart();
      }
    } else {
      this.audibleRun = 0;
      this.quietRun++;
      if (this.inSpeech && this.quietRun >= END_FRAMES) {
        this.inSpeech = false;
        this.onEnd();
      }
    }
  }
}
