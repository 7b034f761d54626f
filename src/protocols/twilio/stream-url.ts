/**
 * Where a TwiML may send convotest, and where it really dials. A webhook's TwiML names URLs
 * (the stream, the status callback) that convotest then connects to, carrying signatures:
 * only the webhook's own host is trusted unless the suite widens it (`allowHosts`), or takes
 * the host out of the TwiML's hands altogether (`streamHost`).
 */
import { redactUrl } from '../redact.ts';
import { CallSetupError } from '../session.ts';
import type { TwilioOptions } from './options.ts';

export interface StreamTarget {
  /** The URL dialled. */
  dial: string;
  /** The URL signed: the one the bot believes it is reached at. */
  signUrl: string;
  /** Sent as Host when it differs from the dialled host. */
  hostHeader?: string;
  /** The TwiML URL carries a query string, which real Twilio refuses. */
  hasQuery: boolean;
}

export interface HostPolicy {
  webhookUrl: string;
  allowHosts: string[];
  streamHost?: string;
}

export function hostAllowed(url: URL, policy: HostPolicy): boolean {
  const webhook = new URL(policy.webhookUrl);
  if (url.hostname.toLowerCase() === webhook.hostname.toLowerCase()) return true;
  return policy.allowHosts.some((entry) => matchesHost(url, entry));
}

function matchesHost(url: URL, entry: string): boolean {
  const pattern = entry.trim().toLowerCase();
  const hostname = url.hostname.toLowerCase();
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  if (pattern.includes(':') && !pattern.startsWith('[')) return url.host.toLowerCase() === pattern || `${hostname}:${defaultPort(url)}` === pattern;
  return hostname === pattern;
}

function defaultPort(url: URL): string {
  if (url.port) return url.port;
  return url.protocol === 'wss:' || url.protocol === 'https:' ? '443' : '80';
}

/** The TwiML's stream URL, checked against the policy and rewritten by `streamHost`. */
export function resolveStreamUrl(twimlUrl: string, policy: HostPolicy): StreamTarget {
  let url: URL;
  try {
    url = new URL(twimlUrl);
  } catch {
    throw new CallSetupError(`the TwiML's <Stream url="${twimlUrl}"> is not an absolute URL; Twilio needs wss://host/path`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new CallSetupError(`the TwiML's <Stream url="${twimlUrl}"> must be a wss:// (or, locally, ws://) URL`);
  }
  const hasQuery = url.search !== '';
  if (policy.streamHost) {
    const dial = rewriteHost(url, policy.streamHost);
    return { dial: dial.toString(), signUrl: twimlUrl, hostHeader: url.host, hasQuery };
  }
  if (!hostAllowed(url, policy)) {
    throw new CallSetupError(
      `the TwiML sends the stream to ${url.host}, which is neither the webhook's host (${new URL(policy.webhookUrl).host}) nor in twilio.allowHosts; ` +
        'add it to allowHosts, or set twilio.streamHost to dial your bot directly',
    );
  }
  return { dial: twimlUrl, signUrl: twimlUrl, hasQuery };
}

/**
 * The URLs of the `twilio:` block, read before anything is dialled. The suite's schema checks
 * their shape only (`http://[x` passes), and the sites that use them would fail with a bare
 * "Invalid URL" deep inside the call: say which option it is and what to write instead.
 */
/** The twilio: options that hold a URL or a host to dial. */
export const URL_OPTIONS = ['publicUrl', 'statusCallback', 'streamHost'] as const;
export type UrlOption = (typeof URL_OPTIONS)[number];

/**
 * What is wrong with the value of a URL option, or null. Worded without the value, which may
 * have come from an environment variable: the caller shows it (redacted) or points at it.
 */
export function urlOptionProblem(key: UrlOption, value: string): string | null {
  if (key === 'streamHost') {
    try {
      rewriteHost(new URL('wss://stream.example/'), value);
      return null;
    } catch {
      return 'is not a host to dial; write host:port (127.0.0.1:8080) or scheme://host:port (ws://127.0.0.1:8080)';
    }
  }
  const example = key === 'publicUrl' ? 'https://bot.example.com/voice or wss://bot.example.com/stream' : 'https://bot.example.com/stream-status';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a URL; write a full URL, like ${example}`;
  }
  if (key === 'publicUrl' && !/^(wss?|https?):$/.test(url.protocol)) return 'must be an http(s):// or ws(s):// URL';
  // statusCallback's scheme is the suite schema's to check (its pattern says http(s)://).
  return null;
}

/** Throws a CallSetupError for the first URL option that cannot be used (a suite loader checks them first; options can come from elsewhere). */
export function checkOptionUrls(options: Pick<TwilioOptions, UrlOption>): void {
  for (const key of URL_OPTIONS) {
    const value = options[key];
    const problem = value === undefined ? null : urlOptionProblem(key, value);
    if (problem) throw optionError(key, value!, problem);
  }
}

function optionError(key: string, value: string, problem: string): CallSetupError {
  return new CallSetupError(`twilio.${key} ${JSON.stringify(redactUrl(value))} ${problem}`);
}

/** `127.0.0.1:8080` keeps the scheme; `ws://127.0.0.1:8080` replaces it too. */
export function rewriteHost(url: URL, streamHost: string): URL {
  const rewritten = new URL(url.toString());
  const withScheme = /^[a-z]+:\/\//i.test(streamHost) ? new URL(streamHost) : new URL(`${url.protocol}//${streamHost}`);
  rewritten.protocol = withScheme.protocol;
  rewritten.host = withScheme.host;
  return rewritten;
}

/** A callback URL from the TwiML: relative ones are resolved against the webhook; others must pass the policy. */
export function resolveCallbackUrl(value: string, policy: HostPolicy): string {
  let url: URL;
  try {
    url = new URL(value, policy.webhookUrl);
  } catch {
    throw new CallSetupError(`the TwiML's statusCallback "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CallSetupError(`the TwiML's statusCallback "${value}" must be an http(s) URL`);
  if (!hostAllowed(url, policy)) {
    throw new CallSetupError(
      `the TwiML's statusCallback goes to ${url.host}, which is neither the webhook's host nor in twilio.allowHosts; add it to allowHosts`,
    );
  }
  return url.toString();
}
