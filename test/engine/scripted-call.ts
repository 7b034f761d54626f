/**
 * Runs one call of YAML turns against a scripted Twilio bot on a real socket and returns its
 * CallResult (and the whole RunResult), for the expectation, barge-in and metrics tests.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { renderJson } from '../../src/report/index.ts';
import { join } from 'node:path';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { run } from '../../src/engine/run.ts';
import type { CallResult, RunResult } from '../../src/engine/results.ts';
import { startScriptedBot, type ScriptedConnection } from '../helpers/scripted-bot.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';

export const AUDIO = join(ROOT, 'audio');

export type Script = (connection: ScriptedConnection, streamSid: string) => void;

/** `turns` are YAML lines of the call's `turns:` list, written at column 0. */
export async function runScripted(turns: string[], script: Script, options: { timeout?: string; top?: string[] } = {}): Promise<{ call: CallResult; run: RunResult }> {
  const bot = await startScriptedBot(async (connection) => {
    const { message } = await connection.waitFor((m) => m.event === 'start');
    script(connection, message.streamSid);
  });
  try {
    const dir = await tempDir();
    const file = join(dir, 'suite.yaml');
    const yaml = [
      'name: Scripted',
      `target: ${bot.url}`,
      `defaults: { timeout: ${options.timeout ?? '3s'} }`,
      ...(options.top ?? []),
      'calls:',
      '  - name: call',
      '    turns:',
      ...turns.map((t) => `      ${t}`),
      '',
    ].join('\n');
    await writeFile(file, yaml);
    const suite = await loadSuiteFile(file);
    const result = await run({ suites: [suite], outDir: join(dir, 'reports'), workers: 1, reporter: {}, recordAudio: false });
    return { call: result.suites[0]!.calls[0]!, run: result };
  } finally {
    await bot.close();
  }
}

/** `ms` of a loud square wave in μ-law, base64: audible to the engine's speech detector. */
export function speech(ms: number): string {
  const bytes = Buffer.alloc(ms * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(i / 10) % 2 ? 0x10 : 0x90;
  return bytes.toString('base64');
}

/** True when a caller media payload carries sound rather than μ-law silence. */
export function isCallerSpeech(message: Record<string, any>): boolean {
  if (message.event !== 'media') return false;
  const bytes = Buffer.from(message.media.payload, 'base64');
  let loud = 0;
  // μ-law bytes near 0xFF/0x7F are near zero; speech spreads over the lower codes.
  for (const byte of bytes) if ((byte & 0x7f) < 0x70) loud++;
  return loud > bytes.length / 4;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run as report.json would hold it must match schemas/report.schema.json. */
export async function assertValidReport(result: RunResult): Promise<void> {
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(JSON.parse(renderJson(result))), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
}
