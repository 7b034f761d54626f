import { type Data, duration, isData, str, stringMap } from './values.ts';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BargeInSpec, CallSpec, LoadSpec, NoiseSpec, Protocol, SourcePos, Suite, SuiteLimits, ThresholdSpec, TurnSpec, TwilioOptions, UnderrunLimit, UserAction } from './model.ts';
import { parseRate, RateError } from './rate.ts';
import { RunControlReader } from './normalize-run-control.ts';
import { buildExpectations } from './normalize-expect.ts';
import { checkSignature, checkUrls, mergeTwilio, readCompliance, readTwilioBlock, readUnderruns, type TwilioReadContext } from './normalize-twilio.ts';
import type { SuiteProblem } from './problems.ts';
import { parseThresholdExpression, ThresholdError } from './threshold-expr.ts';
import type { DataPath, YamlSource } from './yaml-source.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_FROM = '+15550001111';
export const DEFAULT_TO = '+15550002222';


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
  builder.runControl.checkSpeech(suite);
  await Promise.all(builder.audioChecks);
  return { suite, problems: builder.problems };
}

class SuiteBuilder {
  readonly problems: SuiteProblem[] = [];
  readonly audioChecks: Promise<void>[] = [];
  private readonly folder: string;
  /** `say:`, `tts:`, `noise:`, `only:`/`skip:` and retry/repeat settings. */
  readonly runControl: RunControlReader;
  /** Noise in effect for the turns being read: the call's, else the suite's. */
  private inheritedNoise: NoiseSpec | undefined;
  /** The suite's `twilio:` options, which each call's own block overrides. */
  private suiteTwilio: TwilioOptions = { parameters: {} };
  private defaultUnderruns: UnderrunLimit | undefined;
  private readonly twilioContext: TwilioReadContext = {
    problem: (path, message) => this.problem(path, message),
    keyProblem: (path, message) => this.problems.push({ ...this.source.keyPos(path), message }),
    pos: (path) => this.pos(path),
  };

  constructor(private readonly source: YamlSource) {
    this.folder = dirname(source.file);
    this.runControl = new RunControlReader({
      folder: this.folder,
      problem: (path, message) => this.problem(path, message),
      keyProblem: (path, message) => this.problems.push({ ...this.source.keyPos(path), message }),
      pos: (path) => this.pos(path),
      keyPos: (path) => this.keyPos(path),
      checkAudio: (file, path) => this.checkAudio(file, path),
      defer: (check) => this.audioChecks.push(check),
    });
  }

  suite(data: Data): Suite {
    const defaults = isData(data['defaults']) ? data['defaults'] : {};
    const timeout = duration(defaults['timeout']) ?? DEFAULT_TIMEOUT_MS;
    const calls = Array.isArray(data['calls']) ? data['calls'] : [];
    this.inheritedNoise = this.runControl.noise(data['noise'], ['noise']);
    const suiteNoise = this.inheritedNoise;
    const protocol: Protocol = data['protocol'] === 'audiocodes' ? 'audiocodes' : 'twilio';
    this.defaultUnderruns = readUnderruns(defaults['underruns'], ['defaults', 'underruns'], this.twilioContext);
    const suite: Suite = {
      file: this.source.file,
      name: str(data['name']) ?? '',
      protocol,
      target: str(data['target']) ?? '',
      defaults: { timeout, ...this.runControl.policy(defaults, ['defaults']), ...(this.defaultUnderruns ? { underruns: this.defaultUnderruns } : {}) },
      tags: strings(data['tags']),
      twilio: this.twilio(data['twilio']),
      audiocodes: isData(data['audiocodes']) ? data['audiocodes'] : {},
      compliance: readCompliance(data['compliance'], protocol, this.twilioContext),
      thresholds: this.thresholds(data['thresholds']),
      calls: calls.map((call, i) => {
        this.inheritedNoise = suiteNoise;
        return this.call(isData(call) ? call : {}, ['calls', i], timeout);
      }),
      pos: this.pos([]),
    };
    const limits = this.limits(data['limits']);
    if (limits) suite.limits = limits;
    const load = this.load(data['load']);
    if (load) suite.load = load;
    Object.assign(suite, this.runControl.focus(data, []));
    const tts = this.runControl.tts(data['tts'], ['tts']);
    if (tts) suite.tts = tts;
    this.checkUniqueNames(calls);
    return suite;
  }

  /** Only the limits written: the engine knows the defaults and the command line's overrides. */
  private limits(value: unknown): SuiteLimits | undefined {
    if (!isData(value)) return undefined;
    const limits: SuiteLimits = {};
    for (const key of ['call', 'connect', 'idle', 'recording'] as const) {
      const ms = duration(value[key]);
      if (ms !== undefined) limits[key] = ms;
    }
    return limits;
  }

  /** The schema checked the shapes; the rate's text is parsed here. */
  private load(value: unknown): LoadSpec | undefined {
    if (!isData(value)) return undefined;
    const load: LoadSpec = { pos: this.pos(['load']) };
    if (typeof value['calls'] === 'number') load.calls = value['calls'];
    if (typeof value['rate'] === 'number' || typeof value['rate'] === 'string') {
      try {
        load.rate = parseRate(value['rate']);
      } catch (error) {
        if (!(error instanceof RateError)) throw error;
        this.problem(['load', 'rate'], error.message);
      }
    }
    const ramp = duration(value['ramp']);
    if (ramp !== undefined) load.rampMs = ramp;
    const lasting = duration(value['duration']);
    if (lasting !== undefined) load.durationMs = lasting;
    return load;
  }

  /** `metric: expression` or `metric: [expressions]`; each bad one is a problem at itself. */
  private thresholds(value: unknown): ThresholdSpec[] {
    if (!isData(value)) return [];
    const specs: ThresholdSpec[] = [];
    for (const [metric, expressions] of Object.entries(value)) {
      const list = typeof expressions === 'string' ? [expressions] : Array.isArray(expressions) ? expressions : [];
      list.forEach((expression, i) => {
        if (typeof expression !== 'string') return;
        const path = typeof expressions === 'string' ? ['thresholds', metric] : ['thresholds', metric, i];
        try {
          specs.push({ ...parseThresholdExpression(metric, expression), pos: this.pos(path) });
        } catch (error) {
          if (!(error instanceof ThresholdError)) throw error;
          this.problem(error.message.startsWith('unknown metric') ? ['thresholds', metric] : path, error.message);
        }
      });
    }
    return specs;
  }

  private twilio(value: unknown): TwilioOptions {
    const written = readTwilioBlock(value);
    this.suiteTwilio = { ...written, parameters: written.parameters ?? {} };
    checkSignature(this.suiteTwilio, written, ['twilio'], this.twilioContext);
    checkUrls(written, ['twilio'], this.twilioContext);
    return this.suiteTwilio;
  }

  /** A call's `twilio:` block over the suite's; undefined when the call has none. */
  private callTwilio(value: unknown, path: DataPath): TwilioOptions | undefined {
    if (!isData(value)) return undefined;
    const written = readTwilioBlock(value);
    const merged = mergeTwilio(this.suiteTwilio, written);
    checkSignature(merged, written, [...path, 'twilio'], this.twilioContext);
    checkUrls(written, [...path, 'twilio'], this.twilioContext);
    return merged;
  }

  private call(data: Data, path: DataPath, suiteTimeout: number): CallSpec {
    const turns = Array.isArray(data['turns']) ? data['turns'] : [];
    this.inheritedNoise = this.runControl.noise(data['noise'], [...path, 'noise']) ?? this.inheritedNoise;
    const call: CallSpec = {
      name: str(data['name']) ?? '',
      from: str(data['from']) ?? DEFAULT_FROM,
      to: str(data['to']) ?? DEFAULT_TO,
      parameters: stringMap(data['parameters']),
      tags: strings(data['tags']),
      timeout: duration(data['timeout']) ?? suiteTimeout,
      turns: turns.map((turn, i) => this.turn(isData(turn) ? turn : {}, [...path, 'turns', i], i + 1)),
      pos: this.pos(path),
    };
    const twilio = this.callTwilio(data['twilio'], path);
    if (twilio) call.twilio = twilio;
    const underruns = readUnderruns(data['underruns'], [...path, 'underruns'], this.twilioContext) ?? this.defaultUnderruns;
    if (underruns) call.underruns = underruns;
    return Object.assign(call, this.runControl.focus(data, path), this.runControl.policy(data, path));
  }

  private turn(data: Data, path: DataPath, index: number): TurnSpec {
    const expect = Array.isArray(data['expect']) ? data['expect'] : [];
    const user = isData(data['user']) ? this.user(data['user'], [...path, 'user']) : undefined;
    const context = { problem: (p: DataPath, message: string) => this.problem(p, message), pos: (p: DataPath) => this.pos(p) };
    const turn: TurnSpec = {
      index,
      expect: buildExpectations(context, expect, [...path, 'expect'], { speaks: callerSpeaks(data['user']) }),
      pos: this.pos(path),
    };
    if (user) turn.user = user;
    return turn;
  }

  /** The action's pos is its key (`audio:`, `dtmf:` …): that names what the caller did. */
  private user(data: Data, path: DataPath): UserAction | undefined {
    const action = this.action(data, path);
    if (action) this.runControl.actionExtras(action, data, path, this.inheritedNoise);
    return action;
  }

  private action(data: Data, path: DataPath): UserAction | undefined {
    if (typeof data['audio'] === 'string') {
      const file = resolve(this.folder, data['audio']);
      this.checkAudio(file, [...path, 'audio']);
      const action: UserAction = { kind: 'audio', file, pos: this.keyPos([...path, 'audio']) };
      const bargeIn = bargeInSpec(data['bargeIn']);
      if (bargeIn !== undefined) action.bargeIn = bargeIn;
      return action;
    }
    if (typeof data['say'] === 'string') {
      const action: UserAction = { kind: 'say', text: data['say'], pos: this.keyPos([...path, 'say']) };
      const bargeIn = bargeInSpec(data['bargeIn']);
      if (bargeIn !== undefined) action.bargeIn = bargeIn;
      return action;
    }
    if (typeof data['dtmf'] === 'string') return { kind: 'dtmf', digits: data['dtmf'], pos: this.keyPos([...path, 'dtmf']) };
    const silence = duration(data['silence']);
    if (silence !== undefined) return { kind: 'silence', duration: silence, pos: this.keyPos([...path, 'silence']) };
    if (data['hangup'] === true) return { kind: 'hangup', pos: this.keyPos([...path, 'hangup']) };
    return undefined;
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

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `bargeIn: 400ms` is 400 ms into the bot's reply; `bargeIn: { atMark: menu, after: 200ms }` waits for that mark. */
function bargeInSpec(value: unknown): BargeInSpec | undefined {
  const after = duration(value);
  if (after !== undefined) return { after };
  if (!isData(value) || typeof value['atMark'] !== 'string') return undefined;
  return { after: duration(value['after']) ?? 0, atMark: value['atMark'] };
}

/** Whether the caller speaks in a turn: `from: speechEnd` and `bargeIn` checks need it. */
function callerSpeaks(user: unknown): boolean {
  return isData(user) && (typeof user['audio'] === 'string' || user['say'] !== undefined);
}
