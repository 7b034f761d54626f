/**
 * The run's safety settings from the command line, checked before anything runs: TLS
 * (--ca, --insecure) and whether the reports folder can really be written.
 * Every problem is one line for the user; the caller turns it into exit code 2.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { TlsPolicy } from '../protocols/connect.ts';
import { writeFileAtomic } from '../report/atomic.ts';

export const INSECURE_WARNING =
  '--insecure: TLS certificates of wss:// and https:// targets were NOT verified; this run proves nothing about the bot’s certificate';

export interface SafetyFlags {
  ca?: string;
  insecure?: boolean;
}

export async function readTlsFlags(flags: SafetyFlags): Promise<{ tls?: TlsPolicy; warnings: string[] } | { error: string }> {
  const warnings: string[] = [];
  let tls: TlsPolicy | undefined;
  if (flags.ca !== undefined) {
    let pem: string;
    try {
      pem = await readFile(flags.ca, 'utf8');
    } catch (error) {
      return { error: `cannot read the --ca file ${flags.ca}: ${fileProblem(error)}; give the path of the CA certificate, in PEM form` };
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      return { error: `--ca ${flags.ca} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block); export the CA certificate as PEM` };
    }
    tls = { ca: pem };
  }
  if (flags.insecure) {
    tls = { ...tls, insecure: true };
    warnings.push(INSECURE_WARNING);
  }
  return { tls, warnings };
}

/**
 * Creates the reports folder, then writes and removes a small file the way the reports are
 * written, so a read-only, full or foreign folder is an error before the first call rather
 * than lost results after the last. Returns the folder's absolute path, or what went wrong.
 */
export async function prepareOutDir(out: string): Promise<{ outDir: string } | { error: string }> {
  const outDir = resolve(out);
  const probe = join(outDir, `.convotest-probe-${process.pid}`);
  try {
    await makeFolder(outDir);
    await writeFileAtomic(probe, 'convotest checks that reports can be written here\n');
    await rm(probe, { force: true });
    return { outDir };
  } catch (error) {
    return { error: `cannot write reports to ${outDir}: ${fileProblem(error)}; free space, fix permissions or choose another folder with --out` };
  }
}

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir never returns on some paths
 * (`-o /proc/x` spun forever): on a file system that refuses new folders it keeps retrying
 * the parent, which exists.
 */
async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    try {
      if ((await stat(at)).isDirectory()) break;
      throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error;
      missing.push(at);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      // Made by someone else meanwhile: fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** A file system error in words; the errno code when there are none for it. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way of the folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return code ?? (error as Error).message;
  }
}
