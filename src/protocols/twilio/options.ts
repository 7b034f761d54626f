/**
 * The suite's `twilio:` block (merged with the call's own) as the Twilio session uses it,
 * with every default in one place. The suite loader has already checked types and turned
 * durations into ms; this only fills in what was left out.
 */
import type { SignatureMode } from './signature.ts';

export type IdleMode = 'silence' | 'none';

export interface NetworkShape {
  /** Caller media frames sent together, every `bunch` × 20 ms (1 = one frame per slot). */
  bunch: number;
  /** Each frame held back by up to this many ms (order kept), like a congested path. */
  jitter: number;
}

export interface RestApiOptions {
  /** 0 = a free port, chosen per run. */
  port: number;
  host: string;
  /** Name of the customParameter that carries the API's base URL to the bot. */
  parameter: string;
}

export interface TwilioOptions {
  accountSid?: string;
  callSid?: string;
  streamSid?: string;
  /** Extra form fields posted to a voice webhook (FromCity, …), over the standard ones. */
  webhookFields: Record<string, string>;
  /** The URL Twilio would use for the target: signed instead of the dialled one, its host sent as Host. */
  publicUrl?: string;
  /** Replaces the scheme/host/port of the TwiML's stream URL before dialling. */
  streamHost?: string;
  /** Hosts a TwiML may send convotest to besides the webhook's own. */
  allowHosts: string[];
  authToken?: string;
  signature: SignatureMode;
  idle: IdleMode;
  /** start.tracks; by default from `<Stream track>`, else ["inbound"]. */
  tracks?: string[];
  /** ms between `connected` and `start`. */
  startDelay: number;
  network: NetworkShape;
  statusCallback?: string;
  statusCallbackMethod: 'GET' | 'POST';
  restApi?: RestApiOptions;
  /** ms after a `clear` during which bot audio still counts as in flight. */
  clearGrace: number;
}

export const DEFAULT_REST_PARAMETER = 'convotestRestApi';
export const DEFAULT_CLEAR_GRACE_MS = 50;

export function readTwilioOptions(raw: Record<string, unknown>): TwilioOptions {
  const str = (key: string) => (typeof raw[key] === 'string' && raw[key] !== '' ? (raw[key] as string) : undefined);
  const num = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
  const authToken = str('authToken');
  const network = (raw['network'] ?? {}) as Record<string, unknown>;
  const signature = raw['signature'];
  const options: TwilioOptions = {
    webhookFields: stringMap(raw['webhookFields']),
    allowHosts: Array.isArray(raw['allowHosts']) ? raw['allowHosts'].filter((h): h is string => typeof h === 'string') : [],
    signature: signature === 'valid' || signature === 'wrong' || signature === 'none' ? signature : authToken ? 'valid' : 'none',
    idle: raw['idle'] === 'none' ? 'none' : 'silence',
    startDelay: num(raw['startDelay'], 0),
    network: { bunch: Math.max(1, Math.floor(num(network['bunch'], 1))), jitter: Math.max(0, num(network['jitter'], 0)) },
    statusCallbackMethod: raw['statusCallbackMethod'] === 'GET' ? 'GET' : 'POST',
    clearGrace: num(raw['clearGrace'], DEFAULT_CLEAR_GRACE_MS),
  };
  for (const key of ['accountSid', 'callSid', 'streamSid', 'publicUrl', 'streamHost', 'statusCallback'] as const) {
    const value = str(key);
    if (value !== undefined) options[key] = value;
  }
  if (authToken !== undefined) options.authToken = authToken;
  if (Array.isArray(raw['tracks'])) options.tracks = raw['tracks'].filter((t): t is string => typeof t === 'string');
  const rest = raw['restApi'];
  if (rest === true || (typeof rest === 'object' && rest !== null)) {
    const r = (rest === true ? {} : rest) as Record<string, unknown>;
    options.restApi = {
      port: num(r['port'], 0),
      host: typeof r['host'] === 'string' ? r['host'] : '127.0.0.1',
      parameter: typeof r['parameter'] === 'string' ? r['parameter'] : DEFAULT_REST_PARAMETER,
    };
  }
  return options;
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
