import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeFileAtomic } from '../../src/report/atomic.ts';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convotest-atomic-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  test('creates missing folders and leaves only the target behind', async () => {
    const path = join(dir, 'a', 'b', 'report.json');
    await writeFileAtomic(path, '{"ok":true}\n');
    assert.equal(await readFile(path, 'utf8'), '{"ok":true}\n');
    assert.deepEqual(await readdir(join(dir, 'a', 'b')), ['report.json']);
  });

  test('replaces an existing file whole, for strings and bytes', async () => {
    const path = join(dir, 'replace.bin');
    await writeFileAtomic(path, 'a much longer first version of the file');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  });

  test('concurrent writers to one path never mix and leave no temp files', async () => {
    const folder = join(dir, 'race');
    const path = join(folder, 'junit.xml');
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(5000));
    await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
    assert.ok(versions.includes(await readFile(path, 'utf8')));
    assert.deepEqual(await readdir(folder), ['junit.xml']);
  });

  test('a failed write rejects and cleans up its temp file', async () => {
    const folder = join(dir, 'fail');
    // The target is a non-empty folder, so the final rename must fail after the temp file was written.
    await mkdir(join(folder, 'report.json', 'inside'), { recursive: true });
    await assert.rejects(writeFileAtomic(join(folder, 'report.json'), 'data'));
    assert.deepEqual(await readdir(folder), ['report.json']);
  });
});
