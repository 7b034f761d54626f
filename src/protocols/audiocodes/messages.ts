/**
 * What the VoiceAI Connect gateway sends a bot. Every message carries the conversationId;
 * activities carry an id and timestamp like the gateway's own. Audio chunks are the hot path
 * (up to 50 a second per call), so they are built straight into WebSocket frames.
 */
import { randomUUID } from 'node:crypto';
import { allocTextFrame, frameHeaderBytes, maskFrame } from '../ws-frame.ts';

export type SessionEndCode = 'client-disconnected' | 'bot-disconnected' | 'transferred' | 'error';

export interface Activity {
  type: 'event' | 'message';
  name?: string;
  value?: unknown;
  text?: string;
  parameters?: Record<string, unknown>;
}

export interface Initiate {
  conversationId: string;
  botName: string;
  caller: string;
  expectAudioMessages: boolean;
  supportedMediaFormats: string[];
}

export function sessionInitiate(init: Initiate): Record<string, unknown> {
  return {
    type: 'session.initiate',
    conversationId: init.conversationId,
    botName: init.botName,
    caller: init.caller,
    expectAudioMessages: init.expectAudioMessages,
    supportedMediaFormats: init.supportedMediaFormats,
  };
}

export function activitiesMessage(conversationId: string, activities: Activity[], language?: string): Record<string, unknown> {
  const timestamp = new Date().toISOString();
  return {
    type: 'activities',
    conversationId,
    activities: activities.map((activity) => ({
      id: randomUUID(),
      timestamp,
      ...(language !== undefined ? { language } : {}),
      ...activity,
    })),
  };
}

export function startEvent(parameters: Record<string, unknown>): Activity {
  return { type: 'event', name: 'start', parameters };
}

export function dtmfEvent(spelling: string, digit: string): Activity {
  return { type: 'event', name: spelling, value: digit };
}

export function userStreamStart(conversationId: string): Record<string, unknown> {
  return { type: 'userStream.start', conversationId };
}

export function userStreamStop(conversationId: string): Record<string, unknown> {
  return { type: 'userStream.stop', conversationId };
}

export function sessionEnd(conversationId: string, reasonCode: SessionEndCode, reason: string): Record<string, unknown> {
  return { type: 'session.end', conversationId, reasonCode, reason };
}

const CHUNK_TAIL = '"}';
const CHUNK_TAIL_BYTES = Buffer.from(CHUNK_TAIL, 'latin1');

/**
 * userStream.chunk messages of one conversation. `frame` builds the message straight into a
 * masked WebSocket frame (see ../ws-frame.ts): a call sends one every chunkMs, and this way
 * each costs one buffer and the base64 text; `text` is the same message for a socket that
 * cannot be written to directly.
 */
export class ChunkMessages {
  private readonly headText: string;
  private readonly head: Buffer;

  constructor(conversationId: string) {
    this.headText = `{"type":"userStream.chunk","conversationId":${JSON.stringify(conversationId)},"audioChunk":"`;
    this.head = Buffer.from(this.headText, 'utf8');
  }

  frame(audio: Buffer): Buffer {
    const length = this.head.length + 4 * Math.ceil(audio.length / 3) + CHUNK_TAIL_BYTES.length;
    const frame = allocTextFrame(length);
    let at = frameHeaderBytes(length);
    at += this.head.copy(frame, at);
    at += frame.write(audio.toString('base64'), at, 'latin1');
    CHUNK_TAIL_BYTES.copy(frame, at);
    maskFrame(frame);
    return frame;
  }

  text(audio: Buffer): string {
    return this.headText + audio.toString('base64') + CHUNK_TAIL;
  }
}
