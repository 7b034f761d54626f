/**
 * The suite's `compliance:` block applied to what a protocol reports: each violation gets the
 * severity the suite gives its rule (else the protocol's default, else error). `off` drops
 * it; `warn` keeps it on the timeline and in the reports without failing the call.
 */
import type { ProtocolEvent } from '../protocols/events.ts';
import type { Severity } from '../suite/model.ts';

type Violation = Extract<ProtocolEvent, { type: 'violation' }>;

export function grade(violation: Violation, compliance: Readonly<Record<string, Severity>>): Violation | null {
  const severity = compliance[violation.rule] ?? violation.severity ?? 'error';
  if (severity === 'off') return null;
  return severity === 'warn' ? { ...violation, severity: 'warn' } : { ...violation, severity: undefined };
}

export function isWarning(event: { type: string; severity?: string }): boolean {
  return event.type === 'violation' && event.severity === 'warn';
}
