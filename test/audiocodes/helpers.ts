/**
 * The steps most AudioCodes session tests start with, written once: a call set up against a
 * scripted bot, a bot of a test's own, and a whole play stream sent by the bot.
 */
import { Harness, accept, startScriptedBot, type BotConnection, type ScriptedBot, type ScriptedBotOptions } from './scripted-bot.ts';

export interface OpenCall {
  harness: Harness;
  connection: BotConnection;
}

/**
 * A session connected to `bot`, accepted in `format` (default: the first offered), with the
 * gateway's start event already received: the state every in-call test starts from.
 */
export async function openCall(bot: ScriptedBot, options: Record<string, unknown> = {}, format?: string): Promise<OpenCall> {
  const harness = new Harness(bot.url, options);
  const connecting = harness.session.connect();
  const connection = await bot.connection();
  await accept(connection, format);
  await connecting;
  await connection.next('activities');
  return { harness, connection };
}

/** Runs `test` against a scripted bot of its own (for bots set up differently), closed afterwards. */
export async function withScriptedBot(options: ScriptedBotOptions, test: (bot: ScriptedBot) => Promise<void>): Promise<void> {
  const bot = await startScriptedBot(options);
  try {
    await test(bot);
  } finally {
    await bot.close();
  }
}

/** The bot sends a whole play stream: start, `audio` cut into `chunkBytes` pieces, stop. */
export function sendPlayStream(
  connection: BotConnection,
  streamId: string,
  format: string,
  audio: Uint8Array,
  chunkBytes = audio.length,
  altText?: string | null,
): void {
  connection.send({ type: 'playStream.start', streamId, mediaFormat: format, ...(altText !== undefined ? { altText } : {}) });
  for (let at = 0; at < audio.length; at += chunkBytes) {
    connection.send({ type: 'playStream.chunk', streamId, audioChunk: Buffer.from(audio.subarray(at, at + chunkBytes)).toString('base64') });
  }
  connection.send({ type: 'playStream.stop', streamId });
}
