/**
 * A small XML reader, enough for TwiML: elements, attributes, text, the five named entities
 * and character references, CDATA, comments and the XML declaration. Document type
 * declarations are refused: TwiML never needs one, and entity definitions are how XML
 * readers get attacked. Errors say what was wrong and where (line:col).
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const MAX_DEPTH = 64;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(text: string): XmlElement {
  return new Reader(text).document();
}

/** Text content of an element and its descendants, whitespace-trimmed. */
export function textOf(element: XmlElement): string {
  return element.children
    .map((child) => (typeof child === 'string' ? child : textOf(child)))
    .join('')
    .trim();
}

export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => typeof child !== 'string');
}

class Reader {
  private pos = 0;

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  document(): XmlElement {
    this.misc();
    if (this.text.startsWith('<?xml', this.pos)) {
      this.skipPast('?>', 'the XML declaration');
      this.misc();
    }
    if (this.text.startsWith('<!DOCTYPE', this.pos)) this.fail('document type declarations are not accepted in TwiML');
    if (this.text[this.pos] !== '<') this.fail(this.pos >= this.text.length ? 'the document is empty' : 'expected the root element');
    const root = this.element(0);
    this.misc();
    if (this.pos < this.text.length) this.fail('unexpected content after the root element');
    return root;
  }

  /** Whitespace, comments and processing instructions between elements. */
  private misc(): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
      if (this.text.startsWith('<!--', this.pos)) this.skipPast('-->', 'a comment');
      else if (this.text.startsWith('<?', this.pos) && !this.text.startsWith('<?xml', this.pos)) this.skipPast('?>', 'a processing instruction');
      else return;
    }
  }

  private element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) this.fail(`elements nested deeper than ${MAX_DEPTH}`);
    this.pos++; // <
    const name = this.name('an element name');
    const attrs: Record<string, string> = {};
    for (;;) {
      const hadSpace = this.space();
      const c = this.text[this.pos];
      if (c === '/' && this.text[this.pos + 1] === '>') {
        this.pos += 2;
        return { name, attrs, children: [] };
      }
      if (c === '>') {
        this.pos++;
        break;
      }
      if (c === undefined) this.fail(`<${name}> is not closed`);
      if (!hadSpace) this.fail(`expected a space, ">" or "/>" in <${name}>`);
      const attr = this.name('an attribute name');
      this.space();
      if (this.text[this.pos] !== '=') this.fail(`attribute ${attr} of <${name}> has no value`);
      this.pos++;
      this.space();
      if (attr in attrs) this.fail(`attribute ${attr} appears twice in <${name}>`);
      attrs[attr] = this.quoted(attr);
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (this.pos >= this.text.length) this.fail(`<${name}> is not closed`);
      if (this.text.startsWith('</', this.pos)) {
        this.pos += 2;
        const closing = this.name('a closing tag name');
        this.space();
        if (this.text[this.pos] !== '>') this.fail(`expected ">" after </${closing}`);
        this.pos++;
        if (closing !== name) this.fail(`</${closing}> closes <${name}>`);
        return { name, attrs, children };
      }
      if (this.text.startsWith('<!--', this.pos)) {
        this.skipPast('-->', 'a comment');
      } else if (this.text.startsWith('<![CDATA[', this.pos)) {
        const end = this.text.indexOf(']]>', this.pos);
        if (end === -1) this.fail('a CDATA section is not closed');
        children.push(this.text.slice(this.pos + 9, end));
        this.pos = end + 3;
      } else if (this.text.startsWith('<?', this.pos)) {
        this.skipPast('?>', 'a processing instruction');
      } else if (this.text[this.pos] === '<') {
        children.push(this.element(depth + 1));
      } else {
        const end = this.text.indexOf('<', this.pos);
        const raw = this.text.slice(this.pos, end === -1 ? this.text.length : end);
        children.push(this.decode(raw));
        this.pos += raw.length;
      }
    }
  }

  private quoted(attr: string): string {
    const quote = this.text[this.pos];
    if (quote !== '"' && quote !== "'") this.fail(`the value of ${attr} must be quoted`);
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end === -1) this.fail(`the value of ${attr} is not closed`);
    const raw = this.text.slice(this.pos + 1, end);
    if (raw.includes('<')) this.fail(`the value of ${attr} contains "<"`);
    const value = this.decode(raw);
    this.pos = end + 1;
    return value;
  }

  private decode(raw: string): string {
    return raw.replace(/&([^;\s&]*);?/g, (match, entity: string) => {
      if (!match.endsWith(';')) this.fail(`"&" must be written &amp; (near ${JSON.stringify(match.slice(0, 12))})`);
      if (entity in NAMED) return NAMED[entity]!;
      const code = /^#x[0-9a-f]+$/i.test(entity) ? parseInt(entity.slice(2), 16) : /^#[0-9]+$/.test(entity) ? parseInt(entity.slice(1), 10) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff || code === 0) this.fail(`unknown entity &${entity};`);
      return String.fromCodePoint(code);
    });
  }

  private name(what: string): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.text);
    if (!match) this.fail(`expected ${what}`);
    this.pos += match[0].length;
    return match[0];
  }

  private space(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
    return this.pos > start;
  }

  private skipPast(end: string, what: string): void {
    const at = this.text.indexOf(end, this.pos);
    if (at === -1) this.fail(`${what} is not closed`);
    this.pos = at + end.length;
  }

  private fail(message: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    const col = this.pos - before.lastIndexOf('\n');
    throw new XmlError(`${message} at ${line}:${col}`);
  }
}
