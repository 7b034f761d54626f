/**
 * Client WebSocket text frames written straight onto the connection's socket. A caller sends
 * a media message fifty times a second; per message `ws.send` allocates an options object, a
 * string-to-bytes copy, a header and a corked two-buffer write, and at a thousand calls that
 * garbage is what makes the garbage collector pause every stream. Here a message's bytes go
 * into one buffer, which gets its header and mask in place and goes out in one write. `ws`
 * still reads the connection and sends its own control frames (ping, pong, close) on the
 * same socket; every write is whole, so the frames never interleave.
 *
 * The frames are exactly what `ws` would send: FIN + text opcode, the shortest length
 * encoding, and a fresh random 4-byte mask per frame (RFC 6455 §5.3), taken from a pool so
 * that randomness costs one system call per 2048 frames.
 */
import { randomFillSync } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';

const MASK_POOL_BYTES = 8192;
const maskPool = Buffer.alloc(MASK_POOL_BYTES);
let maskAt = MASK_POOL_BYTES;

/** Bytes before the payload: 2, plus 2 or 8 for longer lengths, plus the 4-byte mask. */
export function frameHeaderBytes(payloadBytes: number): number {
  return (payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10) + 4;
}

/**
 * A buffer for one masked text frame of `payloadBytes`, header and mask written; the
 * payload goes at `frameHeaderBytes(payloadBytes)`, then `maskFrame` before writing.
 */
export function allocTextFrame(payloadBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes(payloadBytes) + payloadBytes);
  writeTextFrameHeader(frame, payloadBytes);
  return frame;
}

/** Writes the header and a fresh mask of a masked text frame of `payloadBytes` at the start of `frame`. */
export function writeTextFrameHeader(frame: Buffer, payloadBytes: number): void {
  const at = frameHeaderBytes(payloadBytes);
  frame[0] = 0x81; // FIN, text
  if (payloadBytes < 126) frame[1] = 0x80 | payloadBytes;
  else if (payloadBytes < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payloadBytes, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(payloadBytes / 2 ** 32), 2);
    frame.writeUInt32BE(payloadBytes >>> 0, 6);
  }
  if (maskAt === MASK_POOL_BYTES) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  maskPool.copy(frame, at - 4, maskAt, maskAt + 4);
  maskAt += 4;
}

/** A whole masked text frame holding `text`: how every other message convotest sends goes out. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = allocTextFrame(length);
  frame.write(text, frameHeaderBytes(length), 'utf8');
  maskFrame(frame);
  return frame;
}

/** Masks the payload of a frame from allocTextFrame in place (XOR with the key before it). */
export function maskFrame(frame: Buffer): void {
  const at = payloadOffset(frame);
  const m0 = frame[at - 4]!;
  const m1 = frame[at - 3]!;
  const m2 = frame[at - 2]!;
  const m3 = frame[at - 1]!;
  const end = frame.length;
  let i = at;
  for (; i + 3 < end; i += 4) {
    frame[i] = frame[i]! ^ m0;
    frame[i + 1] = frame[i + 1]! ^ m1;
    frame[i + 2] = frame[i + 2]! ^ m2;
    frame[i + 3] = frame[i + 3]! ^ m3;
  }
  for (let k = 0; i < end; i++, k++) frame[i] = frame[i]! ^ (k === 0 ? m0 : k === 1 ? m1 : m2);
}

function payloadOffset(frame: Buffer): number {
  const length = frame[1]! & 0x7f;
  return (length < 126 ? 2 : length === 126 ? 4 : 10) + 4;
}

/**
 * Writes a whole frame on the socket under a WebSocket. Returns true when the socket took all
 * of it at once (the kernel has the bytes and nothing refers to `frame` any more, so it may be
 * written over); false when part of it waits in the socket's queue.
 */
export function writeFrame(socket: Duplex, frame: Buffer): boolean {
  socket.write(frame);
  return socket.writableLength === 0;
}

/** The TCP (or TLS) socket under each client WebSocket, captured at its upgrade. */
const rawSockets = new WeakMap<WebSocket, Duplex>();

/** Remembers the socket under `socket` once the upgrade succeeds (openSocket calls this). */
export function captureRawSocket(socket: WebSocket): void {
  socket.once('upgrade', (response) => {
    if (response.socket) rawSockets.set(socket, response.socket);
  });
}

/** The socket under an open client WebSocket, for writing whole frames onto it. */
export function rawSocketOf(socket: WebSocket): Duplex | undefined {
  return rawSockets.get(socket);
}
