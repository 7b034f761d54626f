/**
 * The first read of any bot text frame: JSON, and an object. What a protocol then requires
 * of the object is its own business; a frame that fails here is a violation, never a crash.
 */
import type { RawData } from 'ws';

/**
 * The bytes of one received frame. ws hands a Buffer unless told otherwise; Buffer.from on it
 * would copy every bot message for nothing.
 */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

export interface FrameProblem<Rule extends string = string> {
  kind: string;
  raw: unknown;
  violations: { rule: 'invalid-json' | Rule; message: string }[];
}

export function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** `notObjectRule` names the violation for valid JSON that is not an object (protocols name it differently). */
export function parseJsonObject<Rule extends string>(text: string, notObjectRule: Rule): { fields: Record<string, unknown> } | { problem: FrameProblem<Rule> } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: { kind: 'invalid-json', raw: excerpt(text), violations: [{ rule: 'invalid-json', message: `bot sent a frame that is not JSON: ${JSON.stringify(excerpt(text))}` }] } };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problem: { kind: 'invalid-json', raw, violations: [{ rule: notObjectRule, message: `bot sent JSON that is not an object: ${excerpt(text)}` }] } };
  }
  return { fields: raw as Record<string, unknown> };
}
