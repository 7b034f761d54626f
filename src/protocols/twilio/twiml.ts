/**
 * Reads the TwiML a voice webhook answers with and finds what convotest dials: the first
 * `<Connect><Stream>` (bidirectional; TwiML stops there while the stream runs) or
 * `<Start><Stream>` (unidirectional; TwiML goes on). The verbs before it are kept so the
 * timeline can show what a caller would have heard first; convotest does not play them.
 */
import { looksSecret, redactUrl } from '../redact.ts';
import { childElements, parseXml, textOf, XmlError, type XmlElement } from './xml.ts';

export type StreamMode = 'connect' | 'start';

export interface TwimlStream {
  mode: StreamMode;
  url: string;
  name?: string;
  /** `<Start><Stream track>`: inbound_track (default), outbound_track or both_tracks. */
  track?: string;
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** `<Parameter name value>` children: they become start.customParameters. */
  parameters: Record<string, string>;
}

/** A verb convotest does not perform, described for the timeline. */
export interface TwimlVerb {
  verb: string;
  summary: string;
}

export interface TwimlPlan {
  /** Verbs before the stream, in order (`<Say>`, `<Play>`, `<Pause>` …). */
  before: TwimlVerb[];
  stream: TwimlStream;
  /** Verbs after a `<Start><Stream>`, which Twilio goes on to perform. */
  after: TwimlVerb[];
}

export class TwimlError extends Error {}

const STREAM_TRACKS = new Set(['inbound_track', 'outbound_track', 'both_tracks']);

export function readTwiml(text: string): TwimlPlan {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlError) throw new TwimlError(`the reply is not XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'Response') throw new TwimlError(`the TwiML's root element is <${root.name}>, not <Response>`);
  const before: TwimlVerb[] = [];
  const after: TwimlVerb[] = [];
  let stream: TwimlStream | undefined;
  for (const verb of childElements(root)) {
    const list = stream ? after : before;
    if (verb.name === 'Connect' || verb.name === 'Start') {
      const child = childElements(verb).find((c) => c.name === 'Stream');
      if (child && !stream) {
        stream = readStream(child, verb.name === 'Connect' ? 'connect' : 'start');
        if (stream.mode === 'connect') break;
        continue;
      }
      list.push({ verb: verb.name, summary: `<${verb.name}>${childElements(verb).map((c) => `<${c.name}>`).join('')} (not emulated)` });
      continue;
    }
    if (!stream && (verb.name === 'Hangup' || verb.name === 'Reject')) {
      throw new TwimlError(`the TwiML ends the call with <${verb.name}> before any <Stream>`);
    }
    if (!stream && verb.name === 'Redirect') {
      throw new TwimlError(`the TwiML redirects to ${JSON.stringify(textOf(verb))} before any <Stream>; convotest does not follow <Redirect>: point the target at the final webhook`);
    }
    list.push(describeVerb(verb));
  }
  if (!stream) {
    const seen = before.map((v) => `<${v.verb}>`).join(', ');
    throw new TwimlError(`the TwiML has no <Connect><Stream> or <Start><Stream>${seen ? ` (it has ${seen})` : ''}`);
  }
  return { before, stream, after };
}

function readStream(element: XmlElement, mode: StreamMode): TwimlStream {
  const url = element.attrs['url']?.trim();
  if (!url) throw new TwimlError(`<${mode === 'connect' ? 'Connect' : 'Start'}><Stream> has no url attribute`);
  const stream: TwimlStream = { mode, url, parameters: {} };
  const { name, track, statusCallback, statusCallbackMethod } = element.attrs;
  if (name) stream.name = name;
  if (track !== undefined) {
    if (!STREAM_TRACKS.has(track)) throw new TwimlError(`<Stream track="${track}"> must be inbound_track, outbound_track or both_tracks`);
    stream.track = track;
  }
  if (statusCallback) stream.statusCallback = statusCallback;
  if (statusCallbackMethod !== undefined) {
    const method = statusCallbackMethod.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new TwimlError(`<Stream statusCallbackMethod="${statusCallbackMethod}"> must be GET or POST`);
    stream.statusCallbackMethod = method;
  }
  for (const child of childElements(element)) {
    if (child.name !== 'Parameter') continue;
    const key = child.attrs['name'];
    if (!key) throw new TwimlError('a <Parameter> of <Stream> has no name attribute');
    stream.parameters[key] = child.attrs['value'] ?? '';
  }
  return stream;
}

function describeVerb(verb: XmlElement): TwimlVerb {
  const text = textOf(verb);
  switch (verb.name) {
    case 'Say':
      return { verb: 'Say', summary: `<Say${verb.attrs['voice'] ? ` voice="${verb.attrs['voice']}"` : ''}> ${JSON.stringify(text)}` };
    case 'Play':
      return { verb: 'Play', summary: `<Play> ${text || (verb.attrs['digits'] ? `digits ${verb.attrs['digits']}` : '(nothing)')}` };
    case 'Pause':
      return { verb: 'Pause', summary: `<Pause> ${verb.attrs['length'] ?? '1'}s` };
    default:
      return { verb: verb.name, summary: `<${verb.name}> (not emulated)` };
  }
}

/**
 * A TwiML reply as the timeline may show it: bots pass credentials to their stream as
 * `<Parameter name="apiToken" value="…"/>` and in URLs (`?token=…`); both are masked, like
 * the customParameters they become.
 */
export function redactTwiml(body: string): string {
  return body
    .replace(/\b(?:wss?|https?):\/\/[^\s"'<>]+/g, (url) => redactUrl(url))
    .replace(/<Parameter\b[^>]*>/g, (tag) => {
      const name = /\bname\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(tag);
      if (!name || !looksSecret(name[1] ?? name[2] ?? '')) return tag;
      return tag.replace(/\bvalue\s*=\s*(?:"[^"]*"|'[^']*')/, 'value="***"');
    });
}
