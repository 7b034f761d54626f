import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDuration } from '../clock/duration.ts';
import type {
  CallSpec,
  ExpectationKind,
  ExpectationSpec,
  Protocol,
  SourcePos,
  Suite,
  TextMatch,
  TurnSpec,
  TwilioOptions,
  UserAction,
} from './model.ts';
import type { SuiteProblem } from './problems.ts';
import { compileTextMatch, isRegexLiteral } from './text-match.ts';
import type { DataPath, YamlSource } from './yaml-source.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_FROM = '+15550001111';
export const DEFAULT_TO = '+15550002222';

type Data = Record<string, unknown>;

/**
 * Turns suite data into the typed model: durations to ms, paths made absolute, text matches
 * compiled, defaults filled in. It also finds what the schema cannot: duplicate call names,
 * bad regexes, missing audio files. It runs even when the schema failed, so one load reports
 * everything; every read is therefore guarded, and wrong-typed values are skipped silently
 * because the schema has already reported them.
 */
export async function buildSuite(data: unknown, source: YamlSource): Promise<{ suite: Suite; problems: SuiteProblem[] }> {
  const builder = new SuiteBuilder(source);
  const suite = builder.suite(isData(data) ? data : {});
  await Promise.all(builder.audioChecks);
  return { suite, problems: builder.problems };
}

class SuiteBuilder {
  readonly problems: SuiteProblem[] = [];
  readonly audioChecks: Promise<void>[] = [];
  private readonly folder: string;

  constructor(private readonly source: YamlSource) {
    this.folder = dirname(source.file);
  }

  suite(data: Data): Suite {
    const defaults = isData(data['defaults']) ? data['defaults'] : {};
    const timeout = duration(defaults['timeout']) ?? DEFAULT_TIMEOUT_MS;
    const calls = Array.isArray(data['calls']) ? data['calls'] : [];
    const suite: Suite = {
      file: this.source.file,
      name: str(data['name']) ?? '',
      protocol: data['protocol'] === 'audiocodes' ? 'audiocodes' : ('twilio' satisfies Protocol),
      target: str(data['target']) ?? '',
      defaults: { timeout },
      tags: strings(data['tags']),
      twilio: this.twilio(data['twilio']),
      audiocodes: isData(data['audiocodes']) ? data['audiocodes'] : {},
      calls: calls.map((call, i) => this.call(isData(call) ? call : {}, ['calls', i], timeout)),
      pos: this.pos([]),
    };
    this.checkUniqueNames(calls);
    return suite;
  }

  private twilio(value: unknown): TwilioOptions {
    const data = isData(value) ? value : {};
    const options: TwilioOptions = { parameters: stringMap(data['parameters']) };
    for (const key of ['accountSid', 'callSid', 'streamSid'] as const) {
      const text = str(data[key]);
      if (text !== undefined) options[key] = text;
    }
    return options;
  }

  private call(data: Data, path: DataPath, suiteTimeout: number): CallSpec {
    const turns = Array.isArray(data['turns']) ? data['turns'] : [];
    return {
      name: str(data['name']) ?? '',
      from: str(data['from']) ?? DEFAULT_FROM,
      to: str(data['to']) ?? DEFAULT_TO,
      parameters: stringMap(data['parameters']),
      tags: strings(data['tags']),
      timeout: duration(data['timeout']) ?? suiteTimeout,
      turns: turns.map((turn, i) => this.turn(isData(turn) ? turn : {}, [...path, 'turns', i], i + 1)),
      pos: this.pos(path),
    };
  }

  private turn(data: Data, path: DataPath, index: number): TurnSpec {
    const expect = Array.isArray(data['expect']) ? data['expect'] : [];
    const turn: TurnSpec = {
      index,
      expect: expect.flatMap((item, i) => this.expectation(item, [...path, 'expect', i]) ?? []),
      pos: this.pos(path),
    };
    const user = isData(data['user']) ? this.user(data['user'], [...path, 'user']) : undefined;
    if (user) turn.user = user;
    return turn;
  }

  /** The action's pos is its key (`audio:`, `dtmf:` …): that names what the caller did. */
  private user(data: Data, path: DataPath): UserAction | undefined {
    if (typeof data['audio'] === 'string') {
      const file = resolve(this.folder, data['audio']);
      this.checkAudio(file, [...path, 'audio']);
      const action: UserAction = { kind: 'audio', file, pos: this.keyPos([...path, 'audio']) };
      const bargeIn = duration(data['bargeIn']);
      if (bargeIn !== undefined) action.bargeIn = bargeIn;
      return action;
    }
    if (typeof data['dtmf'] === 'string') return { kind: 'dtmf', digits: data['dtmf'], pos: this.keyPos([...path, 'dtmf']) };
    const silence = duration(data['silence']);
    if (silence !== undefined) return { kind: 'silence', duration: silence, pos: this.keyPos([...path, 'silence']) };
    if (data['hangup'] === true) return { kind: 'hangup', pos: this.keyPos([...path, 'hangup']) };
    return undefined;
  }

  private expectation(item: unknown, path: DataPath): ExpectationSpec | undefined {
    if (!isData(item)) return undefined;
    const kind = Object.keys(item).find((key): key is ExpectationKind => KINDS.has(key));
    if (!kind) return undefined;
    const valuePath = [...path, kind];
    const raw = item[kind];
    // `text: "welcome"` is shorthand for `text: { match: "welcome" }`.
    const shorthand = (kind === 'text' || kind === 'recognition') && typeof raw === 'string';
    const fields: Data = shorthand ? { match: raw } : isData(raw) ? raw : {};
    const fieldPath = (field: string) => (shorthand ? valuePath : [...valuePath, field]);
    const within = duration(fields['within']);
    const pos = this.pos(path);
    const base = within === undefined ? { pos } : { within, pos };

    switch (kind) {
      case 'botSpeech': {
        const minDuration = duration(fields['minDuration']);
        return minDuration === undefined ? { kind, ...base } : { kind, ...base, minDuration };
      }
      case 'mark': {
        const name = str(fields['name']);
        return name === undefined ? { kind, ...base } : { kind, ...base, name };
      }
      case 'dtmf': {
        const digits = str(fields['digits']);
        return digits === undefined ? { kind, ...base } : { kind, ...base, digits };
      }
      case 'hangup': {
        const reason = this.textMatch(fields['reason'], fieldPath('reason'));
        return reason === undefined ? { kind, ...base } : { kind, ...base, reason };
      }
      case 'transfer': {
        const target = this.textMatch(fields['target'], fieldPath('target'));
        return target === undefined ? { kind, ...base } : { kind, ...base, target };
      }
      case 'text':
      case 'recognition': {
        const match = this.textMatch(fields['match'], fieldPath('match'));
        return match === undefined ? undefined : { kind, ...base, match };
      }
      case 'message': {
        if (!isData(fields['match'])) return undefined;
        this.checkMessageRegexes(fields['match'], fieldPath('match'));
        return { kind, ...base, match: fields['match'] };
      }
      case 'clear':
      case 'closed':
        return { kind, ...base };
    }
  }

  private textMatch(value: unknown, path: DataPath): TextMatch | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    const compiled = compileTextMatch(value);
    if (typeof compiled === 'string') {
      this.problem(path, compiled);
      return undefined;
    }
    return compiled;
  }

  /** message.match values are kept as written, but a broken "/regex/" is better caught now than mid-run. */
  private checkMessageRegexes(match: Data, path: DataPath): void {
    for (const [field, value] of Object.entries(match)) {
      if (typeof value !== 'string' || !isRegexLiteral(value)) continue;
      const compiled = compileTextMatch(value);
      if (typeof compiled === 'string') this.problem([...path, field], compiled);
    }
  }

  private checkUniqueNames(calls: unknown[]): void {
    const firstLine = new Map<string, number>();
    calls.forEach((call, i) => {
      const name = isData(call) ? str(call['name']) : undefined;
      if (name === undefined) return;
      const path = ['calls', i, 'name'];
      const seen = firstLine.get(name);
      if (seen === undefined) firstLine.set(name, this.pos(path).line);
      else this.problem(path, `duplicate call name ${JSON.stringify(name)}: call names must be unique within a suite (first used on line ${seen})`);
    });
  }

  /** Only existence and readability: decoding belongs to the audio module, at run time. */
  private checkAudio(file: string, path: DataPath): void {
    const check = async () => {
      try {
        if ((await stat(file)).isDirectory()) {
          this.problem(path, `audio path is a folder, not a file: ${file}`);
          return;
        }
        await access(file, constants.R_OK);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        this.problem(
          path,
          code === 'ENOENT' || code === 'ENOTDIR'
            ? `audio file not found: ${file} (paths are relative to the suite's folder)`
            : `audio file is not readable: ${file} (${code ?? (error as Error).message})`,
        );
      }
    };
    this.audioChecks.push(check());
  }

  private problem(path: DataPath, message: string): void {
    const { line, col } = this.source.valuePos(path);
    this.problems.push({ file: this.source.file, line, col, message });
  }

  private pos(path: DataPath): SourcePos {
    return this.source.valuePos(path);
  }

  private keyPos(path: DataPath): SourcePos {
    return this.source.keyPos(path);
  }
}

const KINDS = new Set<string>([
  'botSpeech',
  'mark',
  'clear',
  'dtmf',
  'hangup',
  'closed',
  'text',
  'recognition',
  'transfer',
  'message',
] satisfies ExpectationKind[]);

function isData(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function stringMap(value: unknown): Record<string, string> {
  if (!isData(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Wrong durations were already reported by the schema check, in the same words parseDuration uses. */
function duration(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
