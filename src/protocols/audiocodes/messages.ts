/**
 * What the VoiceAI Connect gateway sends a bot. Every message carries the conversationId;
 * activities carry an id and timestamp like the gateway's own. Audio chunks are the hot path
 * (up to 50 a second per call), so they are built from a template.
 */
import { randomUUID } from 'node:crypto';

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

/** Builds userStream.chunk messages for one conversation. */
export function chunkTemplate(conversationId: string): (base64: string) => string {
  const head = '{"type":"userStream.chunk","conversationId":' + JSON.stringify(conversationId) + ',"audioChunk":"';
  return (base64) => head + base64 + '"}';
}
