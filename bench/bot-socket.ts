/**
 * A bare WebSocket server for the bench bot, on `net` directly. At a thousand calls the bot
 * takes 50 000 caller frames a second on the same two cores as the runner; the `ws` server
 * (streams, an event and a Buffer per message) cost it about as much CPU as the runner
 * spends, and every millisecond the bot spends is one the runner cannot have. This one
 * parses frames in place and hands the bot the unmasked bytes of each message.
 *
 * Just enough of RFC 6455 for a benchmark: the upgrade, masked client frames of any length
 * (fragments are joined), ping → pong, close → close. Not a general server.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADERS_END = Buffer.from('\r\n\r\n', 'latin1');

export interface BenchConnection {
  /** Sends a text message (server frames are not masked). */
  send(text: string): void;
  readonly open: boolean;
}

export interface BenchHandlers {
  connection(connection: BenchConnection): {
    /** A text message's bytes, unmasked, valid only during the call; `at` is the read's arrival time. */
    message(bytes: Buffer, at: number): void;
    close(): void;
  };
  /** Stamps the read a message came in (called once per socket read). */
  now(): number;
}

function serverFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, head, 'utf8');
  return frame;
}

function controlFrame(opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

class Connection implements BenchConnection {
  private pending: Buffer | null = null;
  private fragments: Buffer[] = [];
  private upgraded = false;
  private closed = false;
  private handler: ReturnType<BenchHandlers['connection']> | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: BenchHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  get open(): boolean {
    return this.upgraded && !this.closed;
  }

  send(text: string): void {
    if (this.open) this.socket.write(serverFrame(text));
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler?.close();
  }

  private data(chunk: Buffer): void {
    const at = this.handlers.now();
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    if (!this.upgraded) {
      const end = bytes.indexOf(HEADERS_END);
      if (end < 0) {
        this.pending = bytes;
        return;
      }
      this.upgrade(bytes.toString('latin1', 0, end));
      bytes = bytes.subarray(end + 4);
    }
    let offset = 0;
    while (!this.closed) {
      const used = this.frame(bytes, offset, at);
      if (used === 0) break;
      offset += used;
    }
    if (offset < bytes.length) this.pending = Buffer.from(bytes.subarray(offset));
  }

  private upgrade(head: string): void {
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    this.socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    this.upgraded = true;
    this.handler = this.handlers.connection(this);
  }

  /** Handles the frame at `offset` if it is all there; returns its length, or 0 to wait for more. */
  private frame(bytes: Buffer, offset: number, at: number): number {
    if (bytes.length - offset < 2) return 0;
    const first = bytes[offset]!;
    const second = bytes[offset + 1]!;
    let length = second & 0x7f;
    let head = 2;
    if (length === 126) {
      if (bytes.length - offset < 4) return 0;
      length = bytes.readUInt16BE(offset + 2);
      head = 4;
    } else if (length === 127) {
      if (bytes.length - offset < 10) return 0;
      length = Number(bytes.readBigUInt64BE(offset + 2));
      head = 10;
    }
    const masked = (second & 0x80) !== 0;
    const start = offset + head + (masked ? 4 : 0);
    if (bytes.length < start + length) return 0;
    const payload = bytes.subarray(start, start + length);
    if (masked) {
      const m = start - 4;
      for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ bytes[m + (i & 3)]!;
    }
    const opcode = first & 0x0f;
    const fin = (first & 0x80) !== 0;
    if (opcode === 0x8) {
      this.socket.end(controlFrame(0x8, payload.subarray(0, 2)));
      this.finish();
    } else if (opcode === 0x9) {
      this.socket.write(controlFrame(0xa, payload));
    } else if (opcode === 0x1 || opcode === 0x0) {
      if (!fin) this.fragments.push(Buffer.from(payload));
      else if (this.fragments.length > 0) {
        const whole = Buffer.concat([...this.fragments.splice(0), payload]);
        this.handler?.message(whole, at);
      } else this.handler?.message(payload, at);
    }
    return start + length - offset;
  }
}

export function startBenchServer(handlers: BenchHandlers): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => new Connection(socket, handlers));
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `ws://127.0.0.1:${port}/bench` });
    });
  });
}
