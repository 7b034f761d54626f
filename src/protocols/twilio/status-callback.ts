/**
 * `<Stream statusCallback>`: Twilio tells the bot's web app when a stream starts, stops or
 * fails, with a signed request. A callback that fails is written on the timeline and the
 * call goes on, as with Twilio (which only logs a warning).
 */
import type { TlsPolicy } from '../connect.ts';
import type { CallSink, CallClock } from '../session.ts';
import { HttpError, sendForm } from './http.ts';
import type { StreamIds } from './messages.ts';
import type { TwilioOptions } from './options.ts';
import { signatureHeader } from './signature.ts';
import { TWILIO_USER_AGENT } from './webhook.ts';

export type StreamEvent = 'stream-started' | 'stream-stopped' | 'stream-error';

const CALLBACK_TIMEOUT_MS = 5_000;

export class StatusCallbacks {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly method: 'GET' | 'POST',
    private readonly ids: StreamIds,
    private readonly streamName: string | undefined,
    private readonly options: TwilioOptions,
    private readonly clock: CallClock,
    private readonly sink: CallSink,
    private readonly tls?: TlsPolicy,
  ) {}

  /** Sends one callback in the background; `settled()` waits for all of them. */
  post(event: StreamEvent, error?: string): void {
    const form: Record<string, string> = {
      AccountSid: this.ids.accountSid,
      CallSid: this.ids.callSid,
      StreamSid: this.ids.streamSid,
      StreamEvent: event,
      Timestamp: new Date().toISOString(),
    };
    if (this.streamName) form['StreamName'] = this.streamName;
    if (error) form['StreamError'] = error;
    // A GET carries the fields in its query string, so that is what is signed.
    const signed = this.method === 'GET' ? `${this.url}${this.url.includes('?') ? '&' : '?'}${new URLSearchParams(form)}` : this.url;
    const headers = { 'User-Agent': TWILIO_USER_AGENT, ...signatureHeader(this.options.signature, this.options.authToken, signed, this.method === 'GET' ? {} : form) };
    this.sink.wire({ t: this.clock.now(), dir: 'out', kind: 'statusCallback', data: { method: this.method, ...form } });
    const sent = sendForm(this.url, { method: this.method, headers, form, timeoutMs: CALLBACK_TIMEOUT_MS, tls: this.tls })
      .then((reply) => {
        const ok = reply.status >= 200 && reply.status < 300;
        this.sink.event({ type: 'info', t: this.clock.now(), message: `statusCallback ${event}: HTTP ${reply.status}${ok ? '' : ' (Twilio would log a warning)'}` });
      })
      .catch((err: unknown) => {
        const why = err instanceof HttpError ? err.message : String(err);
        this.sink.event({ type: 'info', t: this.clock.now(), message: `statusCallback ${event} failed: ${why}` });
      });
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
