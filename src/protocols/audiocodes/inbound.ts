/**
 * Reads one frame from the bot: parses it, checks it against
 * schemas/protocols/audiocodes-bot.schema.json, and hands back a typed message. Problems
 * become violation records, never exceptions: a gateway logs a bad message and the call goes
 * on. The rules that need the call's state (stream ids, ordering, offered formats) are the
 * session's and the playback's.
 */
import { decodeBase64 } from '../base64.ts';
import { excerpt, parseJsonObject } from '../json-frame.ts';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { botSchemaValidator } from '../bot-schema.ts';

export interface Violation {
  rule: string;
  message: string;
}

export interface BotActivity {
  type: string;
  name?: string;
  text?: string;
  value?: unknown;
  activityParams: Record<string, unknown>;
  sessionParams: Record<string, unknown>;
}

export type BotMessage =
  | { type: 'session.accepted'; mediaFormat?: string }
  | { type: 'session.error'; reason?: string }
  | { type: 'userStream.started' | 'userStream.stopped' }
  | { type: 'userStream.speech.started' | 'userStream.speech.stopped' | 'userStream.speech.committed' }
  | { type: 'userStream.speech.hypothesis' | 'userStream.speech.recognition'; text: string }
  | { type: 'playStream.start'; streamId: string; mediaFormat?: string; altText?: string }
  | { type: 'playStream.chunk'; streamId: string; audio: Uint8Array }
  | { type: 'playStream.stop'; streamId: string }
  | { type: 'activities'; activities: BotActivity[] }
  | { type: 'connection.validated' };

export interface Inbound {
  /** `type` as sent, or a stand-in (`binary`, `invalid-json`, `unknown`) for frames without one. */
  kind: string;
  /** The parsed JSON, or a short description of an unparseable frame. */
  raw: unknown;
  /** The message to act on; absent when it is unusable. */
  message?: BotMessage;
  violations: Violation[];
}

const KNOWN_TYPES = new Set([
  'session.accepted',
  'session.error',
  'userStream.started',
  'userStream.stopped',
  'userStream.speech.started',
  'userStream.speech.stopped',
  'userStream.speech.committed',
  'userStream.speech.hypothesis',
  'userStream.speech.recognition',
  'playStream.start',
  'playStream.chunk',
  'playStream.stop',
  'activities',
  'connection.validated',
]);

/** Compiled once per process, before the first call streams (see bot-schema.ts). */
export const prepareInboundValidator = botSchemaValidator(
  new URL('../../../schemas/protocols/audiocodes-bot.schema.json', import.meta.url),
  (schema) => schema?.$defs?.base64,
  { allErrors: true, verbose: true, allowUnionTypes: true, strictTypes: false },
);

function validate(data: unknown): ErrorObject[] {
  const check = prepareInboundValidator();
  return check(data) ? [] : (check.errors ?? []);
}

/** Ajv's errors, worded for a report: the branch errors of if/anyOf say nothing on their own. */
function describeErrors(kind: string, errors: ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' || /\/anyOf\/\d+\//.test(error.schemaPath)) continue;
    const where = error.instancePath ? `\`${error.instancePath.slice(1).replaceAll('/', '.')}\`` : kind;
    if (error.keyword === 'anyOf') {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      lines.push(`${where} does not fit any accepted shape${description ? ` (${description})` : ''}`);
    } else if (error.keyword === 'required') {
      lines.push(`${where} has no \`${(error.params as { missingProperty: string }).missingProperty}\``);
    } else {
      lines.push(`${where} ${error.message ?? 'is invalid'}`);
    }
  }
  return [...new Set(lines)];
}

export function readBinaryFrame(bytes: number): Inbound {
  return {
    kind: 'binary',
    raw: `<binary frame, ${bytes} bytes>`,
    violations: [{ rule: 'binary-frame', message: `bot sent a binary frame (${bytes} bytes); the Bot API carries audio as base64 inside JSON text frames` }],
  };
}

export function readTextFrame(text: string): Inbound {
  const parsed = parseJsonObject(text, 'not-an-object');
  if ('problem' in parsed) return parsed.problem;
  const fields = parsed.fields;
  const raw: unknown = fields;
  if (typeof fields.type !== 'string' || fields.type === '') {
    const message = fields.type === undefined ? 'bot message has no `type` field' : `bot message has a \`type\` that is not a name: ${JSON.stringify(fields.type)}`;
    return { kind: 'unknown', raw, violations: [{ rule: 'missing-type', message }] };
  }
  const kind = fields.type;
  if (!KNOWN_TYPES.has(kind)) {
    return { kind, raw, violations: [{ rule: 'unknown-type', message: `bot sent unknown message type "${kind}"` }] };
  }
  const errors = describeErrors(kind, validate(fields));
  const audio = kind === 'playStream.chunk' && typeof fields.audioChunk === 'string' ? decodeBase64(fields.audioChunk, false) : undefined;
  if (audio === null) errors.push('`audioChunk` is not base64 (standard alphabet; `=` padding, if any, to a multiple of 4)');
  if (errors.length > 0) {
    return { kind, raw, violations: [{ rule: 'schema', message: `bot ${kind}: ${errors.join('; ')}` }] };
  }
  return { kind, raw, message: toMessage(kind, fields, audio ?? undefined), violations: [] };
}

/** Fields already passed the schema; this only picks them out, tolerating nulls and name variants. */
function toMessage(kind: string, fields: Record<string, any>, audio?: Buffer): BotMessage {
  const optional = (value: unknown) => (typeof value === 'string' ? value : undefined);
  switch (kind) {
    case 'session.accepted':
      return { type: kind, mediaFormat: optional(fields.mediaFormat) };
    case 'session.error':
      return { type: kind, reason: optional(fields.reason) };
    case 'userStream.speech.hypothesis':
    case 'userStream.speech.recognition': {
      const text = Array.isArray(fields.alternatives) && fields.alternatives.length > 0 ? fields.alternatives[0].text : fields.text;
      return { type: kind, text: String(text ?? '') };
    }
    case 'playStream.start':
      return { type: kind, streamId: String(fields.streamId), mediaFormat: optional(fields.mediaFormat), altText: optional(fields.altText) };
    case 'playStream.chunk':
      return { type: kind, streamId: String(fields.streamId), audio: audio! };
    case 'playStream.stop':
      return { type: kind, streamId: String(fields.streamId) };
    case 'activities':
      return { type: kind, activities: (fields.activities as Record<string, any>[]).map(toActivity) };
    default:
      return { type: kind } as BotMessage;
  }
}

function toActivity(fields: Record<string, any>): BotActivity {
  const record = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
  const activity: BotActivity = { type: fields.type, activityParams: record(fields.activityParams), sessionParams: record(fields.sessionParams) };
  if (typeof fields.name === 'string') activity.name = fields.name;
  if (typeof fields.text === 'string') activity.text = fields.text;
  if (fields.value !== undefined && fields.value !== null) activity.value = fields.value;
  return activity;
}

/** A message fit to keep in a violation record: the shape, not the audio bytes. */
export function elideAudio(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const fields = raw as Record<string, unknown>;
  if (typeof fields.audioChunk !== 'string') return fields;
  return { ...fields, audioChunk: `<${Buffer.byteLength(fields.audioChunk, 'base64')} bytes>` };
}
