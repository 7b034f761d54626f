/**
 * Opens the WebSocket to the bot and turns every way that can fail into one line a user can
 * act on (refused, wrong host, HTTP answer instead of an upgrade, untrusted certificate, too
 * slow). Once open, the connection is watched (see guard.ts) when the caller asks for it.
 */
import { rootCertificates } from 'node:tls';
import WebSocket from 'ws';
import { formatMs } from '../clock/duration.ts';
import { guardSocket, MAX_MESSAGE_BYTES, type ConnectionPolicy } from './guard.ts';
import { redactUrl } from './redact.ts';
import { captureRawSocket } from './ws-frame.ts';
import { CallRefusedError, CallSetupError } from './session.ts';

/** How wss:// and https:// certificates are checked: by default against the system's CAs. */
export interface TlsPolicy {
  /** PEM of a private CA trusted in addition to the system's (the CLI's --ca). */
  ca?: string;
  /** Skip verification altogether (the CLI's --insecure). */
  insecure?: boolean;
}

export interface OpenOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Shown in messages instead of the URL when it carries credentials; defaults to the URL with secrets redacted. */
  displayUrl?: string;
  tls?: TlsPolicy;
  /** Watch the open connection (idle, back-pressure, floods, oversized frames) and report faults here. */
  guard?: ConnectionPolicy;
}

/** Options for https.request / tls.connect that follow the policy (webhooks use them too). */
export function tlsOptions(tls: TlsPolicy | undefined): { ca?: string[]; rejectUnauthorized: boolean } {
  // A given CA replaces Node's default list; the public roots are kept so other targets still verify.
  return { ca: tls?.ca ? [...rootCertificates, tls.ca] : undefined, rejectUnauthorized: !tls?.insecure };
}

/** Opens the socket; it comes back paused: attach the listeners, then call `resume()`. */
export function openSocket(url: string, options: OpenOptions): Promise<WebSocket> {
  const shown = options.displayUrl ?? redactUrl(url);
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        headers: options.headers,
        // Twilio and AudioCodes do not compress; a bot that requires it must fail here too.
        perMessageDeflate: false,
        handshakeTimeout: options.timeoutMs,
        // ws would otherwise buffer frames of up to 100 MiB from a misbehaving bot.
        maxPayload: MAX_MESSAGE_BYTES,
        ...tlsOptions(options.tls),
      });
    } catch (error) {
      reject(new CallSetupError(`cannot dial ${shown}: ${(error as Error).message}`));
      return;
    }
    captureRawSocket(socket);
    const fail = (message: string, status?: number) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(status === undefined ? new CallSetupError(message) : new CallRefusedError(message, status));
    };
    socket.once('open', () => {
      socket.removeAllListeners('error');
      socket.removeAllListeners('unexpected-response');
      // Errors after the handshake are the session's to report; a socket must never be without a listener.
      socket.on('error', () => {});
      if (options.guard) guardSocket(socket, options.guard);
      // Frames that came in the same read as the 101 answer would otherwise be emitted before
      // the session has attached its listener; the session resumes once it listens.
      socket.pause();
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const hint = status === 401 || status === 403 ? ' (authentication rejected)' : '';
      fail(`${shown} answered HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + `${hint} instead of accepting the WebSocket`, status);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => fail(describeSocketError(shown, error, options.timeoutMs)));
  });
}

/** OpenSSL's verdicts on a certificate the bot presented. */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function describeSocketError(url: string, error: NodeJS.ErrnoException, timeoutMs: number): string {
  const reason = networkProblem(error, 'wss://');
  if (reason !== undefined) return `cannot connect to ${url}: ${reason}`;
  if (/timed out|timeout/i.test(error.message)) {
    return `cannot connect to ${url}: no WebSocket handshake within ${formatMs(timeoutMs)} (limits.connect)`;
  }
  return `cannot connect to ${url}: ${error.message}`;
}

/**
 * Why a connection to the bot failed, in words a user can act on, for the failures every
 * connection shares (the WebSocket, and the voice webhook and status callbacks over HTTP):
 * refused, unknown host, reset, and each way a TLS certificate is turned down. Undefined
 * when the error is none of those; the caller words it.
 */
export function networkProblem(error: NodeJS.ErrnoException, scheme: 'wss://' | 'https://'): string | undefined {
  const code = error.code ?? '';
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `its TLS certificate is not trusted (${error.message}); if a private CA signed it, pass that CA with --ca <file> (--insecure skips the check, for throwaway test setups only)`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `its TLS certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}; renew it (--insecure skips the check, for throwaway test setups only)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `its TLS certificate is for another host (${error.message}); dial the name the certificate was issued for`;
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return `the TLS handshake failed (${opensslReason(error.message)}); check that the bot really serves ${scheme} there`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the bot running and listening there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return undefined;
  }
}

/** OpenSSL's one-line verdict ("wrong version number") out of the multi-line dump Node passes on. */
function opensslReason(message: string): string {
  return /SSL routines:[^:]*:([^:\n]+)/.exec(message)?.[1]?.trim() ?? message.split('\n')[0]!.trim();
}
