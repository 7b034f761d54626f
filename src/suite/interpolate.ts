import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { SuiteProblem } from './problems.ts';
import type { DataPath, YamlSource } from './yaml-source.ts';

export type Env = Record<string, string | undefined>;

export interface Interpolation {
  problems: SuiteProblem[];
  /** Paths of values that came from the environment, keyed by pathKey(), holding the text as written. */
  written: Map<string, string>;
  /** Paths whose interpolation failed: other checks stay quiet there, the real problem is already reported. */
  failed: Set<string>;
  /** Variables whose values went into the document, by name: messages must never show these values. */
  used: Map<string, string>;
}

const REFERENCE = /\$\{([^}]*)\}/g;
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

export function pathKey(path: DataPath): string {
  return JSON.stringify(path);
}

/**
 * Replaces ${VAR} and ${VAR:-default} in every string value of the document, in place, so
 * positions survive. Keys are left alone: a key from the environment would be unvalidatable.
 */
export function interpolateDocument(source: YamlSource, env: Env): Interpolation {
  const result: Interpolation = { problems: [], written: new Map(), failed: new Set(), used: new Map() };
  walkScalars(source.doc.contents ?? undefined, [], (node, path) => {
    if (typeof node.value !== 'string' || !node.value.includes('${')) return;
    const written = node.value;
    let ok = true;
    const value = written.replace(REFERENCE, (reference: string, inner: string) => {
      const parsed = NAME_AND_DEFAULT.exec(inner);
      let message: string | undefined;
      let replacement = '';
      if (!parsed) {
        message = `\`${reference}\` is not a variable reference: write \${NAME} or \${NAME:-default}`;
      } else {
        const [, name, fallback] = parsed as unknown as [string, string, string | undefined];
        const set = env[name];
        if (set !== undefined && (set !== '' || fallback === undefined)) {
          replacement = set;
          result.used.set(name, set);
        }
        else if (fallback !== undefined) replacement = fallback;
        else message = `\`\${${name}}\` is not set: export ${name} or write \`\${${name}:-default}\``;
      }
      if (message !== undefined) {
        ok = false;
        const pos = referencePos(source, node, reference);
        result.problems.push({ file: source.file, line: pos.line, col: pos.col, message });
      }
      return replacement;
    });
    if (!ok) {
      result.failed.add(pathKey(path));
      return;
    }
    node.value = value;
    result.written.set(pathKey(path), written);
  });
  return result;
}

/** Shorter values are words any message may hold ("8080", "true"); secrets are longer. */
const MIN_HIDDEN_LENGTH = 6;

/**
 * Puts `${NAME}` back wherever a variable's value shows up in a message. Each check words its
 * own messages and quotes what it found; this is the one place that makes sure none of them
 * prints a value that came from the environment (a token, a key), whichever check it was.
 */
export function hideValues(message: string, used: Map<string, string>): string {
  let text = message;
  const longestFirst = [...used].filter(([, value]) => value.length >= MIN_HIDDEN_LENGTH).sort((a, b) => b[1].length - a[1].length);
  for (const [name, value] of longestFirst) {
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) text = text.split(form).join(`\${${name}}`);
  }
  return text;
}

/** Points at the `${` itself when the reference is written literally in the file. */
function referencePos(source: YamlSource, node: Node, reference: string) {
  const [start, end] = node.range ?? [0, 0];
  const at = source.text.slice(start, end).indexOf(reference);
  return source.posAt(at >= 0 ? start + at : start);
}

type ScalarNode = Node & { value: unknown };

function walkScalars(node: Node | undefined, path: DataPath, visit: (node: ScalarNode, path: DataPath) => void): void {
  if (isScalar(node)) visit(node, path);
  else if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) walkScalars(pair.value as Node | undefined, [...path, String(pair.key.value)], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => walkScalars(item as Node, [...path, index], visit));
  }
  // Aliases are skipped: the anchored node they point to is interpolated where it is defined.
}
