/**
 * What Twilio sends a bot, shaped exactly as the real service does (see the 2020 capture in
 * shared/fixtures): every number a string, one sequenceNumber counter across all events,
 * keys in Twilio's order. Media messages are the hot path: media-frame.ts builds them as
 * bytes, in the same shape.
 */

export interface StreamIds {
  accountSid: string;
  callSid: string;
  streamSid: string;
}

export const CONNECTED_MESSAGE = JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });

export function startMessage(
  sequenceNumber: number,
  ids: StreamIds,
  customParameters: Record<string, string>,
  tracks: string[] = ['inbound'],
): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: String(sequenceNumber),
    start: {
      accountSid: ids.accountSid,
      streamSid: ids.streamSid,
      callSid: ids.callSid,
      tracks,
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters,
    },
    streamSid: ids.streamSid,
  });
}

export function dtmfMessage(sequenceNumber: number, streamSid: string, digit: string): string {
  return JSON.stringify({
    event: 'dtmf',
    streamSid,
    sequenceNumber: String(sequenceNumber),
    dtmf: { track: 'inbound_track', digit },
  });
}

export function markEchoMessage(sequenceNumber: number, streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', sequenceNumber: String(sequenceNumber), streamSid, mark: { name } });
}

export function stopMessage(sequenceNumber: number, ids: StreamIds): string {
  return JSON.stringify({
    event: 'stop',
    sequenceNumber: String(sequenceNumber),
    stop: { accountSid: ids.accountSid, callSid: ids.callSid },
    streamSid: ids.streamSid,
  });
}
