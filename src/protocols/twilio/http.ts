/**
 * The HTTP requests Twilio makes (voice webhook, status callbacks), with node:http rather
 * than fetch: fetch will not send a Host header that differs from the URL, and a bot that
 * checks signatures against its public URL needs exactly that.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatMs } from '../../clock/duration.ts';
import { networkProblem, tlsOptions, type TlsPolicy } from '../connect.ts';

export interface HttpReply {
  status: number;
  statusText: string;
  contentType: string;
  body: string;
}

export interface HttpOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Form fields: the body of a POST, or the query string of a GET. */
  form: Record<string, string>;
  timeoutMs: number;
  /** How https:// certificates are checked (--ca, --insecure). */
  tls?: TlsPolicy;
}

/** Bodies beyond this are cut: TwiML is small, and a bot must not fill convotest's memory. */
const MAX_BODY_BYTES = 1 << 20;

export class HttpError extends Error {}

export function sendForm(target: string, options: HttpOptions): Promise<HttpReply> {
  const url = new URL(target);
  const encoded = new URLSearchParams(options.form).toString();
  const headers: Record<string, string> = { ...options.headers };
  if (options.method === 'GET') {
    if (encoded) url.search = url.search ? `${url.search}&${encoded}` : `?${encoded}`;
  } else {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(encoded));
  }
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: options.method, headers, timeout: options.timeoutMs, agent: false, ...(secure ? tlsOptions(options.tls) : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
        }),
      );
      res.on('error', (error) => reject(new HttpError(error.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${formatMs(options.timeoutMs)}`)));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new HttpError(networkProblem(error, 'https://') ?? error.message)));
    req.end(options.method === 'POST' ? encoded : undefined);
  });
}

/** The start of a body, on one line, for an error message. */
export function bodyExcerpt(body: string, max = 160): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
