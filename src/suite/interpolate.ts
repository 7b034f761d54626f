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
  const result: Interpolation = { problems: [], written: new Map(), failed: new Set() };
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
        if (set !== undefined && (set !== '' || fallback === undefined)) replacement = set;
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
