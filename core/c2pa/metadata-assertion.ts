// The IPTC fields as a Content Credentials metadata assertion: JSON-LD whose keys are the fields' XMP names
// (CAWG Metadata assertion 1.x, `cawg.metadata`). C2PA 2.x narrowed its own `c2pa.metadata` to a short list of
// capture fields (EXIF exposure, GPS, dates) that does not include a caption, a byline or a copyright notice, so
// descriptive metadata goes into the CAWG assertion, which c2pa-rs and c2pa-ts both read (docs/metadata.md).
import { CustodyError } from '../errors.ts';
import { fromFile } from '../media/read-metadata.ts';
import { METADATA_FIELDS, type PhotoMetadata } from '../media/photo-metadata.ts';
import { XMP_FIELDS, XMP_NS } from '../media/xmp.ts';

export const METADATA_ASSERTION_LABEL = 'cawg.metadata';

/** The JSON-LD data of the assertion for `fields` (already normalised); null when there is nothing to say. */
export function metadataAssertionData(fields: PhotoMetadata): Record<string, unknown> | null {
  const context: Record<string, string> = {};
  const data: Record<string, unknown> = {};
  for (const f of METADATA_FIELDS) {
    const v = fields[f];
    if (v === undefined) continue;
    const m = XMP_FIELDS[f];
    context[m.prefix] = XMP_NS[m.prefix];
    // Arrays where XMP has them (dc:creator is a Seq, dc:subject a Bag); language alternatives as their x-default.
    data[`${m.prefix}:${m.name}`] = f === 'creator' ? (v as string).split(/\s*;\s*/).filter(Boolean) : v;
  }
  if (Object.keys(data).length === 0) return null;
  return { '@context': context, ...data };
}

/** The fields a metadata assertion's data names (prefixes resolved through its own @context). */
export function parseMetadataAssertion(data: unknown): PhotoMetadata {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the ${METADATA_ASSERTION_LABEL} assertion as a JSON-LD object, got ${Array.isArray(data) ? 'an array' : typeof data}`);
  }
  const o = data as Record<string, unknown>;
  const context = (typeof o['@context'] === 'object' && o['@context'] !== null ? o['@context'] : {}) as Record<string, unknown>;
  const raw: Partial<Record<keyof PhotoMetadata, string | string[]>> = {};
  for (const f of METADATA_FIELDS) {
    const m = XMP_FIELDS[f];
    const prefix = Object.entries(context).find(([, uri]) => uri === XMP_NS[m.prefix])?.[0];
    const v = prefix === undefined ? undefined : o[`${prefix}:${m.name}`];
    const text = (x: unknown): string | null => (typeof x === 'string' ? x : typeof x === 'object' && x !== null && typeof (x as { '@value'?: unknown })['@value'] === 'string' ? (x as { '@value': string })['@value'] : null);
    const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null && Array.isArray((v as { '@list'?: unknown })['@list']) ? (v as { '@list': unknown[] })['@list'] : null;
    if (list) {
      const items = list.map(text).filter((s): s is string => s !== null);
      raw[f] = f === 'keywords' ? items : items.join('; ');
    } else if (text(v) !== null) {
      raw[f] = f === 'keywords' ? [text(v)!] : text(v)!;
    }
  }
  return fromFile(raw);
}
