/**
 * What the gateway makes of one activity from the bot: an event for expectations, the end
 * of the call (hangup, transfer), a change of barge-in, a playback stop, or a note. Kept
 * apart from the session so the mapping reads as one table.
 */
import type { ProtocolEvent } from '../events.ts';
import type { BotActivity } from './inbound.ts';
import type { SessionEndCode } from './messages.ts';

export interface CallEnd {
  code: SessionEndCode;
  reason: string;
  /** Reported when the gateway carries it out: the caller hears the goodbye, then the line drops. */
  event: Extract<ProtocolEvent, { type: 'hangup' | 'transfer' }>;
}

export interface ActivityOutcome {
  event?: ProtocolEvent;
  end?: CallEnd;
  bargeIn?: boolean;
  stopPlayback?: boolean;
  note?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function readActivity(activity: BotActivity, t: number): ActivityOutcome {
  if (activity.type === 'message') {
    return activity.text ? { event: { type: 'text', t, text: activity.text, source: 'message' } } : {};
  }
  const params = activity.activityParams;
  switch (activity.name) {
    case 'hangup': {
      const reason = text(params.hangupReason);
      return { end: { code: 'bot-disconnected', reason: reason ?? 'bot hung up', event: { type: 'hangup', t, reason } } };
    }
    case 'transfer': {
      const target = text(params.transferTarget);
      return { end: { code: 'transferred', reason: target ? `transferred to ${target}` : 'transferred', event: { type: 'transfer', t, target } } };
    }
    case 'sendDtmf':
      return { event: { type: 'dtmf', t, digits: text(params.dtmfDigits) ?? String(activity.value ?? '') } };
    case 'config': {
      const bargeIn = activity.sessionParams.bargeIn;
      return typeof bargeIn === 'boolean' ? { bargeIn } : {};
    }
    case 'abortPrompts':
      return { stopPlayback: true };
    case 'playUrl':
      return { note: `bot asked to play ${text(params.playUrl) ?? 'a URL'}; convotest does not fetch URLs` };
    default:
      return {};
  }
}
