/**
 * The suite keys that control how calls run rather than what they expect: `say:` and `tts:`,
 * caller `noise:`, `only:`/`skip:`, and `retries`/`repeat`/`minPassRate`. Like the rest of
 * normalize, it reads guarded (the schema reports wrong types) and adds what the schema
 * cannot know: whether a speech synthesiser is there, whether noise is fully specified.
 */
import { type Data, isData, passRate } from './values.ts';
import { resolve } from 'node:path';
import { findEspeak, findProgram, INSTALL_HINT, parseCommand, usesPlaceholder } from '../audio/tts/index.ts';
import type { NoiseSpec, RunPolicy, SkipSpec, SourcePos, Suite, TtsOptions, UserAction } from './model.ts';
import type { DataPath } from './yaml-source.ts';


export interface RunControlContext {
  /** The suite file's folder: relative paths and commands start there. */
  folder: string;
  /** A problem at the value of `path`. */
  problem(path: DataPath, message: string): void;
  /** A problem at the key of `path` (for "this key does not belong here"). */
  keyProblem(path: DataPath, message: string): void;
  pos(path: DataPath): SourcePos;
  keyPos(path: DataPath): SourcePos;
  checkAudio(file: string, path: DataPath): void;
  /** Runs an async check before the load finishes. */
  defer(check: Promise<void>): void;
}

const NOISE_COLORS = new Set(['white', 'pink', 'brown']);

export class RunControlReader {
  private readonly says: { action: Extract<UserAction, { kind: 'say' }>; path: DataPath }[] = [];
  /** Set when `tts.command` was written but could not be used (already reported). */
  private badCommand = false;

  constructor(private readonly context: RunControlContext) {}

  /** `noise: { type | file, snr | level }`; undefined when absent or unusable (the problem is reported). */
  noise(value: unknown, path: DataPath): NoiseSpec | undefined {
    if (!isData(value)) return undefined;
    const { problem } = this.context;
    const color = typeof value['type'] === 'string' && NOISE_COLORS.has(value['type']) ? (value['type'] as 'white' | 'pink' | 'brown') : undefined;
    const file = typeof value['file'] === 'string' && value['file'] !== '' ? resolve(this.context.folder, value['file']) : undefined;
    const hasSource = value['type'] !== undefined || value['file'] !== undefined;
    const hasLevel = value['snr'] !== undefined || value['level'] !== undefined;
    if (value['type'] !== undefined && value['file'] !== undefined) {
      problem(path, '`noise` takes `type` (generated noise) or `file` (a recording), not both');
      return undefined;
    }
    if (value['snr'] !== undefined && value['level'] !== undefined) {
      problem(path, '`noise` takes `snr` (relative to the caller\'s speech) or `level` (absolute), not both');
      return undefined;
    }
    if (!hasSource) problem(path, '`noise` needs `type` (white, pink or brown) or `file` (a WAV recording of noise)');
    if (!hasLevel) problem(path, '`noise` needs `snr` (how far below the caller\'s speech, like "10dB") or `level` (like "-45dBFS")');
    if (file) this.context.checkAudio(file, [...path, 'file']);
    const snrDb = decibels(value['snr'], 'dB');
    const levelDbfs = decibels(value['level'], 'dBFS');
    const source = color ? { color } : file ? { file } : undefined;
    const level = snrDb !== undefined ? { snrDb } : levelDbfs !== undefined && levelDbfs <= 0 ? { levelDbfs } : undefined;
    if (!source || !level) return undefined;
    return { source, level, pos: this.context.pos(path) };
  }

  tts(value: unknown, path: DataPath): TtsOptions | undefined {
    if (!isData(value)) return undefined;
    const options: TtsOptions = { pos: this.context.pos(path) };
    const command = value['command'];
    if (typeof command === 'string' || (Array.isArray(command) && command.every((arg) => typeof arg === 'string'))) {
      const parsed = parseCommand(command as string | string[]);
      if ('error' in parsed) {
        this.badCommand = true;
        this.context.problem([...path, 'command'], `\`tts.command\`: ${parsed.error}`);
      } else {
        options.command = parsed.argv;
      }
    } else if (command !== undefined) {
      this.badCommand = true;
    }
    if (typeof value['voice'] === 'string' && value['voice'] !== '') options.voice = value['voice'];
    if (typeof value['rate'] === 'number' && value['rate'] >= 80 && value['rate'] <= 450) options.wordsPerMinute = value['rate'];
    return options;
  }

  /** `only: true` and `skip: true | "why"` of a suite (path []) or a call. */
  focus(data: Data, path: DataPath): { only?: SourcePos; skip?: SkipSpec } {
    const focus: { only?: SourcePos; skip?: SkipSpec } = {};
    if (data['only'] === true) focus.only = this.context.keyPos([...path, 'only']);
    const skip = data['skip'];
    if (skip === true || (typeof skip === 'string' && skip !== '')) {
      focus.skip = typeof skip === 'string' ? { reason: skip, pos: this.context.keyPos([...path, 'skip']) } : { pos: this.context.keyPos([...path, 'skip']) };
    }
    return focus;
  }

  /** `retries`, `repeat`, `minPassRate` of `defaults:` or a call; only those written. */
  policy(data: Data, path: DataPath): RunPolicy {
    const policy: RunPolicy = {};
    const retries = data['retries'];
    if (Number.isInteger(retries) && (retries as number) >= 0 && (retries as number) <= 10) policy.retries = retries as number;
    const repeat = data['repeat'];
    if (Number.isInteger(repeat) && (repeat as number) >= 1 && (repeat as number) <= 1000) policy.repeat = repeat as number;
    const rate = passRate(data['minPassRate']);
    if (rate !== undefined) policy.minPassRate = rate;
    else if (typeof data['minPassRate'] === 'string' && /%\s*$/.test(data['minPassRate'])) {
      this.context.problem([...path, 'minPassRate'], `\`minPassRate\` cannot be more than 100%, got ${JSON.stringify(data['minPassRate'])}`);
    }
    return policy;
  }

  /** What a user action may carry besides the action itself: `voice`, `noise`, and where `bargeIn` fits. */
  actionExtras(action: UserAction, data: Data, path: DataPath, inheritedNoise: NoiseSpec | undefined): void {
    const { keyProblem } = this.context;
    const speaks = action.kind === 'audio' || action.kind === 'say';
    if (data['bargeIn'] !== undefined && !speaks) {
      keyProblem([...path, 'bargeIn'], "`bargeIn` only works with `audio` or `say`: it delays the caller's speech to talk over the bot");
    }
    if (data['voice'] !== undefined && action.kind !== 'say') {
      keyProblem([...path, 'voice'], '`voice` only works with `say`: it picks the voice the text is spoken in');
    }
    const hearsNoise = speaks || action.kind === 'silence';
    if (data['noise'] !== undefined && !hearsNoise) {
      keyProblem([...path, 'noise'], '`noise` only works with `audio`, `say` or `silence`: it is mixed under what the caller sends');
    }
    const noise = this.noise(data['noise'], [...path, 'noise']) ?? inheritedNoise;
    if (noise && hearsNoise) (action as { noise?: NoiseSpec }).noise = noise;
    if (action.kind === 'say') {
      if (typeof data['voice'] === 'string' && data['voice'] !== '') action.voice = data['voice'];
      this.says.push({ action, path });
    }
  }

  /** After the whole suite is read: can its `say:` turns be spoken at all? */
  checkSpeech(suite: Suite): void {
    if (this.says.length === 0 || this.badCommand) return;
    const { problem, keyProblem, folder } = this.context;
    const command = suite.tts?.command;
    if (!command) {
      if (findEspeak()) return;
      const first = this.says[0]!;
      const others = this.says.length > 1 ? ` (and ${this.says.length - 1} more \`say:\` turn${this.says.length > 2 ? 's' : ''})` : '';
      keyProblem(
        [...first.path, 'say'],
        `\`say:\` needs a speech synthesiser, and the built-in one (the optional espeak-ng package) is not installed${others}: ${INSTALL_HINT}`,
      );
      return;
    }
    if (usesPlaceholder(command, 'voice') && !suite.tts?.voice) {
      for (const { action, path } of this.says) {
        if (!action.voice) keyProblem([...path, 'say'], '`tts.command` uses {voice}, but this turn has no voice: set `tts.voice` or `voice:` on the turn');
      }
    }
    const program = command[0]!;
    this.context.defer(
      findProgram(program, folder).then((found) => {
        if (!found) {
          problem(
            ['tts', 'command'],
            `\`tts.command\`: program ${JSON.stringify(program)} not found ${/[\\/]/.test(program) ? `(relative to the suite's folder ${folder})` : 'on PATH'}, so the \`say:\` turns cannot be spoken; install it or give its full path`,
          );
        }
      }),
    );
  }
}

/** `10`, `"10dB"`, `"-45dBFS"` → the number; undefined for anything else (the schema says why). */
function decibels(value: unknown, unit: 'dB' | 'dBFS'): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = new RegExp(`^\\s*(-?(?:\\d+(?:\\.\\d+)?|\\.\\d+))\\s*${unit}\\s*$`).exec(value);
  return match ? Number(match[1]) : undefined;
}
