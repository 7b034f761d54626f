/**
 * A local stand-in for the one corner of Twilio's REST API voice bots use during a call:
 * `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` with `Status=completed`
 * (or TwiML with `<Hangup/>`), which is how pipecat-style bots hang up. One server per
 * host and port is shared by all calls of the process; each call registers its CallSid.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { RestApiOptions } from './options.ts';

export interface RestCall {
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  /** When set, requests must carry Basic auth AccountSid:authToken, as Twilio requires. */
  authToken?: string;
  /** The bot ended the call; `how` says with what (`Status=completed`, `<Hangup/>`). */
  onEnd(how: string): void;
  /** Anything else the bot asked for, for the timeline. */
  onRequest(summary: string): void;
}

interface Shared {
  server: Server;
  baseUrl: string;
  calls: Map<string, RestCall>;
  users: number;
}

const servers = new Map<string, Promise<Shared>>();
const CALL_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const MAX_BODY = 64 * 1024;

export interface RestLease {
  /** e.g. http://127.0.0.1:43121 — the bot appends /2010-04-01/Accounts/… */
  baseUrl: string;
  release(): Promise<void>;
}

export async function openRestApi(options: RestApiOptions, call: RestCall): Promise<RestLease> {
  const key = `${options.host}:${options.port}`;
  let shared = servers.get(key);
  if (!shared) {
    shared = listen(options);
    servers.set(key, shared);
    shared.catch(() => servers.delete(key));
  }
  const api = await shared;
  api.users++;
  api.calls.set(call.callSid, call);
  let released = false;
  return {
    baseUrl: api.baseUrl,
    release: async () => {
      if (released) return;
      released = true;
      api.calls.delete(call.callSid);
      if (--api.users > 0) return;
      servers.delete(key);
      await new Promise<void>((resolve) => {
        api.server.close(() => resolve());
        api.server.closeAllConnections();
      });
    },
  };
}

function listen(options: RestApiOptions): Promise<Shared> {
  const calls = new Map<string, RestCall>();
  const server = createServer((req, res) => void handle(req, res, calls));
  // Bots keep connections alive; the server must still close when the last call ends.
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve the fake Twilio REST API on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`)),
    );
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as { port: number };
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      server.on('connection', (socket) => socket.unref());
      resolve({ server, baseUrl: `http://${host}:${port}`, calls, users: 0 });
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, calls: Map<string, RestCall>): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const match = CALL_PATH.exec(path);
  const call = match ? calls.get(decodeURIComponent(match[2]!)) : undefined;
  if (!match || !call || call.accountSid !== decodeURIComponent(match[1]!)) {
    return reply(res, 404, { code: 20404, message: `The requested resource ${path} was not found`, more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
  }
  if (call.authToken !== undefined && !authorized(req.headers.authorization, call.accountSid, call.authToken)) {
    call.onRequest(`REST API ${req.method} refused: no valid Basic auth (AccountSid:authToken)`);
    return reply(res, 401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
  }
  let status = 'in-progress';
  if (req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const requested = form.get('Status');
    const twiml = form.get('Twiml');
    if (requested === 'completed' || requested === 'canceled') {
      status = requested;
      call.onEnd(`Status=${requested}`);
    } else if (twiml !== null && /<Hangup\s*\/?>/.test(twiml)) {
      status = 'completed';
      call.onEnd('Twiml <Hangup/>');
    } else {
      call.onRequest(`REST API update not emulated: ${[...form.keys()].join(', ') || '(no fields)'}`);
    }
  } else if (req.method !== 'GET') {
    return reply(res, 405, { code: 20004, message: 'Method not allowed', status: 405 });
  }
  reply(res, 200, {
    sid: call.callSid,
    account_sid: call.accountSid,
    from: call.from,
    to: call.to,
    status,
    direction: 'inbound',
    api_version: '2010-04-01',
    uri: `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.callSid}.json`,
  });
}

function authorized(header: string | undefined, accountSid: string, authToken: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6), 'base64');
  const expected = Buffer.from(`${accountSid}:${authToken}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
