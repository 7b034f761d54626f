/**
 * The suite's `audiocodes:` block, checked against schemas/audiocodes-options.schema.json and
 * turned into settings with every default filled in. A mistake is one line naming the key.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { parseDuration } from '../../clock/duration.ts';
import { closest } from '../../suite/suggest.ts';
import { CallSetupError, type CallSetup } from '../session.ts';

export type StreamPolicy = 'perTurn' | 'continuous';

export interface AudioCodesSettings {
  /** Empty when no Authorization header is to be sent. */
  token: string;
  botName: string;
  conversationId: string;
  caller: string;
  callee: string;
  callerDisplayName?: string;
  expectAudioMessages: boolean;
  supportedMediaFormats: string[];
  acceptTimeoutMs: number;
  streamAckTimeoutMs: number;
  chunkMs: number;
  streamPolicy: StreamPolicy;
  trailingSilenceMs: number;
  dtmfSpelling: 'DTMF' | 'dtmf';
  bargeIn: boolean;
  language?: string;
  /** The start event's parameters, complete. */
  startParameters: Record<string, unknown>;
}

export const DEFAULT_MEDIA_FORMATS = ['raw/lpcm16'];

const SCHEMA_FILE = new URL('../../../schemas/audiocodes-options.schema.json', import.meta.url);
let compiled: { validate: ValidateFunction; keys: string[] } | undefined;

function validator() {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { properties: Record<string, unknown> };
    const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false });
    compiled = { validate: ajv.compile(schema), keys: Object.keys(schema.properties) };
  }
  return compiled;
}

/** Checks the block; throws CallSetupError with the first problem, in one line. */
export function checkOptions(options: Record<string, unknown>): void {
  const { validate, keys } = validator();
  if (validate(options)) return;
  const error = validate.errors![0]!;
  const path = ['audiocodes', ...error.instancePath.split('/').slice(1)].join('.');
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    if (path !== 'audiocodes') throw new CallSetupError(`${path}.${key}: values there must be strings, numbers or booleans`);
    const hint = closest(key, keys);
    throw new CallSetupError(`audiocodes: unknown key \`${key}\`${hint ? ` — did you mean \`${hint}\`?` : `; known keys: ${keys.join(', ')}`}`);
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.join(', ');
    throw new CallSetupError(`${path} must be one of ${allowed}`);
  }
  if (error.keyword === 'pattern' || (error.keyword === 'type' && /duration/i.test(JSON.stringify(error.schemaPath)))) {
    throw new CallSetupError(`${path} is not a duration: write a number with a unit, like "800ms" or "5s"`);
  }
  throw new CallSetupError(`${path} ${error.message ?? 'is invalid'}`);
}

/** The settings for one call: the block after checking, defaults filled from the call. */
export function readSettings(setup: CallSetup): AudioCodesSettings {
  const options = setup.options;
  checkOptions(options);
  const string = (key: string) => (typeof options[key] === 'string' ? (options[key] as string) : undefined);
  const duration = (key: string, fallback: number) => (options[key] === undefined ? fallback : parseDuration(options[key] as string | number));
  const caller = string('caller') ?? setup.from;
  const callerDisplayName = string('callerDisplayName');
  const startParameters: Record<string, unknown> = {
    caller,
    callee: setup.to,
    ...(callerDisplayName !== undefined ? { callerDisplayName } : {}),
    ...((options.startParameters as Record<string, unknown> | undefined) ?? {}),
    ...setup.parameters,
  };
  return {
    token: string('token') ?? '',
    botName: string('botName') ?? 'convotest',
    conversationId: string('conversationId') ?? randomUUID(),
    caller,
    callee: setup.to,
    callerDisplayName,
    expectAudioMessages: options.expectAudioMessages !== false,
    supportedMediaFormats: (options.supportedMediaFormats as string[] | undefined) ?? DEFAULT_MEDIA_FORMATS,
    acceptTimeoutMs: duration('acceptTimeout', 5000),
    streamAckTimeoutMs: duration('streamAckTimeout', 3000),
    chunkMs: (options.chunkMs as number | undefined) ?? 20,
    streamPolicy: (options.streamPolicy as StreamPolicy | undefined) ?? 'perTurn',
    trailingSilenceMs: duration('trailingSilence', 0),
    dtmfSpelling: (options.dtmfSpelling as 'DTMF' | 'dtmf' | undefined) ?? 'DTMF',
    bargeIn: options.bargeIn === true,
    language: string('language'),
    startParameters,
  };
}
