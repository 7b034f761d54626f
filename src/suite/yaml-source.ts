import { isAlias, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import type { SourcePos } from './model.ts';
import type { SuiteProblem } from './problems.ts';

/** A path into the suite's data: map keys and list indexes, as in ajv's instancePath. */
export type DataPath = readonly (string | number)[];

/** Aliases beyond this many expanded nodes are refused: a few lines of YAML can otherwise expand to gigabytes. */
export const MAX_ALIAS_COUNT = 100;

interface Located {
  key?: Node;
  value?: Node;
}

/** A parsed suite file that can say where any piece of its data was written. */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  posAt(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Where the value at `path` starts; an empty value (`key:` with nothing after) points at its key. */
  valuePos(path: DataPath): SourcePos {
    const found = this.locate(path);
    const value = found.value;
    if (value?.range && !(isScalar(value) && value.value === null && value.range[0] === value.range[1])) {
      return this.posAt(value.range[0]);
    }
    if (found.key?.range) return this.posAt(found.key.range[0]);
    return path.length > 0 ? this.valuePos(path.slice(0, -1)) : this.posAt(0);
  }

  /** Where the key naming `path` is written; list items have no key, so their value is used. */
  keyPos(path: DataPath): SourcePos {
    const key = this.locate(path).key;
    return key?.range ? this.posAt(key.range[0]) : this.valuePos(path);
  }

  /** The value as written in the file, e.g. `+31612345678` that YAML read as a number. */
  sourceText(path: DataPath): string | undefined {
    const value = this.locate(path).value;
    if (!value?.range) return undefined;
    return this.text.slice(value.range[0], value.range[1]).trim();
  }

  /** Finds the nodes for a data path, following aliases the way toJS does. */
  private locate(path: DataPath): Located {
    let current: Located = { value: this.resolve(this.doc.contents ?? undefined) };
    for (const segment of path) {
      const node = current.value;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return {};
        current = { key: pair.key as Node, value: this.resolve(pair.value as Node | null) };
      } else if (isSeq(node) && typeof segment === 'number') {
        current = { value: this.resolve(node.items[segment] as Node | undefined) };
      } else {
        return {};
      }
    }
    return current;
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    if (!node) return undefined;
    return isAlias(node) ? (node.resolve(this.doc) ?? node) : node;
  }
}

export type ParsedYaml = { source: YamlSource; problems: [] } | { source?: undefined; problems: SuiteProblem[] };

/** What to do about the syntax errors people make most; yaml's own words say only what is wrong. */
const SYNTAX_HINTS: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'this key is already set earlier in the same map; keep one of them',
  TAB_AS_INDENT: 'indent with spaces',
};

/** Parses YAML keeping positions; syntax errors become problems at yaml's own positions. */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length === 0) return { source: new YamlSource(file, text, doc, lines), problems: [] };
  const problems = doc.errors.map((error) => {
    const { line, col } = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    // yaml recurses per level and reports running out of stack as its own error.
    const tooDeep = /maximum call stack/i.test(error.message);
    if (tooDeep) return { file, line, col, message: 'the YAML nests too deeply here: a suite needs a few levels of nesting, not hundreds' };
    const hint = SYNTAX_HINTS[error.code];
    return { file, line, col, message: hint ? `${oneLine(error.message)}: ${hint}` : oneLine(error.message) };
  });
  return { problems };
}

/** The document as plain data, or a problem at the alias that makes it explode. */
export function toData(source: YamlSource): { data: unknown } | { problem: SuiteProblem } {
  try {
    return { data: source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = aliasToBlame(source);
    const pos = alias?.range ? source.posAt(alias.range[0]) : source.posAt(0);
    const message = /excessive alias/i.test(error.message)
      ? `YAML aliases here expand to more than ${MAX_ALIAS_COUNT} nodes: write the values out instead of nesting aliases`
      : oneLine(error.message);
    return { problem: { file: source.file, line: pos.line, col: pos.col, message } };
  }
}

/** An alias whose anchor itself holds aliases is what multiplies; the first such one is the culprit. */
function aliasToBlame(source: YamlSource): Node | undefined {
  let first: Node | undefined;
  let nested: Node | undefined;
  visit(source.doc, {
    Alias(_key, alias) {
      first ??= alias;
      const target = alias.resolve(source.doc);
      if (isCollection(target) && containsAlias(target)) {
        nested = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return nested ?? first;
}

function containsAlias(node: Node): boolean {
  let found = false;
  visit(node, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

function oneLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}
