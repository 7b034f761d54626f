/**
 * The call's audio on disk as it happens: call.wav in stereo (caller left, bot right, one
 * slot per 20 ms so both sides share the timeline) and one WAV per bot reply. Streaming to
 * disk keeps memory flat however long the call runs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StereoRecorder, WavWriter } from '../audio/wav-write.ts';

export interface RecordingCap {
  /** Audio past this much of the call is not written: a bot that talks forever must not fill the disk. */
  maxMs: number;
  /** Told once, when the cap is reached. */
  onCapped?: () => void;
}

export class CallRecorder {
  private reply: WavWriter | null = null;
  private replyOpening: Promise<WavWriter> | null = null;
  private pendingReplyFrames: Int16Array[] = [];
  readonly replyFiles: string[] = [];
  /** Reply file work still under way; each removes itself when it settles, so a long call holds only what is running. */
  private readonly writes = new Set<Promise<void>>();
  /** The first write that failed: close() rethrows it (and a rejection never goes unhandled in between). */
  private failure: { error: unknown } | null = null;
  private framesLeft: number;
  private capped = false;

  private constructor(
    private readonly dir: string,
    private readonly rate: number,
    private readonly stereo: StereoRecorder,
    private readonly cap: RecordingCap | undefined,
  ) {
    // A cap of 0 is no cap.
    this.framesLeft = cap && cap.maxMs > 0 ? Math.floor(cap.maxMs / 20) : Infinity;
  }

  static async open(dir: string, rate: number, cap?: RecordingCap): Promise<CallRecorder> {
    await mkdir(dir, { recursive: true });
    return new CallRecorder(dir, rate, await StereoRecorder.open(join(dir, 'call.wav'), rate), cap);
  }

  get callFile(): string {
    return join(this.dir, 'call.wav');
  }

  frame(caller: Int16Array | null, bot: Int16Array | null, samplesPerFrame: number): void {
    if (this.framesLeft <= 0) {
      if (!this.capped) {
        this.capped = true;
        this.endReply();
        this.cap?.onCapped?.();
      }
      return;
    }
    this.framesLeft--;
    this.stereo.frame(caller, bot, samplesPerFrame);
    if (this.replyOpening && bot) {
      if (this.reply) this.reply.write(bot);
      // The session reuses its frame every slot.
      else this.pendingReplyFrames.push(bot.slice());
    }
  }

  /** A bot reply began: its frames from now on also go to reply-NN.wav. */
  startReply(reply: number): string | undefined {
    // Past the cap no new files either; replies before it keep their index in replyFiles.
    if (this.capped || this.framesLeft <= 0) return undefined;
    const file = join(this.dir, `reply-${String(reply).padStart(2, '0')}.wav`);
    this.replyFiles.push(file);
    this.replyOpening = WavWriter.open(file, this.rate, 1, { createDir: false });
    this.track(
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
    this.track(
      opening.then(async (writer) => {
        for (const frame of this.pendingReplyFrames.splice(0)) writer.write(frame);
        if (this.reply === writer) this.reply = null;
        await writer.close();
      }),
    );
  }

  /** Ends the recording; rejects with the first write that failed, once every file is closed. */
  async close(): Promise<void> {
    this.endReply();
    await Promise.all(this.writes);
    await this.stereo.close();
    if (this.failure) throw this.failure.error;
  }

  private track(work: Promise<void>): void {
    const settled: Promise<void> = work.then(
      () => {
        this.writes.delete(settled);
      },
      (error: unknown) => {
        this.writes.delete(settled);
        this.failure ??= { error };
      },
    );
    this.writes.add(settled);
  }
}
