// A small, strict XML 1.0 reader and writer for XMP packets (XMP Part 1 §7: RDF/XML without DTDs). Only what an
// XMP packet holds: elements, attributes, text, CDATA, comments and processing instructions. A DOCTYPE is refused
// (no entity expansion, so no "billion laughs"), and depth and node count are bounded.
import { CustodyError } from '../errors.ts';

export interface XmlElement {
  name: string;
  attrs: [string, string][];
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const MAX_DEPTH = 64;
const MAX_NODES = 20_000;
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function bad(what: string): CustodyError {
  return new CustodyError('CORRUPT_MEDIA', `expected a well-formed XMP packet, got ${what}`);
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw bad(`an unterminated character reference "${m}"`);
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!(cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0x10ffff && cp !== 0xfffe && cp !== 0xffff))) {
        throw bad(`a character reference to a code point XML does not allow (${m})`);
      }
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[ref];
    if (v === undefined) throw bad(`an undeclared entity "${m}"`);
    return v;
  });
}

/** Parses the one root element of `text` (a packet's xpacket instructions and comments around it are skipped). */
export function parseXml(text: string): XmlElement {
  let i = 0;
  let nodes = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const append = (n: XmlNode) => {
    if (++nodes > MAX_NODES) throw bad(`more than ${MAX_NODES} nodes`);
    stack[stack.length - 1]!.children.push(n);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (chunk) {
      if (stack.length > 0) append(decodeEntities(chunk));
      else if (chunk.trim() && chunk.replace(/^\uFEFF/, '').trim()) throw bad('text outside the root element');
    }
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end === -1) throw bad('an unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end === -1) throw bad('an unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end === -1 || stack.length === 0) throw bad('a CDATA section outside an element');
      append(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      throw bad('a DOCTYPE or declaration, which XMP does not allow');
    } else if (text.startsWith('</', i)) {
      const m = NAME.exec(text.slice(i + 2, i + 2 + 256));
      const top = stack.pop();
      if (!m || !top || top.name !== m[0]) throw bad(`a closing tag </${m?.[0] ?? '?'}> that does not match <${top?.name ?? 'nothing'}>`);
      const end = text.indexOf('>', i);
      if (end === -1 || text.slice(i + 2 + m[0].length, end).trim()) throw bad(`a malformed closing tag </${m[0]}>`);
      i = end + 1;
      if (stack.length === 0) root = top;
    } else {
      const opened = openTag(text, i, stack, root, append);
      i = opened.next;
      if (opened.emptyRoot) root = opened.emptyRoot;
      if (stack.length > MAX_DEPTH) throw bad(`elements nested deeper than ${MAX_DEPTH}`);
    }
    if (root && stack.length === 0) {
      // after the root: only whitespace, comments and processing instructions (the closing xpacket)
      const rest = text.slice(i).replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, '');
      if (rest.trim()) throw bad('content after the root element');
      return root;
    }
  }
  throw bad(stack.length > 0 ? `an unclosed element <${stack[stack.length - 1]!.name}>` : 'no root element');
}

/** Reads `<name attrs…>` or `<name attrs…/>`; an empty root element comes back as `emptyRoot`. */
function openTag(text: string, at: number, stack: XmlElement[], root: XmlElement | null, append: (n: XmlNode) => void): { next: number; emptyRoot?: XmlElement } {
  if (root) throw bad('a second root element');
  let i = at + 1;
  const m = NAME.exec(text.slice(i, i + 256));
  if (!m) throw bad(`a malformed tag at offset ${at}`);
  const el: XmlElement = { name: m[0], attrs: [], children: [] };
  i += m[0].length;
  for (;;) {
    const ws = /^\s*/.exec(text.slice(i, i + 4096))![0].length;
    i += ws;
    if (text.startsWith('/>', i) || text[i] === '>') break;
    if (ws === 0) throw bad(`a malformed attribute in <${el.name}>`);
    const a = /^([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*=\s*(["'])/.exec(text.slice(i, i + 512));
    if (!a) throw bad(`a malformed attribute in <${el.name}>`);
    i += a[0].length;
    const end = text.indexOf(a[2]!, i);
    if (end === -1) throw bad(`an unterminated attribute value in <${el.name}>`);
    const raw = text.slice(i, end);
    if (raw.includes('<')) throw bad(`"<" in an attribute value of <${el.name}>`);
    if (el.attrs.some(([n]) => n === a[1])) throw bad(`attribute ${a[1]} twice in <${el.name}>`);
    el.attrs.push([a[1]!, decodeEntities(raw).replace(/[\t\n\r]/g, ' ')]);
    i = end + 1;
  }
  if (stack.length > 0) append(el);
  if (!text.startsWith('/>', i)) {
    stack.push(el);
    return { next: i + 1 };
  }
  return stack.length === 0 ? { next: i + 2, emptyRoot: el } : { next: i + 2 };
}

/** Text content escaped for XML: a caption with `<`, `&` or `]]>` stays text. */
export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value escaped for a double-quoted attribute (whitespace characters kept as references). */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export function serializeXml(n: XmlNode): string {
  if (typeof n === 'string') return escapeXmlText(n).replace(/\r/g, '&#13;');
  const attrs = n.attrs.map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`).join('');
  if (n.children.length === 0) return `<${n.name}${attrs}/>`;
  return `<${n.name}${attrs}>${n.children.map(serializeXml).join('')}</${n.name}>`;
}
