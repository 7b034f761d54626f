/**
 * Where calls go: `builtin:reference` starts the reference bot in this process on an
 * ephemeral port (one per protocol, shared by the run's calls); anything else is dialled.
 */
import type { Protocol } from '../suite/model.ts';
import { startTwilioBot, type RunningBot } from '../bot/twilio-bot.ts';

export const BUILTIN_REFERENCE = 'builtin:reference';

export class TargetError extends Error {}

type BotStarter = (options: { port?: number; host?: string }) => Promise<RunningBot>;
const builtinBots: Partial<Record<Protocol, BotStarter>> = { twilio: startTwilioBot };

export function registerBuiltinBot(protocol: Protocol, start: BotStarter): void {
  builtinBots[protocol] = start;
}

export function checkTarget(target: string): void {
  if (target.startsWith('builtin:')) {
    if (target !== BUILTIN_REFERENCE) throw new TargetError(`unknown built-in target "${target}": the only one is ${BUILTIN_REFERENCE}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TargetError(`target "${redactUrl(target)}" is not a URL: use ws://host:port/path, wss://…, or ${BUILTIN_REFERENCE}`);
  }
  if (!['ws:', 'wss:'].includes(url.protocol)) {
    throw new TargetError(`target ${redactUrl(target)}: ${url.protocol.replace(':', '')}:// targets are not supported yet; use ws:// or wss:// (the bot's stream URL) or ${BUILTIN_REFERENCE}`);
  }
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

const SECRET_PARAM = /token|auth|key|secret|signature|password|pass|sig|jwt|credential/i;

/** A URL fit for reports and logs: no user:password, no secret-looking query values. */
export function redactUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return target.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}
