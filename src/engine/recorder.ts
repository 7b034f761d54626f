/**
 * The call's audio on disk as it happens: call.wav in stereo (caller left, bot right, one
 * slot per 20 ms so both sides share the timeline) and one WAV per bot reply. Streaming to
 * disk keeps memory flat however long the call runs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StereoRecorder, WavWriter } from '../audio/wav-write.ts';

export class CallRecorder {
  private reply: WavWriter | null = null;
  private replyOpening: Promise<WavWriter> | null = null;
  private pendingReplyFrames: Int16Array[] = [];
  readonly replyFiles: string[] = [];
  private readonly writes: Promise<unknown>[] = [];

  private constructor(
    private readonly dir: string,
    private readonly rate: number,
    private readonly stereo: StereoRecorder,
  ) {}

  static async open(dir: string, rate: number): Promise<CallRecorder> {
    await mkdir(dir, { recursive: true });
    return new CallRecorder(dir, rate, await StereoRecorder.open(join(dir, 'call.wav'), rate));
  }

  get callFile(): string {
    return join(this.dir, 'call.wav');
  }

  frame(caller: Int16Array | null, bot: Int16Array | null, samplesPerFrame: number): void {
    this.stereo.frame(caller, bot, samplesPerFrame);
    if (this.replyOpening && bot) {
      if (this.reply) this.reply.write(bot);
      else this.pendingReplyFrames.push(bot);
    }
  }

  /** A bot reply began: its frames from now on also go to reply-NN.wav. */
  startReply(reply: number): string {
    const file = join(this.dir, `reply-${String(reply).padStart(2, '0')}.wav`);
    this.replyFiles.push(file);
    this.replyOpening = WavWriter.open(file, this.rate, 1);
    this.writes.push(
      this.replyOpening.then((writer) => {
        this.reply = writer;
        for (const frame of this.pendingReplyFrames.splice(0)) writer.write(frame);
      }),
    );
    return file;
  }

  endReply(): void {
    const opening = this.replyOpening;
    if (!opening) return;
    this.replyOpening = null;
    this.writes.push(
      opening.then(async (writer) => {
        for (const frame of this.pendingReplyFrames.splice(0)) writer.write(frame);
        if (this.reply === writer) this.reply = null;
        await writer.close();
      }),
    );
  }

  async close(): Promise<void> {
    this.endReply();
    await Promise.all(this.writes);
    await this.stereo.close();
  }
}
