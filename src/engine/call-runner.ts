/**
 * Runs one call: dial, play each turn's action, match its expectations in order against the
 * timeline, hang up, and turn what happened into a CallResult. A bot that misbehaves fails
 * this call with a reason; it never throws out of here.
 */
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import { formatMs } from '../clock/duration.ts';
import { sharedPacer } from '../clock/pacer.ts';
import type { Prompt } from '../audio/types.ts';
import { samplesPerFrame } from '../audio/frames.ts';
import { createSession, CallSetupError, PROTOCOL_AUDIO_RATE, type CallerSession } from '../protocols/index.ts';
import type { TlsPolicy } from '../protocols/connect.ts';
import { redactUrl } from '../protocols/redact.ts';
import type { BargeInSpec, CallSpec, Suite, TurnSpec, UserAction } from '../suite/model.ts';
import { BotSpeechTracker } from './bot-speech.ts';
import { describeSpec } from './expectations.ts';
import { ExpectationRunner, TurnFailure } from './expect-runner.ts';
import { callMetrics, turnMetrics } from './metrics.ts';
import { callLimits, type CallLimits } from './limits.ts';
import { describeNoise, promptKey, quoteText, sends, type SoundingAction } from './prompts.ts';
import { CallRecorder } from './recorder.ts';
import { grade, isWarning } from './compliance.ts';
import { checkUnderruns, UnderrunDetector } from './underruns.ts';
import type { CallResult, CallStatus, TurnResult } from './results.ts';
import { describeEvent } from './describe.ts';
import { Timeline, type BotSpeechEvent, type CallEvent } from './timeline.ts';
import { location } from './location.ts';
import { roundMs } from './stats.ts';

export interface CallContext {
  suite: Suite;
  call: CallSpec;
  /** The dialled URL (builtin targets already resolved). */
  target: string;
  prompts: Map<string, Prompt>;
  /** Where the call's WAVs go, and the folder report paths are relative to. */
  audioDir: string | null;
  reportDir: string;
  /** Aborted when the run is interrupted; a string reason says why (the run's time limit). */
  signal?: AbortSignal;
  /** Hard limits for this call; the suite's (or the defaults) when absent. */
  limits?: CallLimits;
  /** How wss:// certificates are checked (--ca, --insecure). */
  tls?: TlsPolicy;
}

/** How long a caller waits for the bot to stop talking before taking the next turn anyway. */
const QUIET_WAIT_MS = 30_000;

export async function runCall(context: CallContext): Promise<CallResult> {
  const { suite, call } = context;
  const startedAt = new Date().toISOString();
  const origin = performance.now();
  const clock = { origin, now: () => performance.now() - origin };
  const timeline = new Timeline();
  const limits = context.limits ?? callLimits(suite);
  const recording = limits.recording;
  const recorder = context.audioDir
    ? await CallRecorder.open(context.audioDir, PROTOCOL_AUDIO_RATE[suite.protocol], {
        maxMs: recording.ms,
        onCapped: () =>
          timeline.note(clock.now(), 'limit', `recording stopped: call.wav and the replies keep the first ${formatMs(recording.ms)} of the call (${recording.source})`),
      })
    : null;
  /** Set once when the connection or a hard limit ends the call: the one reason it failed. */
  let fault: string | undefined;
  let audioFailure: string | undefined;
  let interrupted = false;
  const endWith = (why: string) => {
    if (fault !== undefined || interrupted) return;
    fault = why;
    timeline.note(clock.now(), 'limit', why);
    // Nothing more will arrive: expectations still waiting give up now instead of at their deadline.
    timeline.end();
  };
  const botSpeech: BotSpeechEvent[] = [];
  const tracker = new BotSpeechTracker({
    started: (speech) => {
      botSpeech.push(speech);
      recorder?.startReply(speech.reply);
      timeline.add(speech);
    },
    grew: (speech, audibleUntil) => {
      speech.audibleUntil = audibleUntil;
      timeline.touch(speech);
    },
    ended: (speech) => {
      recorder?.endReply();
      timeline.note(speech.end!, 'botSpeechEnd', `bot speech #${speech.reply} ends (${formatMs(speech.end! - speech.t)})`);
      timeline.touch(speech);
    },
  });
  const underruns = new UnderrunDetector();
  /** Whether the bot sent anything at all once the stream was up (for "the bot never answered"). */
  let streaming = false;
  let botAnswered = false;
  const twilio = call.twilio ?? suite.twilio;
  let frameSize = 0;
  const session = createSession(
    suite.protocol,
    {
      target: context.target,
      from: call.from,
      to: call.to,
      parameters: { ...twilio.parameters, ...call.parameters },
      options: (suite.protocol === 'twilio' ? twilio : suite.audiocodes) as Record<string, unknown>,
      connectTimeout: limits.connect.ms,
      connection: { tls: context.tls, guard: { idle: limits.idle, onFault: endWith } },
    },
    clock,
    {
      event: (reported) => {
        const event = reported.type === 'violation' ? grade(reported, suite.compliance) : reported;
        if (!event) return;
        if (event.type === 'clear') underruns.reset();
        if (event.type === 'hangup' || (event.type === 'closed' && event.by === 'bot')) botAnswered = true;
        if (fault === undefined) timeline.add(event);
        // After a fault convotest cut the connection itself: what follows is shown, but it is not
        // the bot hanging up and must not satisfy an expectation.
        else if (event.type === 'closed') timeline.note(event.t, 'closed', `connection closed by convotest (code ${event.code})`);
        else if (event.type !== 'hangup') timeline.note(event.t, event.type, describeEvent(event));
      },
      wire: (message) => {
        if (streaming && message.dir === 'in') botAnswered = true;
        timeline.wire(message);
      },
      frame: (t, caller, bot) => {
        recorder?.frame(caller, bot, frameSize);
        tracker.frame(t, bot);
        underruns.frame(t, bot, tracker.speech);
      },
    },
  );
  frameSize = samplesPerFrame(session.audioRate);

  const turns: TurnResult[] = call.turns.map(pendingTurn);
  let status: CallStatus = 'passed';
  let reason: string | undefined;
  const onAbort = () => {
    // A call that already failed keeps its reason; the others stop as a caller would (stop /
    // session.end) and release every waiting expectation.
    if (fault !== undefined) return;
    interrupted = true;
    timeline.end();
    void session.hangup().catch(() => session.dispose());
  };
  if (context.signal?.aborted) onAbort();
  else context.signal?.addEventListener('abort', onAbort, { once: true });
  // 0 is no limit; setTimeout would fire at once past 2^31-1 ms, which is no limit either.
  const callLimit =
    limits.call.ms > 0 && limits.call.ms < 2 ** 31
      ? setTimeout(() => {
          endWith(`the call ran into its hard time limit of ${formatMs(limits.call.ms)} (${limits.call.source}) and was hung up`);
          void session.hangup().catch(() => session.dispose());
        }, limits.call.ms)
      : undefined;
  try {
    await session.connect();
    streaming = true;
    timeline.note(clock.now(), 'connected', `connected to ${redactUrl(context.target)}`);
    const runner = new TurnRunner(context, session, timeline, tracker, clock, botSpeech);
    for (let i = 0; i < call.turns.length; i++) {
      if (context.signal?.aborted) break;
      const failure = await runner.run(call.turns[i]!, turns[i]!);
      if (failure) {
        status = 'failed';
        reason = failure;
        break;
      }
    }
    // `untilNextTurn` windows of the last turn close as convotest hangs up.
    const broken = runner.expectations.finish(clock.now(), status === 'passed' && !context.signal?.aborted);
    if (broken && status === 'passed') {
      status = 'failed';
      reason = broken;
    }
    if (session.isOpen()) await session.hangup();
  } catch (error) {
    status = 'errored';
    reason = error instanceof CallSetupError ? error.message : `internal error: ${(error as Error).stack ?? String(error)}`;
  } finally {
    clearTimeout(callLimit);
    context.signal?.removeEventListener('abort', onAbort);
    session.dispose();
    tracker.finish();
    timeline.end();
    // A recording that cannot be written (disk full, folder removed) costs the audio, not what the call found.
    audioFailure = await recorder?.close().then(
      () => undefined,
      (error: unknown) => (error as Error).message,
    );
  }
  if (interrupted && status !== 'errored') {
    status = 'interrupted';
    const why = context.signal?.reason;
    reason = typeof why === 'string' ? why : 'the run was interrupted before this call finished';
  }
  if (fault !== undefined) {
    // What the guard or a limit saw is the cause; the expectation that then went unmet is a symptom.
    status = 'failed';
    reason = fault;
  }
  if (status === 'failed' && fault === undefined && streaming && !botAnswered) {
    // A bare "expected botSpeech … got none" hides the cause: nothing came back at all.
    reason = `the bot never answered (nothing at all came back after the stream started): ${reason}`;
  }
  const violations = timeline.events.filter((event) => event.type === 'violation' && !isWarning(event));
  if (status === 'passed' && violations.length > 0) {
    status = 'failed';
    const first = violations[0]!;
    reason = `${violations.length} protocol violation${violations.length > 1 ? 's' : ''}; first at ${formatMs(first.t)}: ${first.type === 'violation' ? first.message : ''}`;
  }
  const underrunFailure = status === 'passed' ? checkUnderruns(call.underruns, underruns.samples) : null;
  if (underrunFailure) {
    status = 'failed';
    reason = underrunFailure;
  }
  if (audioFailure !== undefined) {
    const lost = `its audio could not be saved: ${audioFailure}`;
    if (status === 'passed') {
      status = 'errored';
      reason = `the call passed, but ${lost}`;
    } else {
      reason = `${reason ?? status}; and ${lost}`;
    }
  }
  const endT = clock.now();
  for (const turn of turns) turn.metrics = turnMetrics(turn, turns, botSpeech, timeline.events, endT, underruns.samples);
  const metrics = callMetrics(turns, botSpeech, timeline.events, underruns.samples);
  const report = (file: string) => relative(context.reportDir, file);
  return {
    suite: suite.name,
    name: call.name,
    location: location(call.pos),
    status,
    reason,
    startedAt,
    durationMs: Math.round(endT),
    turns,
    botSpeech: botSpeech.map((speech, i) => ({
      start: roundMs(speech.t),
      end: roundMs(speech.end ?? endT),
      audio: recorder?.replyFiles[i] ? report(recorder.replyFiles[i]!) : undefined,
    })),
    metrics,
    // `summary` by name: a media run's is a getter of its class, which a spread does not copy.
    timeline: timeline.sortedEntries().map((entry) => ({ ...entry, t: roundMs(entry.t), summary: entry.summary, until: entry.until === undefined ? undefined : roundMs(entry.until) })),
    audio: recorder ? { call: report(recorder.callFile), replies: recorder.replyFiles.map(report) } : { replies: [] },
  };
}

function pendingTurn(turn: TurnSpec): TurnResult {
  return {
    index: turn.index,
    action: describeAction(turn.user),
    location: location(turn.pos),
    startedAt: 0,
    anchorAt: 0,
    anchor: 'turnStart',
    status: 'skipped',
    expectations: turn.expect.map((spec) => ({
      kind: spec.kind,
      description: describeSpec(spec),
      location: location(spec.pos),
      status: 'skipped',
    })),
    metrics: {},
  };
}

export function describeAction(user: UserAction | undefined): string {
  if (!user) return 'wait';
  switch (user.kind) {
    case 'audio':
    case 'say':
      return `${user.kind === 'say' ? `say ${quoteText(user.text)}` : `audio ${user.file.split(/[\\/]/).pop()}`}${user.bargeIn !== undefined ? ` (${describeBargeIn(user.bargeIn)})` : ''}${describeNoise(user.noise)}`;
    case 'dtmf':
      return `dtmf ${user.digits}`;
    case 'silence':
      return `silence ${formatMs(user.duration)}${describeNoise(user.noise)}`;
    case 'hangup':
      return 'hangup';
  }
}

function describeBargeIn(bargeIn: BargeInSpec): string {
  if (bargeIn.atMark === undefined) return `barge-in at ${formatMs(bargeIn.after)}`;
  return `barge-in ${bargeIn.after > 0 ? `${formatMs(bargeIn.after)} after` : 'at'} mark "${bargeIn.atMark}"`;
}

/** A caller action under way: `done` settles when it has finished (last frame sent, keys pressed). */
interface RunningAction {
  done: Promise<unknown>;
}

/** Plays turns one after another on one call; returns a failure reason or null. */
class TurnRunner {
  readonly expectations: ExpectationRunner;

  constructor(
    private readonly context: CallContext,
    private readonly session: CallerSession,
    private readonly timeline: Timeline,
    private readonly tracker: BotSpeechTracker,
    private readonly clock: { now(): number },
    speeches: BotSpeechEvent[],
  ) {
    this.expectations = new ExpectationRunner({
      timeline,
      speeches,
      now: clock.now,
      timeout: context.call.timeout,
      isOpen: () => session.isOpen(),
    });
  }

  async run(turn: TurnSpec, result: TurnResult): Promise<string | null> {
    const user = turn.user;
    try {
      if (user && user.kind !== 'hangup' && !((user.kind === 'audio' || user.kind === 'say') && user.bargeIn !== undefined)) await this.waitForQuiet();
      // The previous turn's `untilNextTurn` windows close as this one starts; a broken one fails the call here.
      const broken = this.expectations.closeTurnWindows(this.clock.now());
      if (broken) return broken;
      if (user && user.kind !== 'hangup' && !this.session.isOpen()) {
        throw new TurnFailure(`the call was already over before turn ${turn.index} (${result.action}) could start`);
      }
      const from = this.timeline.events.length;
      result.startedAt = this.clock.now();
      this.timeline.note(result.startedAt, 'turn', `turn ${turn.index}: ${result.action}`);
      const action = await this.startAction(user, result);
      await this.expectations.run(turn, result, from);
      await this.expectations.guard(action.done);
      result.status = 'passed';
      return null;
    } catch (error) {
      if (!(error instanceof TurnFailure)) throw error;
      result.status = 'failed';
      return error.message;
    }
  }

  /**
   * Starts the turn's action and settles the turn's anchor; resolves as soon as the anchor is
   * known, so expectations run while audio plays. The action's end is wrapped in an object:
   * an async function returning a bare promise would adopt it and wait for the end instead.
   */
  private async startAction(user: UserAction | undefined, result: TurnResult): Promise<RunningAction> {
    result.anchorAt = result.startedAt;
    if (!user) return { done: Promise.resolve() };
    switch (user.kind) {
      case 'dtmf':
        return { done: this.session.sendDtmf(user.digits) };
      case 'silence':
        // Under noise the caller sends the noise; otherwise the line carries its usual silence.
        if (sends(user)) return { done: this.session.play(this.promptFor(user)) };
        return { done: this.quietFor(user.duration) };
      case 'hangup':
        await this.session.hangup();
        return { done: Promise.resolve() };
      case 'audio':
      case 'say':
        return this.startAudio(user, result);
    }
  }

  /** A silent turn: over after `ms`, or as soon as the call is (Ctrl-C, a limit), not a minute later. */
  private quietFor(ms: number): Promise<void> {
    if (this.timeline.isEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const over = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(over, ms);
      const unsubscribe = this.timeline.subscribe((event) => {
        if (event === null) over();
      });
    });
  }

  private promptFor(user: SoundingAction): Prompt {
    const prompt = this.context.prompts.get(promptKey(user));
    if (!prompt) throw new Error(`the audio for ${describeAction(user)} was not prepared`);
    return prompt;
  }

  private async startAudio(user: Extract<UserAction, { kind: 'audio' | 'say' }>, result: TurnResult): Promise<RunningAction> {
    const prompt = this.promptFor(user);
    if (user.bargeIn !== undefined) await this.waitForBargeInPoint(user.bargeIn);
    let playing!: Promise<{ startedAt: number; interrupted: boolean }>;
    let speechEndSent!: (t: number) => void;
    const speechEnd = new Promise<number>((resolve) => (speechEndSent = resolve));
    const startAt = await new Promise<number>((resolve) => {
      playing = this.session.play(prompt, resolve, speechEndSent);
      // A call that ends before the first frame still settles the anchor.
      void playing.then((played) => resolve(played.startedAt));
    });
    const speech = prompt.speech ?? { startMs: 0, endMs: prompt.durationMs };
    result.callerSpeech = { start: startAt + speech.startMs, end: startAt + speech.endMs };
    if (user.bargeIn !== undefined) {
      result.anchor = 'speechStart';
      result.anchorAt = result.callerSpeech.start;
    } else {
      // Anchored when the frame that ends the speech actually went out, not on its slot: a frame
      // sent late delays the bot's hearing it, and that is not the bot's latency.
      const sent = await Promise.race([speechEnd, playing.then((played) => (played.interrupted ? undefined : speechEnd))]);
      if (sent !== undefined) result.callerSpeech.end = sent;
      result.anchor = 'speechEnd';
      result.anchorAt = result.callerSpeech.end;
    }
    return { done: playing };
  }

  /** Waits until the bot has been quiet and its buffer empty, as a polite caller would. */
  /** Checked on the shared pacer's slots: a timer per call per 20 ms was needless garbage at a thousand calls. */
  private waitForQuiet(): Promise<void> {
    const deadline = this.clock.now() + QUIET_WAIT_MS;
    const quiet = () =>
      !(this.tracker.speaking || this.session.botPlaying()) || !this.session.isOpen() || this.clock.now() >= deadline;
    if (quiet()) return Promise.resolve();
    return new Promise((resolve) => {
      const stop = sharedPacer.add(() => {
        if (!quiet()) return;
        stop();
        resolve();
      });
    });
  }

  /**
   * Barge-in: `after` ms into the bot's current reply (or its next one); with `atMark`, `after`
   * ms after playback reaches that mark (echoed during the current reply, or the next echo).
   */
  private async waitForBargeInPoint(bargeIn: BargeInSpec): Promise<void> {
    const timeout = this.context.call.timeout;
    const until = this.clock.now() + timeout;
    let start: number;
    if (bargeIn.atMark !== undefined) {
      const name = bargeIn.atMark;
      const reached = (e: CallEvent) => e.type === 'mark' && e.name === name && !e.cleared;
      const current = this.tracker.speech;
      const already = current ? [...this.timeline.events].reverse().find((e) => reached(e) && e.t >= current.t) : undefined;
      const mark = already ?? (await this.timeline.waitFor(reached, this.timeline.events.length, until, this.clock.now))?.event;
      if (!mark) throw new TurnFailure(`barge-in: the bot's playback did not reach mark "${name}" within ${formatMs(timeout)}, so the caller never started talking`);
      start = mark.t;
    } else {
      const speech =
        this.tracker.speech ??
        ((await this.timeline.waitFor((e) => e.type === 'botSpeech', this.timeline.events.length, until, this.clock.now))?.event as BotSpeechEvent | undefined);
      if (!speech) throw new TurnFailure(`barge-in: the bot did not start speaking within ${formatMs(timeout)}, so there was nothing to interrupt`);
      start = speech.t;
    }
    const wait = start + bargeIn.after - this.clock.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
