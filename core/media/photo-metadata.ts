// The IPTC Photo Metadata fields a newsroom lives on (IPTC Photo Metadata Standard 2023.1, "IPTC Core" and the
// Extension's Digital Source Type): what a desk reads from a file, lets the signer edit, writes into the signed
// copy and binds into the Content Credentials. Values are bounded and cleaned here, once, for every entry point.
import { CustodyError } from '../errors.ts';

export interface PhotoMetadata {
  /** IPTC Headline (photoshop:Headline, IIM 2:105). */
  headline?: string;
  /** IPTC Description, the caption (dc:description, IIM 2:120). */
  caption?: string;
  /** IPTC Creator, the byline (dc:creator, IIM 2:80); several creators are joined with "; ". */
  creator?: string;
  /** IPTC Credit Line (photoshop:Credit, IIM 2:110). */
  credit?: string;
  /** IPTC Copyright Notice (dc:rights, IIM 2:116). */
  copyright?: string;
  /** IPTC City (photoshop:City, IIM 2:90). */
  city?: string;
  /** IPTC Sublocation (Iptc4xmpCore:Location, IIM 2:92). */
  sublocation?: string;
  /** IPTC Province/State (photoshop:State, IIM 2:95). */
  state?: string;
  /** IPTC Country (photoshop:Country, IIM 2:101). */
  country?: string;
  /** IPTC Keywords (dc:subject, IIM 2:25). */
  keywords?: string[];
  /** IPTC Digital Source Type (Iptc4xmpExt:DigitalSourceType), a NewsCodes URI. */
  digitalSourceType?: string;
}

export const TEXT_FIELDS = ['headline', 'caption', 'creator', 'credit', 'copyright', 'city', 'sublocation', 'state', 'country'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export const METADATA_FIELDS = [...TEXT_FIELDS, 'keywords', 'digitalSourceType'] as const;

/** What each field may hold: a caption runs to a few paragraphs, the rest to a line (IIM's own limits are lower). */
export const FIELD_LIMITS: Record<TextField, number> = {
  headline: 256, caption: 4000, creator: 256, credit: 256, copyright: 512, city: 128, sublocation: 128, state: 128, country: 128,
};
export const MAX_KEYWORDS = 64;
export const MAX_KEYWORD_LENGTH = 64;

export const IPTC_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';
const IPTC_SOURCE_TYPE = /^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\/[A-Za-z]{1,64}$/;

// C0 controls other than tab and newline, DEL, lone surrogates and the two non-characters XML refuses.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function clean(s: string, multiline: boolean): string {
  const t = s.replace(/\r\n?/g, '\n').replace(UNSAFE, '');
  return (multiline ? t : t.replace(/[\t\n]+/g, ' ')).trim();
}

/** A NewsCodes URI from a term (`digitalCapture`) or the URI itself; refuses anything else. */
export function digitalSourceTypeUri(v: string): string {
  const uri = v.includes('/') ? v.trim() : `${IPTC_SOURCE_TYPE_BASE}${v.trim()}`;
  if (!IPTC_SOURCE_TYPE.test(uri)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an IPTC digital source type (a term like "digitalCapture" or ${IPTC_SOURCE_TYPE_BASE}TERM), got ${JSON.stringify(v)}`);
  }
  return uri;
}

/**
 * The fields cleaned (controls removed, whitespace trimmed, empty ones dropped, keywords split on commas and
 * de-duplicated) and checked against the limits: an over-long value is refused, never silently cut.
 */
export function normaliseMetadata(input: unknown): PhotoMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected metadata as an object of IPTC fields, got ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input}`);
  }
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(METADATA_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new CustodyError('INVALID_ARGUMENT', `expected only the fields ${METADATA_FIELDS.join(', ')}, got ${unknown.join(', ')}`);
  const out: PhotoMetadata = {};
  for (const f of TEXT_FIELDS) {
    const v = o[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new CustodyError('INVALID_ARGUMENT', `expected ${f} as text, got ${typeof v}`);
    const t = clean(v, f === 'caption');
    if ([...t].length > FIELD_LIMITS[f]) throw new CustodyError('INVALID_ARGUMENT', `expected ${f} of at most ${FIELD_LIMITS[f]} characters, got ${[...t].length}`);
    if (t) out[f] = t;
  }
  if (o.keywords !== undefined && o.keywords !== null) {
    const raw = typeof o.keywords === 'string' ? o.keywords.split(',') : o.keywords;
    if (!Array.isArray(raw) || raw.some((k) => typeof k !== 'string')) throw new CustodyError('INVALID_ARGUMENT', 'expected keywords as a list of words (or one comma-separated text)');
    const seen = new Set<string>();
    const words: string[] = [];
    for (const k of raw as string[]) {
      const w = clean(k, false);
      if (!w || seen.has(w.toLowerCase())) continue;
      if ([...w].length > MAX_KEYWORD_LENGTH) throw new CustodyError('INVALID_ARGUMENT', `expected keywords of at most ${MAX_KEYWORD_LENGTH} characters, got "${w.slice(0, 20)}…" (${[...w].length})`);
      seen.add(w.toLowerCase());
      words.push(w);
    }
    if (words.length > MAX_KEYWORDS) throw new CustodyError('INVALID_ARGUMENT', `expected at most ${MAX_KEYWORDS} keywords, got ${words.length}`);
    if (words.length > 0) out.keywords = words;
  }
  if (typeof o.digitalSourceType === 'string' && o.digitalSourceType.trim()) out.digitalSourceType = digitalSourceTypeUri(o.digitalSourceType);
  else if (o.digitalSourceType !== undefined && o.digitalSourceType !== null && o.digitalSourceType !== '') {
    throw new CustodyError('INVALID_ARGUMENT', `expected digitalSourceType as text, got ${typeof o.digitalSourceType}`);
  }
  return out;
}

/** `over` laid over `base`, field by field: a field `over` names (even empty, to clear it) wins. */
export function mergeMetadata(base: PhotoMetadata, over: Partial<Record<keyof PhotoMetadata, unknown>>): PhotoMetadata {
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) merged[k] = v; // null clears
  return normaliseMetadata(merged);
}

export function isEmptyMetadata(m: PhotoMetadata): boolean {
  return Object.keys(m).length === 0;
}

/**
 * A signer's edits, checked: the fields they set, cleaned, and the fields they emptied (as `null`, which
 * mergeMetadata reads as "remove the file's value").
 */
export function metadataEdits(input: unknown): Partial<Record<keyof PhotoMetadata, unknown>> {
  const set = normaliseMetadata(input);
  const cleared: Partial<Record<keyof PhotoMetadata, null>> = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (!(k in set) && (v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'string' && !v.trim()))) cleared[k as keyof PhotoMetadata] = null;
  }
  return { ...cleared, ...set };
}
