/**
 * Runs one call: dial, play each turn's action, match its expectations in order against the
 * timeline, hang up, and turn what happened into a CallResult. A bot that misbehaves fails
 * this call with a reason; it never throws out of here.
 */
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import { formatMs } from '../clock/duration.ts';
import type { Prompt } from '../audio/types.ts';
import { samplesPerFrame } from '../audio/frames.ts';
import { createSession, CallSetupError, type CallerSession } from '../protocols/index.ts';
import type { CallSpec, ExpectationSpec, Suite, TurnSpec, UserAction } from '../suite/model.ts';
import { BotSpeechTracker } from './bot-speech.ts';
import { describeSpec, describeWindow, matcherFor, ANCHOR_NAMES, type Anchor } from './expectations.ts';
import { callMetrics, turnMetrics } from './metrics.ts';
import { CallRecorder } from './recorder.ts';
import type { CallResult, CallStatus, ExpectationResult, TurnResult } from './results.ts';
import { Timeline, type BotSpeechEvent } from './timeline.ts';
import { location } from './location.ts';

export interface CallContext {
  suite: Suite;
  call: CallSpec;
  /** The dialled URL (builtin targets already resolved). */
  target: string;
  prompts: Map<string, Prompt>;
  /** Where the call's WAVs go, and the folder report paths are relative to. */
  audioDir: string | null;
  reportDir: string;
  /** Aborted when the run is interrupted. */
  signal?: AbortSignal;
}

/** Raised inside a turn to stop the call with a failed expectation or turn. */
class TurnFailure extends Error {}

const CONNECT_TIMEOUT_MS = 10_000;
/** How long a caller waits for the bot to stop talking before taking the next turn anyway. */
const QUIET_WAIT_MS = 30_000;

export async function runCall(context: CallContext): Promise<CallResult> {
  const { suite, call } = context;
  const startedAt = new Date().toISOString();
  const origin = performance.now();
  const clock = { origin, now: () => performance.now() - origin };
  const timeline = new Timeline();
  const recorder = context.audioDir ? await CallRecorder.open(context.audioDir, rateOf(suite)) : null;
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
  let frameSize = 0;
  const session = createSession(
    suite.protocol,
    {
      target: context.target,
      from: call.from,
      to: call.to,
      parameters: { ...suite.twilio.parameters, ...call.parameters },
      options: (suite.protocol === 'twilio' ? suite.twilio : suite.audiocodes) as Record<string, unknown>,
      connectTimeout: CONNECT_TIMEOUT_MS,
    },
    clock,
    {
      event: (event) => timeline.add(event),
      wire: (message) => timeline.wire(message),
      frame: (t, caller, bot) => {
        recorder?.frame(caller, bot, frameSize);
        tracker.frame(t, bot);
      },
    },
  );
  frameSize = samplesPerFrame(session.audioRate);

  const turns: TurnResult[] = call.turns.map((turn) => pendingTurn(turn, suite.file));
  let status: CallStatus = 'passed';
  let reason: string | undefined;
  let interrupted = false;
  const onAbort = () => {
    // Stop the call as a caller would (stop / session.end) and release every waiting expectation.
    interrupted = true;
    timeline.end();
    void session.hangup().catch(() => session.dispose());
  };
  if (context.signal?.aborted) onAbort();
  else context.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await session.connect();
    timeline.note(clock.now(), 'connected', `connected to ${context.target}`);
    const runner = new TurnRunner(context, session, timeline, tracker, clock);
    for (let i = 0; i < call.turns.length; i++) {
      if (context.signal?.aborted) break;
      const failure = await runner.run(call.turns[i]!, turns[i]!);
      if (failure) {
        status = 'failed';
        reason = failure;
        break;
      }
    }
    if (session.isOpen()) await session.hangup();
  } catch (error) {
    status = 'errored';
    reason = error instanceof CallSetupError ? error.message : `internal error: ${(error as Error).stack ?? String(error)}`;
  } finally {
    context.signal?.removeEventListener('abort', onAbort);
    session.dispose();
    tracker.finish();
    timeline.end();
    await recorder?.close();
  }
  if (interrupted && status !== 'errored') {
    status = 'interrupted';
    reason = 'the run was interrupted before this call finished';
  }
  const violations = timeline.events.filter((event) => event.type === 'violation');
  if (status === 'passed' && violations.length > 0) {
    status = 'failed';
    const first = violations[0]!;
    reason = `${violations.length} protocol violation${violations.length > 1 ? 's' : ''}; first at ${formatMs(first.t)}: ${first.type === 'violation' ? first.message : ''}`;
  }
  const endT = clock.now();
  for (const turn of turns) turn.metrics = turnMetrics(turn, turns, botSpeech, timeline.events, endT);
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
      start: round(speech.t),
      end: round(speech.end ?? endT),
      audio: recorder?.replyFiles[i] ? report(recorder.replyFiles[i]!) : undefined,
    })),
    metrics: callMetrics(turns, botSpeech, timeline.events),
    timeline: timeline.sortedEntries().map((entry) => ({ ...entry, t: round(entry.t), until: entry.until === undefined ? undefined : round(entry.until) })),
    audio: recorder ? { call: report(recorder.callFile), replies: recorder.replyFiles.map(report) } : { replies: [] },
  };
}

function rateOf(suite: Suite): number {
  return suite.protocol === 'twilio' ? 8000 : 16000;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function pendingTurn(turn: TurnSpec, _file: string): TurnResult {
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
      return `audio ${user.file.split(/[\\/]/).pop()}${user.bargeIn !== undefined ? ` (barge-in at ${formatMs(user.bargeIn)})` : ''}`;
    case 'dtmf':
      return `dtmf ${user.digits}`;
    case 'silence':
      return `silence ${formatMs(user.duration)}`;
    case 'hangup':
      return 'hangup';
  }
}

/** Plays turns one after another on one call; returns a failure reason or null. */
class TurnRunner {
  constructor(
    private readonly context: CallContext,
    private readonly session: CallerSession,
    private readonly timeline: Timeline,
    private readonly tracker: BotSpeechTracker,
    private readonly clock: { now(): number },
  ) {}

  async run(turn: TurnSpec, result: TurnResult): Promise<string | null> {
    const user = turn.user;
    try {
      if (user && user.kind !== 'hangup' && !(user.kind === 'audio' && user.bargeIn !== undefined)) await this.waitForQuiet();
      if (user && user.kind !== 'hangup' && !this.session.isOpen()) {
        throw new TurnFailure(`the call was already over before turn ${turn.index} (${result.action}) could start`);
      }
      const from = this.timeline.events.length;
      result.startedAt = this.clock.now();
      this.timeline.note(result.startedAt, 'turn', `turn ${turn.index}: ${result.action}`);
      const action = await this.startAction(user, result);
      await this.expectAll(turn, result, from);
      await action;
      result.status = 'passed';
      return null;
    } catch (error) {
      if (!(error instanceof TurnFailure)) throw error;
      result.status = 'failed';
      return error.message;
    }
  }

  /**
   * Starts the turn's action and settles the turn's anchor; resolves (to a promise of the
   * action's end) as soon as the anchor is known, so expectations run while audio plays.
   */
  private async startAction(user: UserAction | undefined, result: TurnResult): Promise<Promise<unknown>> {
    result.anchorAt = result.startedAt;
    if (!user) return Promise.resolve();
    switch (user.kind) {
      case 'dtmf':
        return this.session.sendDtmf(user.digits);
      case 'silence':
        return new Promise((resolve) => setTimeout(resolve, user.duration));
      case 'hangup':
        await this.session.hangup();
        return Promise.resolve();
      case 'audio':
        return this.startAudio(user, result);
    }
  }

  private async startAudio(user: Extract<UserAction, { kind: 'audio' }>, result: TurnResult): Promise<Promise<unknown>> {
    const prompt = this.context.prompts.get(user.file);
    if (!prompt) throw new Error(`prompt ${user.file} was not prepared`);
    if (user.bargeIn !== undefined) await this.waitForBargeInPoint(user.bargeIn);
    let playing!: Promise<{ startedAt: number }>;
    const startAt = await new Promise<number>((resolve) => {
      playing = this.session.play(prompt, resolve);
      // A call that ends before the first frame still settles the anchor.
      void playing.then((played) => resolve(played.startedAt));
    });
    const speech = prompt.speech ?? { startMs: 0, endMs: prompt.durationMs };
    result.callerSpeech = { start: startAt + speech.startMs, end: startAt + speech.endMs };
    if (user.bargeIn !== undefined) {
      result.anchor = 'speechStart';
      result.anchorAt = result.callerSpeech.start;
    } else {
      result.anchor = 'speechEnd';
      result.anchorAt = result.callerSpeech.end;
    }
    return playing;
  }

  /** Waits until the bot has been quiet and its buffer empty, as a polite caller would. */
  private async waitForQuiet(): Promise<void> {
    const deadline = this.clock.now() + QUIET_WAIT_MS;
    while ((this.tracker.speaking || this.session.botPlaying()) && this.session.isOpen() && this.clock.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Barge-in: `offset` into the bot's current reply, or its next one. */
  private async waitForBargeInPoint(offset: number): Promise<void> {
    const timeout = this.context.call.timeout;
    const speech =
      this.tracker.speech ??
      ((await this.timeline.waitFor((e) => e.type === 'botSpeech', this.timeline.events.length, this.clock.now() + timeout, this.clock.now))
        ?.event as BotSpeechEvent | undefined);
    if (!speech) throw new TurnFailure(`barge-in: the bot did not start speaking within ${formatMs(timeout)}, so there was nothing to interrupt`);
    const wait = speech.t + offset - this.clock.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async expectAll(turn: TurnSpec, result: TurnResult, from: number): Promise<void> {
    let cursor = from;
    const timeout = this.context.call.timeout;
    for (let i = 0; i < turn.expect.length; i++) {
      const spec = turn.expect[i]!;
      const outcome = result.expectations[i]!;
      const window = spec.within ?? timeout;
      const deadline = result.anchorAt + window;
      // `within` bounds when the event starts; a minimum duration may complete after that.
      const grace = spec.kind === 'botSpeech' ? (spec.minDuration ?? 0) : 0;
      const match = await this.timeline.waitFor(matcherFor(spec), cursor, deadline, this.clock.now, grace);
      outcome.description = `${describeSpec(spec)} ${describeWindow(spec, result.anchor, timeout)}`;
      if (match) {
        outcome.status = 'passed';
        outcome.matchedAt = round(match.event.t);
        outcome.latency = round(match.event.t - result.anchorAt);
        cursor = match.index + 1;
        continue;
      }
      outcome.status = 'failed';
      Object.assign(outcome, this.explainMiss(spec, result, cursor, deadline));
      throw new TurnFailure(`turn ${turn.index} (${result.action}): expected ${outcome.description}, got ${outcome.actual}`);
    }
  }

  private explainMiss(spec: ExpectationSpec, result: TurnResult, cursor: number, deadline: number): Partial<ExpectationResult> {
    const window = describeWindow(spec, result.anchor, this.context.call.timeout);
    const anchorName = ANCHOR_NAMES[result.anchor as Anchor];
    const test = matcherFor(spec);
    const late = this.timeline.events.slice(cursor).find((event) => test(event));
    let actual: string;
    if (late) actual = `it came at ${formatMs(late.t)}, ${formatMs(late.t - deadline)} too late`;
    else if (this.timeline.isEnded || !this.session.isOpen()) actual = 'none before the call ended';
    else actual = `none by ${formatMs(deadline)}`;
    const recent = this.timeline.entries
      .filter((entry) => entry.t >= result.startedAt && entry.kind !== 'media' && entry.kind !== 'turn')
      .slice(-6)
      .map((entry) => `${formatMs(entry.t)} ${entry.summary}`);
    return {
      expected: `${describeSpec(spec)} by ${formatMs(deadline)} (${window}, which was at ${formatMs(result.anchorAt)})`,
      actual,
      message: `expected ${describeSpec(spec)} ${window}; got ${actual}. ${
        recent.length ? `Since the turn began: ${recent.join('; ')}` : 'Nothing happened since the turn began'
      } (${anchorName} was at ${formatMs(result.anchorAt)})`,
    };
  }
}
