/**
 * Where calls go: `builtin:reference` starts the reference bot in this process on an
 * ephemeral port (one per protocol, shared by the run's calls); anything else is dialled.
 */
import type { Protocol } from '../suite/model.ts';
import { startAudioCodesBot } from '../bot/audiocodes-bot.ts';
import { startTwilioBot, type RunningBot } from '../bot/twilio-bot.ts';
import { redactUrl } from '../protocols/redact.ts';

export const BUILTIN_REFERENCE = 'builtin:reference';

export class TargetError extends Error {}

type BotStarter = (options: { port?: number; host?: string }) => Promise<RunningBot>;
const builtinBots: Partial<Record<Protocol, BotStarter>> = { twilio: startTwilioBot, audiocodes: startAudioCodesBot };

export function registerBuiltinBot(protocol: Protocol, start: BotStarter): void {
  builtinBots[protocol] = start;
}

/** Voice webhooks (http(s)://, TwiML first) exist only on Twilio; the other protocols are dialled at their stream URL. */
const WEBHOOK_PROTOCOLS: readonly Protocol[] = ['twilio'];

export function checkTarget(target: string, protocol: Protocol = 'twilio'): void {
  if (target.startsWith('builtin:')) {
    if (target !== BUILTIN_REFERENCE) throw new TargetError(`unknown built-in target "${target}": the only one is ${BUILTIN_REFERENCE}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TargetError(`target "${redactUrl(target)}" is not a URL: use ws://host:port/path, wss://…, http(s):// (a Twilio voice webhook) or ${BUILTIN_REFERENCE}`);
  }
  if (['ws:', 'wss:'].includes(url.protocol)) return;
  if (['http:', 'https:'].includes(url.protocol)) {
    if (WEBHOOK_PROTOCOLS.includes(protocol)) return;
    throw new TargetError(`target ${redactUrl(target)}: an http(s):// voice webhook is a Twilio target; for ${protocol}, dial the bot's ws:// or wss:// URL`);
  }
  throw new TargetError(`target ${redactUrl(target)}: ${url.protocol.replace(':', '')}:// is not a target convotest can dial; use ws:// or wss:// (the bot's stream URL), http(s):// (a Twilio voice webhook) or ${BUILTIN_REFERENCE}`);
}

/** Starts built-in bots on demand and stops them all at the end of the run. */
export class TargetResolver {
  private readonly running = new Map<Protocol, Promise<RunningBot>>();

  async resolve(target: string, protocol: Protocol): Promise<string> {
    if (target !== BUILTIN_REFERENCE) return target;
    let bot = this.running.get(protocol);
    if (!bot) {
      const start = builtinBots[protocol];
      if (!start) throw new TargetError(`there is no built-in reference bot for protocol ${protocol} yet`);
      bot = start({ port: 0 });
      this.running.set(protocol, bot);
    }
    return (await bot).url;
  }

  async close(): Promise<void> {
    const bots = await Promise.allSettled(this.running.values());
    await Promise.all(bots.map((bot) => (bot.status === 'fulfilled' ? bot.value.close() : undefined)));
    this.running.clear();
  }
}

// Lives with the protocols, which name the URL in their own errors; re-exported for the engine's users.
export { redactUrl } from '../protocols/redact.ts';
