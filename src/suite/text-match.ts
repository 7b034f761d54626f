import type { TextMatch } from './model.ts';

const REGEX_LITERAL = /^\/([\s\S]+)\/([a-z]*)$/;

export function isRegexLiteral(text: string): boolean {
  return REGEX_LITERAL.test(text);
}

/**
 * "/re/flags" becomes that RegExp; anything else matches when contained, ignoring case.
 * Returns the reason as a string when the regex does not compile.
 */
export function compileTextMatch(text: string): TextMatch | string {
  const literal = REGEX_LITERAL.exec(text);
  if (!literal) return { source: text, regex: new RegExp(escapeRegExp(text), 'i') };
  const [, body, flags] = literal as unknown as [string, string, string];
  try {
    // g and y make RegExp#test remember lastIndex between events, so the same regex would alternate results.
    return { source: text, regex: new RegExp(body, flags.replace(/[gy]/g, '')) };
  } catch (error) {
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return `invalid regular expression ${text}: ${reason}`;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
