/**
 * The `command:` engine: any program that turns text into a WAV. The command is split into
 * arguments once, here, and run without a shell, so text from a suite is always exactly one
 * argument (or stdin) and can never become a second command.
 *
 * Placeholders, each replaced inside whatever argument holds it:
 *   {text}  the text to speak (when absent, the text is written to the program's stdin)
 *   {out}   a path for the WAV to write (when absent, the WAV is read from its stdout)
 *   {voice} the voice of the turn or the suite (tts.voice)
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, rm, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export const PLACEHOLDERS = ['text', 'out', 'voice'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Synthesis is quick; a command still running after this is stuck. */
const COMMAND_TIMEOUT_MS = 120_000;
/** Minutes of 48 kHz stereo float would be a mistake; a prompt is seconds of speech. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const STDERR_TAIL = 400;

export class CommandError extends Error {}

/** Shell syntax that would do something different without a shell, so it is refused instead of passed on. */
const SHELL_ONLY = /^(\||\|\||&&|;|&|>|>>|<|2>|2>&1)$/;

/**
 * Splits a command line like a shell would, without any of a shell's expansions: spaces
 * separate arguments, '…' is literal, "…" allows \" and \\, a backslash escapes one
 * character. A list is taken as the arguments already split.
 */
export function parseCommand(command: string | string[]): { argv: string[] } | { error: string } {
  if (Array.isArray(command)) {
    if (command.length === 0 || command[0] === '') return { error: 'the command is empty: name a program, like ["say", "-o", "{out}", "{text}"]' };
    return checkPlaceholders(command);
  }
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else current += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\')) current += command[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) return { error: `the command has an unclosed ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) argv.push(current);
  if (argv.length === 0) return { error: 'the command is empty: name a program, like "say -o {out} {text}"' };
  const shellish = argv.find((arg) => SHELL_ONLY.test(arg) || arg.startsWith('$(') || arg.includes('`'));
  if (shellish !== undefined) {
    return {
      error: `the command runs one program without a shell, so \`${shellish}\` would not do what it does in a shell: use {out} (or write the WAV to stdout) instead of redirection, or put the pipeline in a script and run that`,
    };
  }
  return checkPlaceholders(argv);
}

function checkPlaceholders(argv: string[]): { argv: string[] } | { error: string } {
  for (const arg of argv) {
    for (const [, name] of arg.matchAll(/\{([^{}\s]*)\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name!)) {
        return { error: `unknown placeholder {${name}} in the command: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}` };
      }
    }
  }
  if (argv[0]!.includes('{')) return { error: 'the program name cannot be a placeholder' };
  return { argv };
}

export function usesPlaceholder(argv: string[], name: Placeholder): boolean {
  return argv.some((arg) => arg.includes(`{${name}}`));
}

/**
 * Where the program would be found: a path with a slash is relative to `cwd`, a bare name
 * is looked up on PATH. Null when it is not there or not executable.
 */
export async function findProgram(program: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const executable = async (file: string) => {
    try {
      if (!(await stat(file)).isFile()) return false;
      await access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (isAbsolute(program) || program.includes('/') || program.includes('\\')) {
    const file = resolve(cwd, program);
    return (await executable(file)) ? file : null;
  }
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const file = join(dir, program + ext);
      if (await executable(file)) return file;
    }
  }
  return null;
}

export interface CommandRequest {
  argv: string[];
  text: string;
  voice?: string;
  /** Folder the command runs in (the suite's). */
  cwd: string;
  /** Where {out} points; the caller removes it. */
  outFile: string;
}

/** Runs the command once and returns the WAV bytes it produced (not yet decoded). */
export async function runTtsCommand(request: CommandRequest): Promise<Uint8Array> {
  const { argv, text, cwd, outFile } = request;
  const values: Record<Placeholder, string> = { text, out: outFile, voice: request.voice ?? '' };
  const args = argv.map((arg) => arg.replace(/\{(text|out|voice)\}/g, (_m, name: Placeholder) => values[name]));
  const program = args[0]!;
  const toStdout = !usesPlaceholder(argv, 'out');
  const viaStdin = !usesPlaceholder(argv, 'text');
  const shown = `\`${argv.join(' ')}\``;

  const { code, signal, stdout, stderr, error } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: Buffer;
    stderr: string;
    error?: NodeJS.ErrnoException;
  }>((resolveRun) => {
    const child = spawn(program, args.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, timeout: COMMAND_TIMEOUT_MS });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderrText = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk);
      else child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderrText = (stderrText + chunk.toString('utf8')).slice(-STDERR_TAIL * 4)));
    // A program that does not read stdin closes it early; that is not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(viaStdin ? text : undefined);
    child.on('error', (err: NodeJS.ErrnoException) => resolveRun({ code: null, signal: null, stdout: Buffer.alloc(0), stderr: stderrText, error: err }));
    child.on('close', (exitCode, exitSignal) => resolveRun({ code: exitCode, signal: exitSignal, stdout: Buffer.concat(chunks), stderr: stderrText }));
  });

  if (error) {
    if (error.code === 'ENOENT') throw new CommandError(`tts command ${shown}: program ${JSON.stringify(program)} not found; install it or give its full path`);
    throw new CommandError(`tts command ${shown} could not start: ${error.code ?? error.message}`);
  }
  const tail = stderr.trim().split('\n').slice(-3).join(' ').slice(-STDERR_TAIL);
  if (signal) throw new CommandError(`tts command ${shown} was killed (${signal})${signal === 'SIGTERM' ? ` after ${COMMAND_TIMEOUT_MS / 1000} s` : ''}${tail ? `: ${tail}` : ''}`);
  if (code !== 0) throw new CommandError(`tts command ${shown} exited with code ${code}${tail ? `: ${tail}` : ''}`);
  if (toStdout) {
    if (stdout.length === 0) throw new CommandError(`tts command ${shown} wrote nothing to stdout: write the WAV there, or put {out} where the program takes its output file`);
    return stdout;
  }
  try {
    return await readFile(outFile);
  } catch {
    throw new CommandError(`tts command ${shown} exited without writing {out} (${outFile})${tail ? `: ${tail}` : ''}`);
  } finally {
    await rm(outFile, { force: true });
  }
}
