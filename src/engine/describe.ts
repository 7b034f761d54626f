/** One-line descriptions of events and messages, for timelines and failure messages. */
import { formatMs } from '../clock/duration.ts';
import type { WireMessage } from '../protocols/events.ts';
import type { CallEvent } from './timeline.ts';

export function describeEvent(event: CallEvent): string {
  switch (event.type) {
    case 'botSpeech':
      return event.end === undefined ? `bot speech #${event.reply} starts` : `bot speech #${event.reply} (${formatMs(event.end - event.t)})`;
    case 'botMedia':
      return `first bot media received (${event.bytes} bytes)`;
    case 'mark':
      return `mark "${event.name}" echoed${event.cleared ? ' by clear' : ''} (sent at ${formatMs(event.sentAt)})`;
    case 'clear':
      return `clear (dropped ${formatMs(event.droppedMs)} of bot audio)`;
    case 'dtmf':
      return `bot sent DTMF "${event.digits}"`;
    case 'text':
      return `bot text (${event.source}): ${JSON.stringify(event.text)}`;
    case 'recognition':
      return `bot ${event.final ? 'recognised' : 'hypothesis'}: ${JSON.stringify(event.text)}`;
    case 'hangup':
      return `bot hung up${event.reason ? `: ${event.reason}` : ''}`;
    case 'transfer':
      return `bot transferred the call${event.target ? ` to ${event.target}` : ''}`;
    case 'closed':
      return `socket closed by ${event.by} (code ${event.code}${event.reason ? `, ${event.reason}` : ''})`;
    case 'violation':
      return `protocol ${event.severity === 'warn' ? 'warning' : 'violation'} [${event.rule}]: ${event.message}`;
    case 'info':
      return event.message;
    case 'message':
      return `bot ${event.kind}`;
  }
}

export function describeWire(message: WireMessage): string {
  const data = message.data as Record<string, unknown> | null;
  const arrow = message.dir === 'in' ? 'bot →' : '→ bot';
  if (message.kind === 'mark' && data && typeof data.mark === 'object' && data.mark !== null) {
    return `${arrow} mark "${String((data.mark as Record<string, unknown>).name)}"`;
  }
  if (message.kind === 'dtmf' && data && typeof data.dtmf === 'object' && data.dtmf !== null) {
    return `${arrow} dtmf "${String((data.dtmf as Record<string, unknown>).digit)}"`;
  }
  return `${arrow} ${message.kind}`;
}
