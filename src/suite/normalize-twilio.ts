/**
 * The suite keys of the Twilio side and of protocol compliance: the `twilio:` block (at the
 * top and per call), `compliance:` severities and `underruns:` bounds. Reads are guarded
 * like the rest of normalize (the schema reports wrong types); this adds what the schema
 * cannot see: rule names that do not exist, a signature with nothing to sign it with.
 */
import { type Data, duration, isData, stringMap } from './values.ts';
import { TWILIO_RULES } from '../protocols/twilio/rules.ts';
import { URL_OPTIONS, urlOptionProblem } from '../protocols/twilio/stream-url.ts';
import type { Protocol, Severity, SourcePos, TwilioOptions, UnderrunLimit } from './model.ts';
import { closest } from './suggest.ts';
import type { DataPath } from './yaml-source.ts';


export interface TwilioReadContext {
  /** A problem at the value of `path`. */
  problem(path: DataPath, message: string): void;
  /** A problem at the key of `path`. */
  keyProblem(path: DataPath, message: string): void;
  pos(path: DataPath): SourcePos;
}

const STRING_KEYS = ['accountSid', 'callSid', 'streamSid', 'publicUrl', 'streamHost', 'authToken', 'statusCallback'] as const;
const SEVERITIES = new Set<Severity>(['error', 'warn', 'off']);

/** The keys written in a `twilio:` block; `parameters` only when written (a call's block may leave it out). */
export function readTwilioBlock(value: unknown): Partial<TwilioOptions> {
  if (!isData(value)) return {};
  const options: Partial<TwilioOptions> = {};
  if (isData(value['parameters'])) options.parameters = stringMap(value['parameters']);
  for (const key of STRING_KEYS) {
    if (typeof value[key] === 'string' && value[key] !== '') options[key] = value[key] as string;
  }
  if (isData(value['webhookFields'])) options.webhookFields = stringMap(value['webhookFields']);
  if (Array.isArray(value['allowHosts'])) options.allowHosts = value['allowHosts'].filter((h): h is string => typeof h === 'string');
  const signature = value['signature'];
  if (signature === 'valid' || signature === 'wrong' || signature === 'none') options.signature = signature;
  if (value['idle'] === 'silence' || value['idle'] === 'none') options.idle = value['idle'];
  if (Array.isArray(value['tracks'])) options.tracks = value['tracks'].filter((t): t is 'inbound' | 'outbound' => t === 'inbound' || t === 'outbound');
  const startDelay = duration(value['startDelay']);
  if (startDelay !== undefined) options.startDelay = startDelay;
  const clearGrace = duration(value['clearGrace']);
  if (clearGrace !== undefined) options.clearGrace = clearGrace;
  if (isData(value['network'])) {
    const network: { bunch?: number; jitter?: number } = {};
    const bunch = value['network']['bunch'];
    if (typeof bunch === 'number' && Number.isInteger(bunch) && bunch >= 1) network.bunch = bunch;
    const jitter = duration(value['network']['jitter']);
    if (jitter !== undefined) network.jitter = jitter;
    options.network = network;
  }
  if (value['statusCallbackMethod'] === 'GET' || value['statusCallbackMethod'] === 'POST') options.statusCallbackMethod = value['statusCallbackMethod'];
  const rest = value['restApi'];
  if (rest === true) options.restApi = { port: 0 };
  else if (isData(rest)) {
    options.restApi = { port: typeof rest['port'] === 'number' ? rest['port'] : 0 };
    if (typeof rest['host'] === 'string') options.restApi.host = rest['host'];
    if (typeof rest['parameter'] === 'string') options.restApi.parameter = rest['parameter'];
  }
  return options;
}

/** The options a call runs with: the suite's, then the call's own, key by key. */
export function mergeTwilio(suite: TwilioOptions, call: Partial<TwilioOptions> | undefined): TwilioOptions {
  if (!call) return suite;
  return { ...suite, ...call, parameters: { ...suite.parameters, ...call.parameters } };
}

/** URLs and hosts in a `twilio:` block that could never be dialled: found now, with their place, not at the first call. */
export function checkUrls(written: Partial<TwilioOptions>, path: DataPath, context: TwilioReadContext): void {
  for (const key of URL_OPTIONS) {
    const value = written[key];
    const problem = value === undefined ? null : urlOptionProblem(key, value);
    if (problem) context.problem([...path, key], `\`${key}\` ${problem}`);
  }
}

/** `signature: valid` signs with the auth token: without one there is nothing to sign with. */
export function checkSignature(options: TwilioOptions, written: Partial<TwilioOptions>, path: DataPath, context: TwilioReadContext): void {
  if (written.signature === 'valid' && options.authToken === undefined) {
    context.problem([...path, 'signature'], '`signature: valid` needs `authToken` (e.g. authToken: ${TWILIO_AUTH_TOKEN}) to sign with');
  }
}

/** `compliance: { rule: severity }`; for Twilio suites, a rule that does not exist is a problem. */
export function readCompliance(value: unknown, protocol: Protocol, context: TwilioReadContext): Record<string, Severity> {
  if (!isData(value)) return {};
  const severities: Record<string, Severity> = {};
  const known = Object.keys(TWILIO_RULES);
  for (const [rule, severity] of Object.entries(value)) {
    if (typeof severity !== 'string' || !SEVERITIES.has(severity as Severity)) continue;
    if (protocol === 'twilio' && !known.includes(rule)) {
      const suggestion = closest(rule, known);
      context.keyProblem(
        ['compliance', rule],
        `unknown compliance rule \`${rule}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''} (rules: ${known.join(', ')})`,
      );
      continue;
    }
    severities[rule] = severity as Severity;
  }
  return severities;
}

export function readUnderruns(value: unknown, path: DataPath, context: TwilioReadContext): UnderrunLimit | undefined {
  if (!isData(value)) return undefined;
  const limit: UnderrunLimit = { pos: context.pos(path) };
  if (typeof value['max'] === 'number' && Number.isInteger(value['max']) && value['max'] >= 0) limit.max = value['max'];
  const total = duration(value['maxTotal']);
  if (total !== undefined) limit.maxTotal = total;
  return limit.max === undefined && limit.maxTotal === undefined ? undefined : limit;
}

