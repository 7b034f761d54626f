/** The `audiocodes:` block is checked by its own schema when the suite loads, with positions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuiteFile, SuiteLoadError } from '../../src/suite/index.ts';

async function suiteWith(options: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'convotest-ac-'));
  const file = join(dir, 'suite.yaml');
  const lines = ['name: AC', 'protocol: audiocodes', 'target: builtin:reference', 'audiocodes:', ...options.map((o) => `  ${o}`), 'calls:', '  - name: a', '    turns:', '      - expect: [ { botSpeech: {} } ]', ''];
  await writeFile(file, lines.join('\n'));
  return file;
}

test('a misspelt or mistyped audiocodes option is a load error at its position', async () => {
  const file = await suiteWith(['dtmfSpeling: dtmf', 'supportedMediaFormats: [raw/lpcm32]']);
  const error = await loadSuiteFile(file).catch((e: unknown) => e);
  assert.ok(error instanceof SuiteLoadError, String(error));
  const problems = error.problems.map((p) => `${p.line}:${p.col} ${p.message}`);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0]!, /^5:3 unknown key `dtmfSpeling` — did you mean `dtmfSpelling`\?$/);
  assert.match(problems[1]!, /^6:\d+ .*raw\/lpcm32/);
});

test('valid audiocodes options load and reach the model as written', async () => {
  const suite = await loadSuiteFile(await suiteWith(['dtmfSpelling: dtmf', 'chunkMs: 100', 'supportedMediaFormats: [raw/mulaw, raw/lpcm16]']));
  assert.deepEqual(suite.audiocodes, { dtmfSpelling: 'dtmf', chunkMs: 100, supportedMediaFormats: ['raw/mulaw', 'raw/lpcm16'] });
});
