/**
 * The caller's `media` message, shaped as Twilio sends it (see messages.ts: every number a
 * string, keys in Twilio's order), built straight into a masked WebSocket frame (see
 * ../ws-frame.ts) with no string in between: it is the hot path, fifty times a second per
 * call. The payload comes as base64 bytes, encoded once per prompt.
 */
import { frameHeaderBytes, maskFrame, writeTextFrameHeader } from '../ws-frame.ts';

const BEFORE_SEQUENCE = Buffer.from('{"event":"media","sequenceNumber":"', 'latin1');
const BEFORE_CHUNK = Buffer.from('","media":{"track":"inbound","chunk":"', 'latin1');
const BEFORE_TIMESTAMP = Buffer.from('","timestamp":"', 'latin1');
const BEFORE_PAYLOAD = Buffer.from('","payload":"', 'latin1');
const FIXED_BYTES = BEFORE_SEQUENCE.length + BEFORE_CHUNK.length + BEFORE_TIMESTAMP.length + BEFORE_PAYLOAD.length;

function digitCount(n: number): number {
  let count = n < 0 ? 2 : 1;
  for (let rest = Math.abs(n); rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

/** Writes integer `n`, known to take `digits` characters, in decimal at `at`; returns the offset after it. */
function writeInteger(frame: Buffer, at: number, n: number, digits: number): number {
  const end = at + digits;
  let rest = Math.abs(n);
  let i = end;
  do {
    frame[--i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  if (n < 0) frame[at] = 0x2d; // '-'
  return end;
}

/** Room for any frame of 20 ms of μ-law (216 base64 characters) with every number at its longest. */
const STORE_BYTES = 512;

export class MediaFrameEncoder {
  /** `"},"streamSid":"MZ…"}`: fixed for the stream. */
  private readonly tail: Buffer;
  /**
   * Where frames are written: memory of the encoder's own, not Node's shared buffer pool. A
   * fresh frame from the pool each slot was most of what a call allocated, fifty times a
   * second, and a frame kept for reuse would hold a whole 8 KB pool slab in V8's old
   * generation, dropped each time the frame's length changes.
   */
  private store = Buffer.allocUnsafeSlow(0);
  /** The last frame, a view of `store`; written over when the socket took all of it. */
  private last = this.store;
  /** Whether nothing refers to `store` any more but this encoder (see recycle). */
  private storeFree = false;
  constructor(streamSid: string) {
    // Memory of its own: kept for the whole call, a buffer from Node's pool would keep an 8 KB slab.
    const tail = `"},"streamSid":${JSON.stringify(streamSid)}}`;
    this.tail = Buffer.allocUnsafeSlow(Buffer.byteLength(tail));
    this.tail.write(tail, 'utf8');
  }

  /** The frame for one media message, masked and ready to write; `payload` is base64 text as bytes. */
  frame(sequenceNumber: number, chunk: number, timestamp: number, payload: Buffer): Buffer {
    const sequenceDigits = digitCount(sequenceNumber);
    const chunkDigits = digitCount(chunk);
    const timestampDigits = digitCount(timestamp);
    const length = FIXED_BYTES + sequenceDigits + chunkDigits + timestampDigits + payload.length + this.tail.length;
    const size = frameHeaderBytes(length) + length;
    const frame = this.frameOf(size);
    writeTextFrameHeader(frame, length);
    let at = frameHeaderBytes(length);
    at += BEFORE_SEQUENCE.copy(frame, at);
    at = writeInteger(frame, at, sequenceNumber, sequenceDigits);
    at += BEFORE_CHUNK.copy(frame, at);
    at = writeInteger(frame, at, chunk, chunkDigits);
    at += BEFORE_TIMESTAMP.copy(frame, at);
    at = writeInteger(frame, at, timestamp, timestampDigits);
    at += BEFORE_PAYLOAD.copy(frame, at);
    at += payload.copy(frame, at);
    this.tail.copy(frame, at);
    maskFrame(frame);
    return frame;
  }

  /**
   * Gives back a frame nothing refers to any more (the socket wrote all of it, or it was not
   * sent), so the next one is written over it. A frame still queued must not come back.
   */
  recycle(frame: Buffer): void {
    if (frame === this.last) this.storeFree = true;
  }

  /** A buffer of `size` bytes for the next frame: the last one's memory when it is free. */
  private frameOf(size: number): Buffer {
    if (!this.storeFree || this.store.length < size) {
      // A queued frame keeps its memory; the next ones get new memory.
      this.store = Buffer.allocUnsafeSlow(Math.max(size, STORE_BYTES));
      this.last = this.store.subarray(0, size);
    } else if (this.last.length !== size) this.last = this.store.subarray(0, size);
    this.storeFree = false;
    return this.last;
  }
}
