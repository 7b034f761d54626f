/**
 * Reads one frame from the bot the way Twilio does: the message must match
 * schemas/protocols/twilio-bot.schema.json and name this stream. An invalid message is
 * dropped and the call goes on (Twilio warns with 31950/31951), so every problem becomes a
 * violation record, named by its compliance rule, rather than an exception.
 */
import { excerpt, parseJsonObject } from '../json-frame.ts';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { decodeBase64 } from '../base64.ts';
import { botSchemaValidator } from '../bot-schema.ts';
import type { TwilioRule } from './rules.ts';

export type BotMessage =
  | { event: 'media'; audio: Uint8Array }
  | { event: 'mark'; name: string }
  | { event: 'clear' };

export interface Violation {
  rule: TwilioRule;
  message: string;
}

export interface Inbound {
  /** `event` as sent, or a stand-in (`binary`, `invalid-json`, `unknown`) for frames that have none. */
  kind: string;
  /** The parsed JSON, or a short description of an unparseable frame. */
  raw: unknown;
  /** The message to act on; absent when Twilio would drop it. */
  message?: BotMessage;
  violations: Violation[];
}

/** Compiled once per process, before the first call streams (see bot-schema.ts). */
export const prepareInboundValidator = botSchemaValidator(
  new URL('../../../schemas/protocols/twilio-bot.schema.json', import.meta.url),
  (schema) => schema?.$defs?.media?.properties?.media?.properties?.payload,
  { allErrors: true, strictTypes: false },
);

function validate(data: unknown): ErrorObject[] {
  const check = prepareInboundValidator();
  return check(data) ? [] : (check.errors ?? []);
}

export function readBinaryFrame(bytes: number): Inbound {
  return {
    kind: 'binary',
    raw: `<binary frame, ${bytes} bytes>`,
    violations: [{ rule: 'binary-frame', message: `bot sent a binary frame (${bytes} bytes); Twilio accepts only JSON text (error 31950)` }],
  };
}

export function readTextFrame(text: string, streamSid: string): Inbound {
  const parsed = parseJsonObject(text, 'invalid-json');
  if ('problem' in parsed) return parsed.problem;
  const fields = parsed.fields;
  const raw: unknown = fields;
  const kind = typeof fields.event === 'string' ? fields.event : 'unknown';
  const violations = schemaViolations(kind, fields, validate(raw));
  const payload = kind === 'media' ? (fields.media as { payload?: unknown } | null | undefined)?.payload : undefined;
  const audio = typeof payload === 'string' ? decodeBase64(payload, true) : null;
  if (typeof payload === 'string' && audio === null) violations.push({ rule: 'payload-base64', message: 'bot media payload is not valid base64' });
  if (violations.length === 0 && fields.streamSid !== streamSid) {
    violations.push({ rule: 'stream-sid-wrong', message: `bot ${kind} names streamSid ${JSON.stringify(fields.streamSid)}, not this stream's ${streamSid}` });
  }
  // Twilio drops a message that is not exactly right; so does convotest, after recording why.
  if (violations.length > 0) return { kind, raw, violations };
  return { kind, raw, message: toMessage(fields, audio), violations };
}

/** `audio`: the media payload, already decoded. */
function toMessage(fields: Record<string, unknown>, audio: Buffer | null): BotMessage {
  if (fields.event === 'clear') return { event: 'clear' };
  if (fields.event === 'mark') return { event: 'mark', name: (fields.mark as { name: string }).name };
  return { event: 'media', audio: audio! };
}

/** Ajv's errors as rules, one violation per rule, in words that name the field. */
function schemaViolations(kind: string, fields: Record<string, unknown>, errors: ErrorObject[]): Violation[] {
  const found = new Map<TwilioRule, string>();
  const add = (rule: TwilioRule, message: string) => {
    if (!found.has(rule)) found.set(rule, message);
  };
  for (const error of errors) {
    // `if` branches only report that a branch failed; the `then` errors say why.
    if (error.keyword === 'if') continue;
    const path = error.instancePath;
    const missing = error.keyword === 'required' ? String(error.params['missingProperty']) : undefined;
    const extra = error.keyword === 'additionalProperties' ? String(error.params['additionalProperty']) : undefined;
    if ((path === '' && missing === 'event') || path === '/event') {
      add('unknown-event', typeof fields.event === 'string' ? `bot sent unknown event "${fields.event}"; Twilio accepts media, mark and clear (error 31951)` : 'bot message has no `event` string');
    } else if (path === '' && extra === 'stream_sid') {
      add('stream-sid-snake-case', `bot ${kind} uses \`stream_sid\`; Twilio expects \`streamSid\``);
    } else if ((path === '' && missing === 'streamSid') || path === '/streamSid') {
      // A `stream_sid` already explains the missing `streamSid`.
      if (!('stream_sid' in fields) || 'streamSid' in fields) add('stream-sid-missing', `bot ${kind} has ${describeSid(fields.streamSid)} \`streamSid\``);
    } else if ((path === '' && missing === 'mark') || path.startsWith('/mark')) {
      if (extra !== undefined) add('unknown-field', `bot mark has an unknown field mark.${extra}`);
      else add('mark-name', 'bot mark has no `mark.name` (a non-empty string)');
    } else if (extra !== undefined) {
      add('unknown-field', `bot ${kind} has a field Twilio does not define: ${path ? `${path.slice(1).replace(/\//g, '.')}.` : ''}${extra} (error 31951)`);
    } else {
      const at = path ? path.slice(1).replace(/\//g, '.') : kind;
      add('message-shape', missing ? `bot ${kind} has no \`${path ? `${at}.` : ''}${missing}\`` : `bot ${kind}: ${at} ${error.message ?? 'is invalid'}`);
    }
  }
  return [...found].map(([rule, message]) => ({ rule, message }));
}

function describeSid(sid: unknown): string {
  if (sid === undefined) return 'no';
  if (sid === null) return 'a null';
  if (sid === '') return 'an empty';
  return `a ${typeof sid}`;
}
