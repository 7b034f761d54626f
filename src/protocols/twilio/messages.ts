/**
 * What Twilio sends a bot, shaped exactly as the real service does (see the 2020 capture in
 * shared/fixtures): every number a string, one sequenceNumber counter across all events,
 * keys in Twilio's order. Media frames are the hot path, so they are built from a template
 * instead of JSON.stringify on an object per frame.
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

/** Builds inbound media frames for one stream; the streamSid part of the template is fixed once. */
export function mediaTemplate(streamSid: string): (sequenceNumber: number, chunk: number, timestamp: number, payload: string) => string {
  const tail = '"},"streamSid":' + JSON.stringify(streamSid) + '}';
  return (sequenceNumber, chunk, timestamp, payload) =>
    '{"event":"media","sequenceNumber":"' +
    sequenceNumber +
    '","media":{"track":"inbound","chunk":"' +
    chunk +
    '","timestamp":"' +
    timestamp +
    '","payload":"' +
    payload +
    tail;
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
