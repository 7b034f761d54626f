/**
 * Opens the WebSocket to the bot and turns every way that can fail into one line a user can
 * act on (refused, wrong host, HTTP answer instead of an upgrade, too slow).
 */
import WebSocket from 'ws';
import { CallSetupError } from './session.ts';

export interface OpenOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Shown in messages instead of the URL when it carries credentials. */
  displayUrl?: string;
}

export function openSocket(url: string, options: OpenOptions): Promise<WebSocket> {
  const shown = options.displayUrl ?? url;
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        headers: options.headers,
        // Twilio and AudioCodes do not compress; a bot that requires it must fail here too.
        perMessageDeflate: false,
        handshakeTimeout: options.timeoutMs,
      });
    } catch (error) {
      reject(new CallSetupError(`cannot dial ${shown}: ${(error as Error).message}`));
      return;
    }
    const fail = (message: string) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(new CallSetupError(message));
    };
    socket.once('open', () => {
      socket.removeAllListeners('error');
      socket.removeAllListeners('unexpected-response');
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const hint = status === 401 || status === 403 ? ' (authentication rejected)' : '';
      fail(`${shown} answered HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + `${hint} instead of accepting the WebSocket`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => fail(describeSocketError(shown, error, options.timeoutMs)));
  });
}

function describeSocketError(url: string, error: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${url}: connection refused (is the bot running and listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${url}: host not found`;
    case 'ECONNRESET':
      return `cannot connect to ${url}: the connection was reset during the handshake`;
    default:
      if (/timed out|timeout/i.test(error.message)) {
        return `cannot connect to ${url}: no WebSocket handshake within ${timeoutMs}ms`;
      }
      return `cannot connect to ${url}: ${error.message}`;
  }
}
