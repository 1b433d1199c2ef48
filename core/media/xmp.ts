// The IPTC Core fields in an XMP packet (XMP Part 1 §7, RDF/XML; IPTC Photo Metadata Standard's XMP mappings):
// read from any of the forms RDF/XML allows for them (attribute or element, rdf:Alt/Bag/Seq), and written back
// into the packet with every other property of the original left as it was.
import { parseXml, serializeXml, type XmlElement, type XmlNode } from './xml-lite.ts';
import type { PhotoMetadata } from './photo-metadata.ts';

const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMP_NS = {
  dc: 'http://purl.org/dc/elements/1.1/',
  photoshop: 'http://ns.adobe.com/photoshop/1.0/',
  Iptc4xmpCore: 'http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/',
  Iptc4xmpExt: 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/',
} as const;
type Prefix = keyof typeof XMP_NS;

interface FieldMapping {
  prefix: Prefix;
  name: string;
  /** text: a simple value; alt: a language alternative (x-default); seq/bag: an ordered/unordered array. */
  kind: 'text' | 'alt' | 'seq' | 'bag';
}

export const XMP_FIELDS: Record<keyof PhotoMetadata, FieldMapping> = {
  headline: { prefix: 'photoshop', name: 'Headline', kind: 'text' },
  caption: { prefix: 'dc', name: 'description', kind: 'alt' },
  creator: { prefix: 'dc', name: 'creator', kind: 'seq' },
  credit: { prefix: 'photoshop', name: 'Credit', kind: 'text' },
  copyright: { prefix: 'dc', name: 'rights', kind: 'alt' },
  city: { prefix: 'photoshop', name: 'City', kind: 'text' },
  sublocation: { prefix: 'Iptc4xmpCore', name: 'Location', kind: 'text' },
  state: { prefix: 'photoshop', name: 'State', kind: 'text' },
  country: { prefix: 'photoshop', name: 'Country', kind: 'text' },
  keywords: { prefix: 'dc', name: 'subject', kind: 'bag' },
  digitalSourceType: { prefix: 'Iptc4xmpExt', name: 'DigitalSourceType', kind: 'text' },
};

const fieldKey = (m: FieldMapping) => `${XMP_NS[m.prefix]}${m.name}`;
const OWNED = new Map(Object.entries(XMP_FIELDS).map(([k, m]) => [fieldKey(m), k as keyof PhotoMetadata]));

type Scope = Map<string, string>;

function scoped(el: XmlElement, parent: Scope): Scope {
  const decl = el.attrs.filter(([k]) => k === 'xmlns' || k.startsWith('xmlns:'));
  if (decl.length === 0) return parent;
  const s = new Map(parent);
  for (const [k, v] of decl) s.set(k === 'xmlns' ? '' : k.slice(6), v);
  return s;
}

function expand(name: string, scope: Scope): string {
  const i = name.indexOf(':');
  if (i === -1) return `${scope.get('') ?? ''}${name}`;
  const prefix = name.slice(0, i);
  if (prefix === 'xml') return `${XML_NS}${name.slice(i + 1)}`;
  return `${scope.get(prefix) ?? `${prefix}:`}${name.slice(i + 1)}`;
}

const elements = (el: XmlElement) => el.children.filter((c): c is XmlElement => typeof c !== 'string');
const textOf = (el: XmlElement) => el.children.filter((c): c is string => typeof c === 'string').join('');

/** Every rdf:Description of the packet with the namespace scope it sits in. */
function descriptions(root: XmlElement): { el: XmlElement; scope: Scope }[] {
  const out: { el: XmlElement; scope: Scope }[] = [];
  const walk = (el: XmlElement, parent: Scope) => {
    const scope = scoped(el, parent);
    if (expand(el.name, scope) === `${RDF}RDF`) {
      for (const d of elements(el)) if (expand(d.name, scoped(d, scope)) === `${RDF}Description`) out.push({ el: d, scope: scoped(d, scope) });
      return;
    }
    for (const c of elements(el)) walk(c, scope);
  };
  walk(root, new Map());
  return out;
}

function propertyValues(el: XmlElement, scope: Scope): string[] {
  const resource = el.attrs.find(([k]) => expand(k, scope) === `${RDF}resource`);
  if (resource) return [resource[1]];
  const kids = elements(el);
  if (kids.length === 0) return [textOf(el)];
  const container = kids[0]!;
  const cScope = scoped(container, scope);
  const kind = expand(container.name, cScope);
  if (kind !== `${RDF}Alt` && kind !== `${RDF}Bag` && kind !== `${RDF}Seq`) return []; // a struct: none of ours
  const items = elements(container).filter((li) => expand(li.name, scoped(li, cScope)) === `${RDF}li`);
  if (kind === `${RDF}Alt`) {
    const lang = (li: XmlElement) => li.attrs.find(([k]) => expand(k, cScope) === `${XML_NS}lang`)?.[1];
    const pick = items.find((li) => lang(li) === 'x-default') ?? items[0];
    return pick ? [textOf(pick)] : [];
  }
  return items.map(textOf);
}

/** The IPTC fields an XMP packet holds (raw: not yet cleaned or bounded). */
export function readXmpFields(packet: string): Partial<Record<keyof PhotoMetadata, string | string[]>> {
  const out: Partial<Record<keyof PhotoMetadata, string | string[]>> = {};
  const set = (key: string, values: string[]) => {
    const field = OWNED.get(key);
    if (!field || out[field] !== undefined) return;
    const v = values.map((s) => s.trim()).filter(Boolean);
    if (v.length === 0) return;
    out[field] = field === 'keywords' ? v : field === 'creator' ? v.join('; ') : v[0]!;
  };
  for (const { el, scope } of descriptions(parseXml(packet))) {
    for (const [k, v] of el.attrs) if (!k.startsWith('xmlns')) set(expand(k, scope), [v]);
    for (const p of elements(el)) {
      const ps = scoped(p, scope);
      set(expand(p.name, ps), propertyValues(p, ps));
    }
  }
  return out;
}

const PACKET_HEAD = '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>';
const PACKET_TAIL = '<?xpacket end="w"?>';

function property(m: FieldMapping, value: string | string[]): XmlElement {
  const li = (v: string, attrs: [string, string][] = []): XmlElement => ({ name: 'rdf:li', attrs, children: [v] });
  const name = `${m.prefix}:${m.name}`;
  switch (m.kind) {
    case 'text':
      return { name, attrs: [], children: [value as string] };
    case 'alt':
      return { name, attrs: [], children: [{ name: 'rdf:Alt', attrs: [], children: [li(value as string, [['xml:lang', 'x-default']])] }] };
    case 'seq':
    case 'bag': {
      const items = Array.isArray(value) ? value : [value];
      return { name, attrs: [], children: [{ name: m.kind === 'seq' ? 'rdf:Seq' : 'rdf:Bag', attrs: [], children: items.map((v) => li(v)) }] };
    }
  }
}

/** An rdf:Description holding `fields`, declaring its own prefixes (so no clash with the packet's). */
function descriptionOf(fields: PhotoMetadata): XmlElement {
  const children: XmlNode[] = [];
  const used = new Set<Prefix>();
  for (const [k, m] of Object.entries(XMP_FIELDS) as [keyof PhotoMetadata, FieldMapping][]) {
    const v = fields[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    used.add(m.prefix);
    children.push(property(m, k === 'creator' ? (v as string).split(/\s*;\s*/).filter(Boolean) : v));
  }
  const attrs: [string, string][] = [['rdf:about', ''], ...[...used].map((p): [string, string] => [`xmlns:${p}`, XMP_NS[p]])];
  return { name: 'rdf:Description', attrs, children };
}

/** Removes the IPTC properties this module owns from every rdf:Description of the tree. */
function dropOwned(root: XmlElement): void {
  for (const { el, scope } of descriptions(root)) {
    el.attrs = el.attrs.filter(([k]) => k.startsWith('xmlns') || !OWNED.has(expand(k, scope)));
    el.children = el.children.filter((c) => typeof c === 'string' || !OWNED.has(expand(c.name, scoped(c, scope))));
  }
}

function findRdf(el: XmlElement, scope: Scope): XmlElement | null {
  const s = scoped(el, scope);
  if (expand(el.name, s) === `${RDF}RDF`) return el;
  for (const c of elements(el)) {
    const found = findRdf(c, s);
    if (found) return found;
  }
  return null;
}

/**
 * An XMP packet carrying `fields`: the original packet with its IPTC properties replaced (a field left out of
 * `fields` is removed), or a new packet when there is none or it cannot be parsed.
 */
export function writeXmpPacket(original: string | null, fields: PhotoMetadata): string {
  let root: XmlElement | null = null;
  if (original) {
    try {
      root = parseXml(original);
    } catch {
      root = null; // an unreadable packet is replaced, not carried on
    }
  }
  const rdf = root ? findRdf(root, new Map()) : null;
  if (!root || !rdf) {
    root = {
      name: 'x:xmpmeta',
      attrs: [['xmlns:x', 'adobe:ns:meta/']],
      children: [{ name: 'rdf:RDF', attrs: [['xmlns:rdf', RDF]], children: [] }],
    };
    return writeXmpPacket(`${PACKET_HEAD}${serializeXml(root)}${PACKET_TAIL}`, fields);
  }
  dropOwned(root);
  const rdfPrefix = rdf.name.includes(':') ? rdf.name.slice(0, rdf.name.indexOf(':')) : null;
  const d = descriptionOf(fields);
  if (rdfPrefix !== 'rdf') {
    // the packet names RDF otherwise: declare rdf: on the new description itself
    d.attrs.push(['xmlns:rdf', RDF]);
  }
  if (d.children.length > 0) rdf.children.push(d);
  // An empty description left behind by dropOwned (only rdf:about and declarations) goes too.
  rdf.children = rdf.children.filter(
    (c) => typeof c === 'string' || !(c.name.endsWith('Description') && c.children.every((n) => typeof n === 'string' && !n.trim()) && c.attrs.every(([k]) => k.startsWith('xmlns') || k.endsWith(':about'))),
  );
  return `${PACKET_HEAD}\n${serializeXml(root)}\n${PACKET_TAIL}`;
}
