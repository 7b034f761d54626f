/**
 * A bot for tests: a real WebSocket server on 127.0.0.1 that records every frame it gets
 * and lets the test script its replies. Deliberately dumb: each test says what it sends.
 */
import { WebSocketServer, type WebSocket } from 'ws';

export interface ScriptedConnection {
  socket: WebSocket;
  /** Parsed JSON frames from convotest, in arrival order. */
  received: Record<string, any>[];
  /** Resolves with the first received message (from `from` on) that satisfies `test`. */
  waitFor(test: (message: Record<string, any>) => boolean, from?: number): Promise<{ message: Record<string, any>; index: number }>;
  send(message: unknown): void;
  closed: Promise<{ code: number }>;
}

export interface ScriptedBot {
  url: string;
  connections: ScriptedConnection[];
  /** Resolves with the next (or an already open) connection. */
  nextConnection(): Promise<ScriptedConnection>;
  /** Headers of each upgrade request, in order. */
  upgrades: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

export async function startScriptedBot(onConnection?: (connection: ScriptedConnection) => void, path = '/bot'): Promise<ScriptedBot> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once('listening', resolve));
  const connections: ScriptedConnection[] = [];
  const upgrades: ScriptedBot['upgrades'] = [];
  const waiting: ((connection: ScriptedConnection) => void)[] = [];
  server.on('connection', (socket, request) => {
    upgrades.push(request.headers);
    const received: Record<string, any>[] = [];
    const listeners = new Set<() => void>();
    const connection: ScriptedConnection = {
      socket,
      received,
      waitFor(test, from = 0) {
        return new Promise((resolve) => {
          const check = () => {
            for (let i = from; i < received.length; i++) {
              if (test(received[i]!)) {
                listeners.delete(check);
                resolve({ message: received[i]!, index: i });
                return true;
              }
            }
            return false;
          };
          if (!check()) listeners.add(check);
        });
      },
      send(message) {
        socket.send(typeof message === 'string' ? message : JSON.stringify(message));
      },
      closed: new Promise((resolve) => socket.once('close', (code) => resolve({ code }))),
    };
    socket.on('message', (data, isBinary) => {
      received.push(isBinary ? { binary: true } : JSON.parse(String(data)));
      for (const listener of [...listeners]) listener();
    });
    connections.push(connection);
    onConnection?.(connection);
    waiting.shift()?.(connection);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}${path}`,
    connections,
    upgrades,
    nextConnection: () =>
      new Promise((resolve) => {
        const open = connections.find((c) => c.socket.readyState === c.socket.OPEN && !(c as { taken?: boolean }).taken);
        if (open) {
          (open as { taken?: boolean }).taken = true;
          resolve(open);
        } else {
          waiting.push((c) => {
            (c as { taken?: boolean }).taken = true;
            resolve(c);
          });
        }
      }),
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
