/**
 * Reports are read by CI while a run may still be killed (Ctrl-C, job timeout): a reader must
 * see either the previous file or the whole new one, never half of it. Writing next to the
 * target and renaming gives that, because rename within one folder is atomic.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  // Same folder as the target (a temp dir may be another filesystem, where rename fails);
  // a dot-prefix keeps the half-written file out of globs like `reports/*.xml`.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      // Without the flush, a crash right after rename can leave an empty file under the final name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
