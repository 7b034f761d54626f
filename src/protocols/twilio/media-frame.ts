/**
 * The caller's `media` message as bytes on the wire: the same text as messages.ts's
 * mediaTemplate, built straight into a masked WebSocket frame (see ../ws-frame.ts) with no
 * string in between. The payload comes as base64 bytes, encoded once per prompt.
 */
import type { Duplex } from 'node:stream';
import { allocTextFrame, frameHeaderBytes, maskFrame } from '../ws-frame.ts';

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

/** Writes integer `n` in decimal at `at`; returns the offset after it. */
function writeInteger(frame: Buffer, at: number, n: number): number {
  let rest = n;
  if (rest < 0) {
    frame[at++] = 0x2d; // '-'
    rest = -rest;
  }
  const end = at + digitCount(rest);
  let i = end;
  do {
    frame[--i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  return end;
}

export class MediaFrameWriter {
  /** `"},"streamSid":"MZ…"}`: fixed for the stream. */
  private readonly tail: Buffer;

  constructor(
    streamSid: string,
    readonly socket: Duplex,
  ) {
    this.tail = Buffer.from(`"},"streamSid":${JSON.stringify(streamSid)}}`, 'utf8');
  }

  /** The frame for one media message (masked, ready to write); `payload` is base64 text as bytes. */
  frame(sequenceNumber: number, chunk: number, timestamp: number, payload: Buffer): Buffer {
    const length =
      FIXED_BYTES + digitCount(sequenceNumber) + digitCount(chunk) + digitCount(timestamp) + payload.length + this.tail.length;
    const frame = allocTextFrame(length);
    let at = frameHeaderBytes(length);
    at += BEFORE_SEQUENCE.copy(frame, at);
    at = writeInteger(frame, at, sequenceNumber);
    at += BEFORE_CHUNK.copy(frame, at);
    at = writeInteger(frame, at, chunk);
    at += BEFORE_TIMESTAMP.copy(frame, at);
    at = writeInteger(frame, at, timestamp);
    at += BEFORE_PAYLOAD.copy(frame, at);
    at += payload.copy(frame, at);
    this.tail.copy(frame, at);
    maskFrame(frame);
    return frame;
  }

  /** Sends one media message on the stream's socket. */
  write(sequenceNumber: number, chunk: number, timestamp: number, payload: Buffer): void {
    this.socket.write(this.frame(sequenceNumber, chunk, timestamp, payload));
  }
}
