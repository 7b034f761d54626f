/**
 * The voice webhook, as Twilio calls it on an incoming call: a signed form POST, whose
 * TwiML answer says where the media stream goes. Every way this can go wrong becomes one
 * line naming the URL and what came back.
 */
import type { TlsPolicy } from '../connect.ts';
import { redactUrl } from '../redact.ts';
import { CallRefusedError, CallSetupError } from '../session.ts';
import { bodyExcerpt, HttpError, sendForm, type HttpReply } from './http.ts';
import type { StreamIds } from './messages.ts';
import type { TwilioOptions } from './options.ts';
import { signatureHeader } from './signature.ts';
import { readTwiml, redactTwiml, TwimlError, type TwimlPlan } from './twiml.ts';

export const TWILIO_USER_AGENT = 'TwilioProxy/1.1';

export interface WebhookCall {
  url: string;
  ids: StreamIds;
  from: string;
  to: string;
  options: TwilioOptions;
  timeoutMs: number;
  tls?: TlsPolicy;
}

export interface WebhookResult {
  form: Record<string, string>;
  reply: HttpReply;
  plan: TwimlPlan;
}

/** The fields Twilio posts for an incoming call, then the suite's extras. */
export function webhookForm(call: Pick<WebhookCall, 'ids' | 'from' | 'to' | 'options'>): Record<string, string> {
  return {
    CallSid: call.ids.callSid,
    AccountSid: call.ids.accountSid,
    From: call.from,
    To: call.to,
    Caller: call.from,
    Called: call.to,
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
    ...call.options.webhookFields,
  };
}

/** Headers of a request Twilio would make to `url` with these form fields: user agent, signature, Host. */
export function twilioHeaders(url: string, form: Record<string, string>, options: TwilioOptions): Record<string, string> {
  const signed = options.publicUrl ?? url;
  const headers: Record<string, string> = {
    'User-Agent': TWILIO_USER_AGENT,
    Accept: '*/*',
    ...signatureHeader(options.signature, options.authToken, signed, form),
  };
  if (options.publicUrl) headers['Host'] = new URL(options.publicUrl).host;
  return headers;
}

export async function callWebhook(call: WebhookCall): Promise<WebhookResult> {
  const form = webhookForm(call);
  const shown = redactUrl(call.url);
  let reply: HttpReply;
  try {
    reply = await sendForm(call.url, { method: 'POST', headers: twilioHeaders(call.url, form, call.options), form, timeoutMs: call.timeoutMs, tls: call.tls });
  } catch (error) {
    if (error instanceof HttpError) throw new CallSetupError(`voice webhook ${shown}: ${error.message}`);
    throw error;
  }
  const answered = `voice webhook ${shown} answered HTTP ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ''}`;
  if (reply.status >= 400) {
    const hint = reply.status === 401 || reply.status === 403 ? ' (the bot refused the request: check the signature and twilio.authToken)' : '';
    throw new CallRefusedError(`${answered}${hint}: ${bodyExcerpt(redactTwiml(reply.body))}`, reply.status);
  }
  if (reply.status < 200 || reply.status >= 300) {
    throw new CallSetupError(`${answered}; it must answer 200 with TwiML (convotest does not follow redirects): ${bodyExcerpt(redactTwiml(reply.body))}`);
  }
  try {
    return { form, reply, plan: readTwiml(reply.body) };
  } catch (error) {
    if (error instanceof TwimlError) throw new CallSetupError(`${answered}, but ${error.message}; body: ${bodyExcerpt(redactTwiml(reply.body))}`);
    throw error;
  }
}
