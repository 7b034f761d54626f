/** The protocols convotest can play, behind the one CallerSession interface. */
import type { Protocol } from '../suite/model.ts';
import type { CallClock, CallerSession, CallSetup, CallSink } from './session.ts';
import { AudioCodesCallerSession } from './audiocodes/caller.ts';
import { TwilioCallerSession } from './twilio/caller.ts';

export type SessionFactory = (setup: CallSetup, clock: CallClock, sink: CallSink) => CallerSession;

const factories: Partial<Record<Protocol, SessionFactory>> = {
  twilio: (setup, clock, sink) => new TwilioCallerSession(setup, clock, sink),
  audiocodes: (setup, clock, sink) => new AudioCodesCallerSession(setup, clock, sink),
};

/** Sample rate each protocol's caller audio is streamed at, so prompts are prepared once. */
export const PROTOCOL_AUDIO_RATE: Record<Protocol, number> = { twilio: 8000, audiocodes: 16000 };

export function registerProtocol(protocol: Protocol, factory: SessionFactory): void {
  factories[protocol] = factory;
}

export function createSession(protocol: Protocol, setup: CallSetup, clock: CallClock, sink: CallSink): CallerSession {
  const factory = factories[protocol];
  if (!factory) throw new Error(`protocol "${protocol}" is not supported yet`);
  return factory(setup, clock, sink);
}

export type { CallerSession, CallSetup, CallSink, CallClock } from './session.ts';
export { CallRefusedError, CallSetupError } from './session.ts';
