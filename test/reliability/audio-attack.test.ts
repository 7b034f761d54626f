/**
 * Audio files under attack, the way a user meets them: a suite names a broken WAV and
 * `convotest validate` (or `run`) exits 2 with one line per file naming the suite position,
 * the file and what is wrong. In-process, thousands of corrupted WAVs either decode or fail
 * with an AudioFileError naming the file — never another exception, never an allocation the
 * size a header claims.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { AudioFileError } from '../../src/audio/types.ts';
import { decodeWav, loadPrompt } from '../../src/audio/wav-read.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { buildWav, sine } from '../audio/wav-fixtures.ts';

const good = (): Uint8Array => buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [sine(440, 8000, 0.2)] });

function withFormatTag(tag: number, bits: number): Uint8Array {
  const bytes = good();
  const view = new DataView(bytes.buffer);
  view.setUint16(20, tag, true);
  view.setUint16(34, bits, true);
  return bytes;
}

function withDeclaredDataSize(bytes: Uint8Array, size: number): Uint8Array {
  new DataView(bytes.buffer).setUint32(40, size, true);
  return bytes;
}

const TWO_GB = 2 * 1024 * 1024 * 1024;

/** Each input class: the file's bytes (or how to make it) and what the error must say. */
const CLASSES: { name: string; file: string; bytes?: Uint8Array; sparse?: number; expect: RegExp }[] = [
  { name: 'an empty file', file: 'empty.wav', bytes: new Uint8Array(0), expect: /file is empty \(0 bytes\)/ },
  { name: 'a header cut short', file: 'cut-header.wav', bytes: good().subarray(0, 8), expect: /truncated WAV header \(only 8 bytes\)/ },
  { name: 'a header cut inside the fmt chunk', file: 'cut-fmt.wav', bytes: good().subarray(0, 30), expect: /truncated WAV header \("fmt " chunk of 16 bytes, 10 present\)/ },
  { name: 'a corrupt header (RIFF, not WAVE)', file: 'corrupt.wav', bytes: Uint8Array.from([...good().subarray(0, 8), ...Buffer.from('AVI '), ...good().subarray(12)]), expect: /a RIFF file of type "AVI ", not a WAV file/ },
  { name: 'zero-length data', file: 'zero-data.wav', bytes: buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [new Float64Array(0)] }), expect: /holds no audio \(its "data" chunk has 0 bytes\)/ },
  {
    name: 'a declared size larger than the file, nothing there',
    file: 'declared-larger.wav',
    bytes: withDeclaredDataSize(buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [new Float64Array(0)] }), 1_000_000),
    expect: /holds no audio/,
  },
  { name: 'Microsoft ADPCM', file: 'adpcm.wav', bytes: withFormatTag(2, 4), expect: /audio is encoded as Microsoft ADPCM, which convotest cannot play; convert it to 16-bit PCM with `ffmpeg/ },
  { name: 'IMA ADPCM', file: 'ima.wav', bytes: withFormatTag(0x11, 4), expect: /encoded as IMA ADPCM/ },
  { name: 'an MP3 renamed to .wav', file: 'song.wav', bytes: Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000junk junk junk'), expect: /not a WAV file \(starts with "ID3"\) \(it looks like MP3\)/ },
  { name: 'a text file renamed to .wav', file: 'notes.wav', bytes: Buffer.from('hello, these are my notes\n'), expect: /not a WAV file \(starts with "hell"\)/ },
  { name: 'a 2 GB declared length with no audio present', file: 'two-gb-declared.wav', bytes: withDeclaredDataSize(buildWav({ encoding: 'pcm16', sampleRate: 8000, channels: [new Float64Array(0)] }), TWO_GB), expect: /holds no audio/ },
  { name: 'a real 2 GB file (sparse), refused before it is read', file: 'two-gb.wav', sparse: TWO_GB, expect: /file is 2048 MB, too large for a prompt \(limit 256 MB\)/ },
];

let dir: string;
let validate: Awaited<ReturnType<typeof runCli>>;
/** Line of the suite where each class's file is named (1-based), by file name. */
const lineOf = new Map<string, number>();

before(async () => {
  dir = await tempDir('convotest-audio-attack-');
  const lines = ['name: Broken prompts', 'target: builtin:reference', 'calls:'];
  for (const [i, item] of CLASSES.entries()) {
    const path = join(dir, item.file);
    if (item.sparse) {
      await writeFile(path, good());
      const handle = await open(path, 'r+');
      await handle.truncate(item.sparse);
      await handle.close();
    } else {
      await writeFile(path, item.bytes!);
    }
    lines.push(`  - name: case ${i}`, '    turns:');
    lineOf.set(item.file, lines.length + 1);
    lines.push(`      - user: { audio: ${item.file} }`);
  }
  await writeFile(join(dir, 'suite.yaml'), `${lines.join('\n')}\n`);
  validate = await runCli(['validate', join(dir, 'suite.yaml')]);
});

describe('audio files under attack, through `convotest validate`', () => {
  test('exits 2, prints nothing on stdout and no stack', () => {
    assert.equal(validate.code, 2, validate.stdout + validate.stderr);
    assert.equal(validate.stdout, '');
    assert.doesNotMatch(validate.stderr, /\n\s+at |Error:/);
  });

  for (const item of CLASSES) {
    test(`${item.name}: one line naming the suite position, the file and the problem`, () => {
      const path = join(dir, item.file);
      const line = validate.stderr.split('\n').find((l) => l.includes(`${path}: `));
      assert.ok(line, `a line for ${item.file} in:\n${validate.stderr}`);
      assert.match(line, new RegExp(`suite\\.yaml:${lineOf.get(item.file)}:\\d+: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      assert.match(line, item.expect);
    });
  }

  test('`convotest run` refuses the same suite before dialling anything', async () => {
    const out = join(dir, 'reports');
    const result = await runCli(['run', join(dir, 'suite.yaml'), '--out', out]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /adpcm\.wav: audio is encoded as Microsoft ADPCM/);
    assert.doesNotMatch(result.stdout, /Running/);
  });
});

describe('corrupted WAVs in-process', () => {
  test('random corruptions decode or fail with an AudioFileError naming the file', () => {
    const base = buildWav({ encoding: 'pcm16', sampleRate: 16000, channels: [sine(300, 16000, 0.05), sine(500, 16000, 0.05)], listChunk: true });
    const seen = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 255 })), { maxLength: 8 }),
        fc.nat({ max: base.length }),
        fc.constantFrom(0, 0xffffffff, 0x80000000, 1, 3, 17),
        fc.nat({ max: 4 }),
        (flips, cut, size, where) => {
          const bytes = Uint8Array.from(base.subarray(0, Math.max(cut, where === 0 ? 0 : 12)));
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          // Sizes of the RIFF, fmt and data headers are where hostile values do damage.
          const sizeAt = [4, 16, 40, 52, 56][where]!;
          if (sizeAt + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(sizeAt, size, true);
          try {
            const pcm = decodeWav(bytes, 'fuzz.wav');
            // Only what is really in the file is decoded, whatever the header claims.
            assert.ok(pcm.samples.length <= bytes.length, `${pcm.samples.length} samples from ${bytes.length} bytes`);
            seen.decoded++;
          } catch (error) {
            assert.ok(error instanceof AudioFileError, `not an AudioFileError: ${(error as Error).stack}`);
            assert.ok(error.message.startsWith('fuzz.wav: '), error.message);
            assert.doesNotMatch(error.message, /\n/);
            seen.refused++;
          }
        },
      ),
      { numRuns: 3000, seed: 5 },
    );
    assert.ok(seen.decoded > 0 && seen.refused > 0, JSON.stringify(seen));
  });

  test('a 2 GB declared data size with a little audio decodes only that audio', async () => {
    const bytes = withDeclaredDataSize(good(), TWO_GB);
    assert.equal(decodeWav(bytes, 'x.wav').samples.length, 1600);
    const path = join(dir, 'two-gb-claim.wav');
    await writeFile(path, bytes);
    assert.equal((await loadPrompt(path, 8000)).samples.length, 1600);
  });

  test('a real 2 GB file is refused from its size, before reading it', async () => {
    await assert.rejects(loadPrompt(join(dir, 'two-gb.wav'), 8000), (error: unknown) => error instanceof AudioFileError && /too large for a prompt/.test(error.message));
  });
});
