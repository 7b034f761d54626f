/** Suites written to a temp folder, loaded and planned as the CLI would. */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser } from 'fast-xml-parser';
import assert from 'node:assert/strict';
import { ROOT } from '../helpers/cli.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const FAKE_TTS = join(FIXTURES, 'fake-tts.mjs');
export const HIDE_ESPEAK = join(FIXTURES, 'hide-espeak.mjs');

/** A fresh folder holding the given files; returns its path. */
export async function folderWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'convotest-rc-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), content);
  }
  return root;
}

/** The fake TTS command as a YAML flow list, logging its runs to `log`. */
export function fakeTtsCommand(log: string, out = '{out}', text: string | null = '{text}'): string {
  return JSON.stringify([process.execPath, FAKE_TTS, log, out, ...(text === null ? [] : [text])]);
}

export async function logLines(log: string): Promise<{ argv: string[]; text: string }[]> {
  try {
    return (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property', 'flakyFailure', 'rerunFailure', 'flakyError', 'rerunError'].includes(name),
});

/** junit.xml and report.json of a run, the JSON checked against its schema. */
export async function readReports(out: string) {
  const junit = xml.parse(await readFile(join(out, 'junit.xml'), 'utf8'));
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(report), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  return { junit, report };
}

/** A loud 400 Hz square-ish wave in μ-law, `ms` long: audible to the engine's speech detector. */
export function speechPayload(ms: number): string {
  const bytes = Buffer.alloc(ms * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(i / 10) % 2 ? 0x10 : 0x90;
  return bytes.toString('base64');
}
