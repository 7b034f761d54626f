/**
 * Where a TwiML may send convotest, and where it really dials. A webhook's TwiML names URLs
 * (the stream, the status callback) that convotest then connects to, carrying signatures:
 * only the webhook's own host is trusted unless the suite widens it (`allowHosts`), or takes
 * the host out of the TwiML's hands altogether (`streamHost`).
 */
import { CallSetupError } from '../session.ts';

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
