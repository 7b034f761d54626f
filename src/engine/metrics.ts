/**
 * The metrics of DESIGN §3, computed once from the timeline after the call: a turn's reply
 * is the first bot speech that starts after the caller began speaking and before the next
 * turn began, wherever the expectations happened to stop looking.
 */
import type { CallMetrics, TurnMetrics, TurnResult } from './results.ts';
import type { BotSpeechEvent, CallEvent } from './timeline.ts';

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function turnMetrics(turn: TurnResult, turns: TurnResult[], speeches: BotSpeechEvent[], events: CallEvent[], callEnd: number): TurnMetrics {
  if (turn.status === 'skipped') return {};
  const next = turns.find((other) => other.index > turn.index && other.status !== 'skipped');
  const windowEnd = next ? next.startedAt : callEnd;
  const metrics: TurnMetrics = {};
  const inWindow = speeches.filter((speech) => speech.t >= turn.startedAt && speech.t < windowEnd);
  const spoken = inWindow.reduce((sum, speech) => sum + ((speech.end ?? callEnd) - speech.t), 0);
  if (inWindow.length > 0) metrics.botSpeechMs = round(spoken);
  const speech = turn.callerSpeech;
  if (speech && turn.anchor === 'speechEnd') {
    const reply = speeches.find((s) => s.t >= speech.start && s.t < windowEnd);
    if (reply) metrics.responseLatency = round(reply.t - speech.end);
    const media = events.find((e) => e.type === 'botMedia' && e.t >= speech.start && e.t < windowEnd);
    if (media) metrics.firstMediaLatency = round(media.t - speech.end);
  }
  return metrics;
}

export function callMetrics(turns: TurnResult[], speeches: BotSpeechEvent[], events: CallEvent[]): CallMetrics {
  const markEchoDelay: number[] = [];
  let violations = 0;
  for (const event of events) {
    if (event.type === 'mark' && !event.cleared) markEchoDelay.push(round(event.t - event.sentAt));
    if (event.type === 'violation') violations++;
  }
  const metrics: CallMetrics = {
    responseLatency: turns.flatMap((turn) => (turn.metrics.responseLatency === undefined ? [] : [turn.metrics.responseLatency])),
    firstMediaLatency: turns.flatMap((turn) => (turn.metrics.firstMediaLatency === undefined ? [] : [turn.metrics.firstMediaLatency])),
    markEchoDelay,
    botSpeechMs: round(speeches.reduce((sum, speech) => sum + ((speech.end ?? speech.t) - speech.t), 0)),
    violations,
  };
  if (speeches[0]) metrics.timeToFirstSpeech = round(speeches[0].t);
  return metrics;
}
