/** Real servers and a real Twilio session for the Twilio tests: an HTTP endpoint that records what it is sent. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { TwilioCallerSession } from '../../src/protocols/twilio/caller.ts';
import type { ProtocolEvent, WireMessage } from '../../src/protocols/events.ts';
import type { CallSetup } from '../../src/protocols/session.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}

export interface HttpStub {
  url: string;
  host: string;
  requests: RecordedRequest[];
  /** Resolves with the first request (from index `from`) that satisfies `test`. */
  waitFor(test: (request: RecordedRequest) => boolean, from?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export type Answer = { status?: number; type?: string; body: string };

/** An HTTP server on 127.0.0.1 that records each request's form and answers with `answer(request)`. */
export async function startHttp(answer: (request: RecordedRequest) => Answer): Promise<HttpStub> {
  const requests: RecordedRequest[] = [];
  const listeners = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const form = Object.fromEntries(req.method === 'GET' ? query : new URLSearchParams(body));
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, form };
      requests.push(request);
      for (const listener of [...listeners]) listener();
      const { status = 200, type = 'text/xml', body: reply } = answer(request);
      res.writeHead(status, { 'Content-Type': type });
      res.end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    waitFor: (test, from = 0) =>
      new Promise((resolve) => {
        const check = () => {
          const found = requests.slice(from).find(test);
          if (found) {
            listeners.delete(check);
            resolve(found);
          }
        };
        listeners.add(check);
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const twiml = (inner: string): Answer => ({ body: `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>` });

export interface OpenSession {
  session: TwilioCallerSession;
  events: ProtocolEvent[];
  wire: WireMessage[];
  heard: (Int16Array | null)[];
}

/** A Twilio session with everything it reports collected; disposed when the test ends. */
export function newSession(
  t: { after(fn: () => unknown): void },
  target: string,
  options: Record<string, unknown> = {},
  setup: Partial<CallSetup> = {},
): OpenSession {
  const events: ProtocolEvent[] = [];
  const wire: WireMessage[] = [];
  const heard: (Int16Array | null)[] = [];
  const origin = performance.now();
  const session = new TwilioCallerSession(
    { target, from: '+15550001111', to: '+15550002222', parameters: {}, options, connectTimeout: 5000, ...setup },
    { origin, now: () => performance.now() - origin },
    { event: (e) => events.push(e), wire: (m) => wire.push(m), frame: (_t, _caller, bot) => heard.push(bot) },
  );
  t.after(() => session.dispose());
  return { session, events, wire, heard };
}

/** Waits until `test` holds, checking every 10 ms; gives up (false) after `ms`. */
export async function until(test: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
