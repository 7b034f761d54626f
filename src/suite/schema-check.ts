import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { DurationError, parseDuration } from '../clock/duration.ts';
import { pathKey } from './interpolate.ts';
import { parseRate, RateError } from './rate.ts';
import type { Interpolation } from './interpolate.ts';
import type { SuiteProblem } from './problems.ts';
import { closest } from './suggest.ts';
import { isData } from './values.ts';
import type { DataPath, YamlSource } from './yaml-source.ts';

interface SchemaNode {
  $ref?: string;
  title?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  $defs?: Record<string, SchemaNode>;
}

const SCHEMA_FILE = new URL('../../schemas/suite.schema.json', import.meta.url);
/** Referenced from the suite schema by relative URL, so editors and ajv resolve it alike. */
const REFERENCED_SCHEMAS = [new URL('../../schemas/audiocodes-options.schema.json', import.meta.url)];

let compiled: { root: SchemaNode; validate: ValidateFunction } | undefined;

/** Compiled on first use: loading the package should not pay for schema compilation. */
function validator() {
  if (!compiled) {
    const root = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as SchemaNode;
    // Union types (["string", "number"]) keep the schema free of anyOf, whose errors are unreadable.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, allowUnionTypes: true, strictTypes: false });
    for (const file of REFERENCED_SCHEMAS) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')));
    compiled = { root, validate: ajv.compile(root) };
  }
  return compiled;
}

/** Validates suite data against schemas/suite.schema.json and words every error for people, at its position. */
export function schemaProblems(data: unknown, source: YamlSource, interpolation: Interpolation): SuiteProblem[] {
  const { root, validate } = validator();
  if (validate(data)) return [];
  // Failing oneOf/anyOf branches only say "must have required property"; the parent error is worded instead.
  const errors = (validate.errors ?? []).filter((e) => !/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath));
  const describer = new ErrorDescriber(errors, data, root, source, interpolation);
  const problems: SuiteProblem[] = [];
  for (const error of errors) {
    const described = describer.describe(error);
    if (described) problems.push({ file: source.file, line: described.line, col: described.col, message: described.message });
  }
  return problems;
}

interface Described {
  line: number;
  col: number;
  message: string;
}

class ErrorDescriber {
  /** Per object path: the close-match suggestions of its unknown keys (undefined when none). */
  private readonly unknownKeys = new Map<string, (string | undefined)[]>();

  constructor(
    errors: ErrorObject[],
    private readonly data: unknown,
    private readonly root: SchemaNode,
    private readonly source: YamlSource,
    private readonly interpolation: Interpolation,
  ) {
    for (const error of errors) {
      if (error.keyword !== 'additionalProperties') continue;
      const path = this.dataPath(error.instancePath);
      const key = String(error.params['additionalProperty']);
      const suggestion = closest(key, allowedKeys(this.deref(error.parentSchema as SchemaNode)));
      const list = this.unknownKeys.get(pathKey(path)) ?? [];
      list.push(suggestion);
      this.unknownKeys.set(pathKey(path), list);
    }
  }

  describe(error: ErrorObject): Described | undefined {
    const path = this.dataPath(error.instancePath);
    if (this.interpolation.failed.has(pathKey(path))) return undefined;
    // ajv inlines $refs, so schemaPath does not reliably name the definition; the title travels with it.
    const def = (error.parentSchema as SchemaNode | undefined)?.title;
    const unknown = this.unknownKeys.get(pathKey(path)) ?? [];
    const unknownWithHint = unknown.some((s) => s !== undefined);
    const label = valueLabel(path);
    const at = (p: DataPath) => this.source.valuePos(p);
    const params = error.params as Record<string, unknown>;

    switch (error.keyword) {
      case 'additionalProperties': {
        const key = String(params['additionalProperty']);
        return { ...this.source.keyPos([...path, key]), message: this.unknownKeyMessage(key, path, error) };
      }
      case 'required': {
        const missing = String(params['missingProperty']);
        if (unknown.includes(missing)) return undefined;
        return { ...at(path), message: `${objectNoun(path, error)} is missing \`${missing}\`` };
      }
      case 'type':
        return { ...at(path), message: this.typeMessage(path, def, error) };
      case 'pattern':
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
        return { ...at(path), message: this.patternMessage(path, def, error) };
      case 'enum': {
        const allowed = (error.schema as unknown[]).map(String);
        const guess = typeof error.data === 'string' ? closest(error.data, allowed) : undefined;
        const hint = guess ? ` — did you mean \`${guess}\`?` : '';
        return { ...at(path), message: `${label} must be one of ${allowed.join(', ')}, ${this.got(path, error.data)}${hint}` };
      }
      case 'const':
        return { ...at(path), message: `${label} must be ${JSON.stringify(error.schema)}, ${this.got(path, error.data)}` };
      case 'minLength':
        return { ...at(path), message: `${label} must not be empty` };
      case 'minItems': {
        const what = ITEM_NOUNS[String(path[path.length - 1])] ?? 'item';
        return { ...at(path), message: `${label} is empty: add at least one ${what}` };
      }
      case 'minProperties':
        if (unknownWithHint) return undefined;
        if (def === 'expectation') {
          return { ...at(path), message: 'expectation is empty: name one event, like `botSpeech: {}`' };
        }
        return { ...at(path), message: `${label} needs at least one field` };
      case 'maxProperties': {
        if (unknown.length > 0) return undefined;
        const keys = Object.keys(error.data as object).map((k) => `\`${k}\``);
        return {
          ...at(path),
          message: `an expectation names exactly one event, got ${joinAnd(keys)}: give each its own \`- \` item`,
        };
      }
      case 'oneOf': {
        // `required` branches all pass for a non-map, so oneOf fails too; the type error says it better.
        if (unknownWithHint || !isData(error.data)) return undefined;
        const actions = USER_ACTIONS.filter((k) => Object.hasOwn(error.data as object, k)).map((k) => `\`${k}\``);
        const message =
          actions.length === 0
            ? '`user` needs one action: `audio`, `say`, `dtmf`, `silence` or `hangup`'
            : `\`user\` takes one action, got ${joinAnd(actions)}: put them in separate turns`;
        return { ...at(path), message };
      }
      case 'anyOf':
        if (unknownWithHint || !isData(error.data)) return undefined;
        return { ...at(path), message: 'turn needs `user`, `expect` or both' };
      case 'dependentRequired': {
        const key = String(params['property']);
        const needed = String(params['missingProperty']);
        return {
          ...this.source.keyPos([...path, key]),
          message: `\`${key}\` only works with \`${needed}\`: it delays the caller's audio to talk over the bot`,
        };
      }
      default:
        return { ...at(path), message: `${label} ${error.message ?? 'is invalid'}` };
    }
  }

  private unknownKeyMessage(key: string, path: DataPath, error: ErrorObject): string {
    const schema = this.deref(error.parentSchema as SchemaNode);
    const allowed = allowedKeys(schema);
    const guess = closest(key, allowed);
    if (guess) return `unknown key \`${key}\` — did you mean \`${guess}\`?`;
    // `- botSpeech:` followed by `  within: 1s` at the same indent makes `within` a sibling instead of a child.
    const data = error.data as Record<string, unknown>;
    const owner = Object.keys(data).find(
      (sibling) => sibling !== key && allowed.includes(sibling) && allowedKeys(this.deref(schema.properties?.[sibling])).includes(key),
    );
    if (owner) return `unknown key \`${key}\` here — it belongs inside \`${owner}\`: indent it under \`${owner}:\``;
    if (path.length > 0 && allowed.length === 0) return `unknown key \`${key}\``;
    return `unknown key \`${key}\` — expected one of: ${allowed.join(', ')}`;
  }

  private typeMessage(path: DataPath, def: string | undefined, error: ErrorObject): string {
    const label = valueLabel(path);
    const value = error.data;
    if (path.length === 0) {
      return value === null || value === undefined
        ? 'the suite file is empty: it needs `name`, `target` and `calls`'
        : `a suite file must be a map with \`name\`, \`target\` and \`calls\`, ${this.got(path, value)}`;
    }
    if (def === 'duration') return `${label} must be a duration like "800ms" or "1.5s", ${this.got(path, value)}`;
    if (def === 'expectation') {
      return `${label} must be a map with one key, like \`- botSpeech: { within: 1s }\`, ${this.got(path, value)}`;
    }
    const types = ([] as string[]).concat(error.schema as string | string[]);
    let message = `${label} must be ${joinOr(types.map((t) => TYPE_WORDS[t] ?? t))}, ${this.got(path, value)}`;
    if (def === 'parameter value') message = `parameter ${message}`;
    if (types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) {
      const written = this.source.sourceText(path) ?? String(value);
      message += ` — quote it: ${JSON.stringify(written)}`;
    }
    return message;
  }

  private patternMessage(path: DataPath, def: string | undefined, error: ErrorObject): string {
    const label = valueLabel(path);
    const value = error.data;
    if (def === 'duration') {
      return parserProblem(parseDuration, DurationError, value) ?? `${label} must be a duration like "800ms" or "1.5s", ${this.got(path, value)}`;
    }
    // Worded as the load reader words it, so the two reports of one mistake merge into one.
    if (def === 'call rate') {
      const problem = parserProblem(parseRate, RateError, value);
      if (problem) return problem;
    }
    const worded = RANGE_WORDS[def ?? ''];
    if (worded) return `${label} must be ${worded}, ${this.got(path, value)}`;
    const last = path[path.length - 1];
    if (path.length === 1 && last === 'target') {
      const fromEnv = this.interpolation.written.has(pathKey(path));
      const hostLike = typeof value === 'string' && /^[\w.-]+(:\d+)?(\/\S*)?$/.test(value);
      const hint = hostLike && !fromEnv ? ` — did you mean \`ws://${value}\`?` : '';
      return `\`target\` must be a ws://, wss://, http:// or https:// URL or builtin:reference, ${this.got(path, value)}${hint}`;
    }
    if (last === 'dtmf') return `\`dtmf\` may only contain 0-9 * # A-D and w (pause), ${this.got(path, value)}`;
    if (last === 'digits') return `\`digits\` may only contain 0-9 * # A-D, ${this.got(path, value)}`;
    return `${label} ${error.message ?? 'is invalid'}, ${this.got(path, value)}`;
  }

  /** "got …" without echoing environment values: what came from ${VAR} is shown as written. */
  private got(path: DataPath, value: unknown): string {
    const written = this.interpolation.written.get(pathKey(path));
    if (written !== undefined) return `got ${JSON.stringify(written)} (from the environment)`;
    return `got ${describeValue(value)}`;
  }

  /** ajv's instancePath as keys and list indexes, decoded against the data so indexes are numbers. */
  private dataPath(pointer: string): DataPath {
    if (pointer === '') return [];
    const path: (string | number)[] = [];
    let node: unknown = this.data;
    for (const raw of pointer.slice(1).split('/')) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const step = Array.isArray(node) ? Number(segment) : segment;
      path.push(step);
      node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[step] : undefined;
    }
    return path;
  }

  private deref(schema: SchemaNode | undefined): SchemaNode {
    let current = schema ?? {};
    for (let hops = 0; current.$ref && hops < 10; hops++) {
      const name = /^#\/\$defs\/(.+)$/.exec(current.$ref)?.[1];
      current = (name && this.root.$defs?.[name]) || {};
    }
    return current;
  }
}

const USER_ACTIONS = ['audio', 'say', 'dtmf', 'silence', 'hangup'];

/** What a value of these definitions looks like, for pattern and range errors. */
const RANGE_WORDS: Record<string, string> = {
  decibels: 'decibels like "10dB" (or a number)',
  'dBFS level': 'a level below full scale like "-45dBFS" (or a negative number)',
  'pass rate': 'a share from 0 to 1 like 0.9, or a percentage like "90%"',
  retries: 'a whole number from 0 to 10',
  repeat: 'a whole number from 1 to 1000',
};

const ITEM_NOUNS: Record<string, string> = { calls: 'call', turns: 'turn', expect: 'expectation', tags: 'tag' };

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  null: 'empty',
};

function allowedKeys(schema: SchemaNode): string[] {
  return Object.keys(schema.properties ?? {});
}

/** How a value is named in a message: its key, or its place in a list. */
function valueLabel(path: DataPath): string {
  if (path.length === 0) return 'the suite file';
  const last = path[path.length - 1]!;
  if (typeof last === 'string') return `\`${last}\``;
  const parent = path[path.length - 2];
  return parent === undefined ? `item ${last + 1}` : `item ${last + 1} of \`${String(parent)}\``;
}

/** Maps in lists (calls, turns) are named by what they are; keyed maps by their key. */
function objectNoun(path: DataPath, error: ErrorObject): string {
  if (path.length === 0) return 'suite';
  const last = path[path.length - 1];
  if (typeof last === 'string') return `\`${last}\``;
  return (error.parentSchema as SchemaNode | undefined)?.title ?? 'item';
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function joinOr(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function joinAnd(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** The message a value parser refuses `value` with, or null when it reads it. */
function parserProblem(parse: (value: string | number) => unknown, refusal: new (...args: never[]) => Error, value: unknown): string | null {
  try {
    parse(value as string | number);
    return null;
  } catch (error) {
    if (error instanceof refusal) return error.message;
    throw error;
  }
}
