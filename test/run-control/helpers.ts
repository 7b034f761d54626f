/** Suites written to a temp folder, loaded and planned as the CLI would. */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The fake TTS runs logged so far: none when it never ran (no log yet); a garbled log throws. */
export async function logLines(log: string): Promise<{ argv: string[]; text: string }[]> {
  let text: string;
  try {
    text = await readFile(log, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

export { readReports } from '../helpers/reports.ts';

/** `ms` of loud μ-law, base64: audible to the engine's speech detector. */
export { speech as speechPayload } from '../engine/scripted-call.ts';
