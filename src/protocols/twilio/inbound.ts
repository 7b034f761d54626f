/**
 * Reads one frame from the bot the way Twilio does: an invalid message is dropped and the
 * call goes on (Twilio warns with 31950/31951), so every problem becomes a violation record
 * rather than an exception.
 */

export type BotMessage =
  | { event: 'media'; audio: Uint8Array }
  | { event: 'mark'; name: string }
  | { event: 'clear' };

export interface Violation {
  rule: string;
  message: string;
}

export interface Inbound {
  /** `event` as sent, or a stand-in (`binary`, `invalid-json`) for frames that have none. */
  kind: string;
  /** The parsed JSON, or a short description of an unparseable frame. */
  raw: unknown;
  /** The message to act on; absent when Twilio would drop it. */
  message?: BotMessage;
  violations: Violation[];
}

const KNOWN_EVENTS = new Set(['media', 'mark', 'clear']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export function readBinaryFrame(bytes: number): Inbound {
  return {
    kind: 'binary',
    raw: `<binary frame, ${bytes} bytes>`,
    violations: [{ rule: 'binary-frame', message: `bot sent a binary frame (${bytes} bytes); Twilio accepts only JSON text (error 31950)` }],
  };
}

export function readTextFrame(text: string, streamSid: string): Inbound {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      kind: 'invalid-json',
      raw: excerpt(text),
      violations: [{ rule: 'invalid-json', message: `bot sent a frame that is not JSON: ${JSON.stringify(excerpt(text))}` }],
    };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'invalid-json', raw, violations: [{ rule: 'not-an-object', message: `bot sent JSON that is not an object: ${excerpt(text)}` }] };
  }
  const fields = raw as Record<string, unknown>;
  const kind = typeof fields.event === 'string' ? fields.event : 'unknown';
  const violations: Violation[] = [];
  if (typeof fields.event !== 'string') {
    violations.push({ rule: 'missing-event', message: 'bot message has no `event` field' });
    return { kind, raw, violations };
  }
  if (!KNOWN_EVENTS.has(fields.event)) {
    violations.push({ rule: 'unknown-event', message: `bot sent unknown event "${fields.event}"; Twilio accepts media, mark and clear (error 31951)` });
    return { kind, raw, violations };
  }
  if ('stream_sid' in fields && !('streamSid' in fields)) {
    violations.push({ rule: 'stream-sid', message: `bot ${kind} uses \`stream_sid\`; Twilio expects \`streamSid\`` });
  } else if (fields.streamSid === undefined || fields.streamSid === null) {
    violations.push({ rule: 'stream-sid', message: `bot ${kind} has ${fields.streamSid === null ? 'a null' : 'no'} \`streamSid\`` });
  } else if (fields.streamSid !== streamSid) {
    violations.push({ rule: 'stream-sid', message: `bot ${kind} names streamSid ${JSON.stringify(fields.streamSid)}, not this stream's ${streamSid}` });
  }
  const message = readEvent(fields.event, fields, violations);
  // Twilio drops a message with a bad streamSid; so does convotest, after recording why.
  if (violations.length > 0) return { kind, raw, violations };
  return { kind, raw, message, violations };
}

function readEvent(event: string, fields: Record<string, unknown>, violations: Violation[]): BotMessage | undefined {
  if (event === 'clear') return { event: 'clear' };
  if (event === 'mark') {
    const mark = fields.mark as { name?: unknown } | undefined;
    if (typeof mark?.name !== 'string' || mark.name === '') {
      violations.push({ rule: 'mark-name', message: 'bot mark has no `mark.name`' });
      return undefined;
    }
    return { event: 'mark', name: mark.name };
  }
  const payload = (fields.media as { payload?: unknown } | undefined)?.payload;
  if (typeof payload !== 'string') {
    violations.push({ rule: 'media-payload', message: 'bot media has no `media.payload` string' });
    return undefined;
  }
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) {
    violations.push({ rule: 'payload-base64', message: 'bot media payload is not valid base64' });
    return undefined;
  }
  if (payload.startsWith('UklGR')) {
    violations.push({ rule: 'payload-riff', message: 'bot media payload starts with "RIFF": a WAV header was sent as audio; send raw μ-law bytes' });
    return undefined;
  }
  return { event: 'media', audio: Buffer.from(payload, 'base64') };
}
