/**
 * The run's safety settings from the command line, checked before anything runs: TLS
 * (--ca, --insecure), hard limits, and whether the reports folder can really be written.
 * Every problem is one line for the user; the caller turns it into exit code 2.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { DurationError, parseDuration } from '../clock/duration.ts';
import type { TlsPolicy } from '../protocols/connect.ts';
import { writeFileAtomic } from '../report/atomic.ts';

export const INSECURE_WARNING =
  '--insecure: TLS certificates of wss:// and https:// targets were NOT verified; this run proves nothing about the bot’s certificate';

export interface SafetyFlags {
  ca?: string;
  insecure?: boolean;
}

/** Commander argument parser for duration flags (`--max-call-duration 2m`). */
export function durationFlag(value: string): number {
  try {
    const ms = parseDuration(value);
    if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero, like "90s" or "5m"');
    return ms;
  } catch (error) {
    if (error instanceof DurationError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** Same, where 0 means "off" (`--idle-timeout 0`). */
export function durationOrOffFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof DurationError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export async function readTlsFlags(flags: SafetyFlags): Promise<{ tls?: TlsPolicy; warnings: string[] } | { error: string }> {
  const warnings: string[] = [];
  let tls: TlsPolicy | undefined;
  if (flags.ca !== undefined) {
    let pem: string;
    try {
      pem = await readFile(flags.ca, 'utf8');
    } catch (error) {
      return { error: `cannot read the --ca file ${flags.ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
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
 * Writes and removes a small file the way the reports are written, so a read-only, full or
 * foreign folder is an error before the first call rather than lost results after the last.
 */
export async function probeOutDir(outDir: string): Promise<string | null> {
  const probe = join(outDir, `.convotest-probe-${process.pid}`);
  try {
    await writeFileAtomic(probe, 'convotest checks that reports can be written here\n');
    await rm(probe, { force: true });
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'ENOTDIR' || code === 'EEXIST'
              ? 'a file is in the way of the folder'
              : (code ?? (error as Error).message);
    return `cannot write reports to ${outDir}: ${why}; free space, fix permissions or choose another folder with --out`;
  }
}
