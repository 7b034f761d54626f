/**
 * URLs as they may appear in reports, logs and error messages: a target can carry
 * credentials (user:password@, ?token=…) that must never be written anywhere.
 */

const SECRET_PARAM = /token|auth|key|secret|signature|password|pass|sig|jwt|credential/i;

/** Whether a parameter or field of this name carries a credential (`token`, `apiKey`, …). */
export function looksSecret(name: string): boolean {
  return SECRET_PARAM.test(name);
}

/** A URL fit for reports and logs: no user:password, no secret-looking query values. */
export function redactUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return target.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (url.username || url.password) {
    url.username = '***';
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}

/**
 * A message as it may appear in reports: fields whose names look like credentials
 * (`token`, `authToken`, `apiKey`, `password`, …) at any depth are replaced by "***".
 * Bots often receive their credentials as Twilio customParameters or AudioCodes start
 * parameters, which convotest itself sends.
 */
export function redactSecretFields(data: unknown): unknown {
  if (Array.isArray(data)) return data.some(holdsSecret) ? data.map(redactSecretFields) : data;
  if (typeof data !== 'object' || data === null) return data;
  if (!holdsSecret(data)) return data;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    copy[key] = looksSecret(key) && (typeof value === 'string' || typeof value === 'number') ? '***' : redactSecretFields(value);
  }
  return copy;
}

/** Whether anything below needs redacting: most messages do not, and are kept as they are. */
function holdsSecret(data: unknown): boolean {
  if (Array.isArray(data)) return data.some(holdsSecret);
  if (typeof data !== 'object' || data === null) return false;
  return Object.entries(data).some(([key, value]) => (looksSecret(key) && (typeof value === 'string' || typeof value === 'number')) || holdsSecret(value));
}
