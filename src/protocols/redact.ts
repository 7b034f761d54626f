/**
 * URLs as they may appear in reports, logs and error messages: a target can carry
 * credentials (user:password@, ?token=…) that must never be written anywhere.
 */

const SECRET_PARAM = /token|auth|key|secret|signature|password|pass|sig|jwt|credential/i;

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
