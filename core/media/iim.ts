// IPTC IIM 4.2 datasets (record 2, "Application") inside a Photoshop image resource block (APP13 "Photoshop 3.0",
// resource 0x0404): the older home of a caption. Read as a fallback when a file has no XMP for a field (the Metadata
// Working Group's reconciliation order), and written into a signed JPEG beside the XMP for the picture desks and
// wire systems that still read only IIM. Reader and writer share the parsing below, so what one writes the other reads.
import { createHash } from 'node:crypto';
import { jpegHeaderSegments } from './metadata.ts';
import type { PhotoMetadata } from './photo-metadata.ts';

type IimField = 'keywords' | 'creator' | 'city' | 'sublocation' | 'state' | 'country' | 'headline' | 'credit' | 'copyright' | 'caption';

/** The record 2 datasets the desk reads and writes, with IIM 4.2's maximum length of each (in octets). */
const DATASETS: Record<number, { field: IimField; max: number }> = {
  25: { field: 'keywords', max: 64 },
  80: { field: 'creator', max: 32 },
  90: { field: 'city', max: 32 },
  92: { field: 'sublocation', max: 32 },
  95: { field: 'state', max: 32 },
  101: { field: 'country', max: 64 },
  105: { field: 'headline', max: 256 },
  110: { field: 'credit', max: 32 },
  116: { field: 'copyright', max: 128 },
  120: { field: 'caption', max: 2000 },
};
/** IIM's own limit of each field the desk writes, in UTF-8 bytes (keywords and creators: each one). */
export const IIM_LIMITS = Object.fromEntries(Object.values(DATASETS).map((d) => [d.field, d.max])) as Record<IimField, number>;

const UTF8_DECLARATION = Buffer.from([0x1b, 0x25, 0x47]); // 1:90 Coded Character Set "ESC % G"
const PHOTOSHOP = Buffer.from('Photoshop 3.0\0', 'latin1');
const IIM_RESOURCE = 0x0404;
/** Photoshop's MD5 of the IIM block: when it matches, MWG readers know the IIM and the XMP were written together. */
const IIM_DIGEST_RESOURCE = 0x0425;
const RESOURCE_SIGNATURES = new Set(['8BIM', '8B64', 'PHUT', 'AgHg', 'DCSR', 'MeSa']);
/** The payload of one APP13 segment after its "Photoshop 3.0\0" header (65 535 − 2 length bytes − 14). */
const MAX_APP13_DATA = 65_533 - PHOTOSHOP.length;

interface Resource {
  signature: string;
  id: number;
  /** The Pascal name as stored: length byte and characters, without the padding. */
  name: Buffer;
  data: Buffer;
}

interface Dataset {
  record: number;
  dataset: number;
  value: Buffer;
}

/** The resources of a Photoshop resource block (with or without its "Photoshop 3.0\0" header); null when it does not parse. */
function photoshopResources(b: Buffer): Resource[] | null {
  const out: Resource[] = [];
  let i = b.subarray(0, PHOTOSHOP.length).equals(PHOTOSHOP) ? PHOTOSHOP.length : 0;
  while (i < b.length) {
    if (i + 12 > b.length) return b.subarray(i).every((x) => x === 0) ? out : null; // trailing padding
    const signature = b.subarray(i, i + 4).toString('latin1');
    if (!RESOURCE_SIGNATURES.has(signature)) return null;
    const id = b.readUInt16BE(i + 4);
    const nameLen = b[i + 6]!;
    const name = b.subarray(i + 6, i + 7 + nameLen);
    const at = i + 6 + 1 + nameLen + ((1 + nameLen) % 2); // the Pascal name is padded to an even length
    if (at + 4 > b.length) return null;
    const size = b.readUInt32BE(at);
    const data = at + 4;
    if (data + size > b.length) return null;
    out.push({ signature, id, name, data: b.subarray(data, data + size) });
    i = data + size + (size % 2);
  }
  return out;
}

function photoshopBlock(resources: readonly Resource[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of resources) {
    const head = Buffer.alloc(6);
    head.write(r.signature, 0, 'latin1');
    head.writeUInt16BE(r.id, 4);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(r.data.length);
    parts.push(head, r.name, Buffer.alloc(r.name.length % 2), size, r.data, Buffer.alloc(r.data.length % 2));
  }
  return Buffer.concat(parts);
}

/** The IIM bytes of a Photoshop resource block (or the bare IIM stream when that is what is given). */
function iimStream(b: Buffer): Buffer | null {
  if (b[0] === 0x1c) return b;
  return photoshopResources(b)?.find((r) => r.id === IIM_RESOURCE)?.data ?? null;
}

/** The datasets of an IIM stream, in order; reading stops at the first one that does not parse. */
function parseDatasets(stream: Buffer): Dataset[] {
  const out: Dataset[] = [];
  for (let i = 0; i + 5 <= stream.length; ) {
    if (stream[i] !== 0x1c) break;
    const record = stream[i + 1]!;
    const dataset = stream[i + 2]!;
    let len = stream.readUInt16BE(i + 3);
    let at = i + 5;
    if (len & 0x8000) {
      // extended dataset: the low bits give how many bytes hold the length
      const n = len & 0x7fff;
      if (n > 4 || at + n > stream.length) break;
      len = stream.subarray(at, at + n).reduce((acc, x) => acc * 256 + x, 0);
      at += n;
    }
    if (at + len > stream.length) break;
    out.push({ record, dataset, value: stream.subarray(at, at + len) });
    i = at + len;
  }
  return out;
}

function serializeDatasets(datasets: readonly Dataset[]): Buffer {
  const parts: Buffer[] = [];
  for (const d of datasets) {
    const len = d.value.length;
    if (len <= 0x7fff) {
      parts.push(Buffer.from([0x1c, d.record, d.dataset, len >> 8, len & 0xff]));
    } else {
      const n = Buffer.alloc(4);
      n.writeUInt32BE(len);
      parts.push(Buffer.from([0x1c, d.record, d.dataset, 0x80, 4]), n);
    }
    parts.push(d.value);
  }
  return Buffer.concat(parts);
}

const declaresUtf8 = (datasets: readonly Dataset[]) => datasets.some((d) => d.record === 1 && d.dataset === 90 && d.value.equals(UTF8_DECLARATION));

/** A dataset's text: UTF-8 when the block says so; otherwise bytes that are not valid UTF-8 are Latin-1, as IIM writers used to store them. */
function decodeText(v: Buffer, utf8: boolean): string {
  const s = v.toString('utf8');
  return utf8 || !s.includes('\uFFFD') ? s : v.toString('latin1');
}

/** The IPTC fields an IIM block holds (raw: not yet cleaned or bounded); {} when there is none. */
export function readIimFields(iptc: Uint8Array | undefined): Partial<Record<keyof PhotoMetadata, string | string[]>> {
  if (!iptc || iptc.length === 0) return {};
  const stream = iimStream(Buffer.from(iptc.buffer, iptc.byteOffset, iptc.byteLength));
  if (!stream) return {};
  const datasets = parseDatasets(stream);
  const utf8 = declaresUtf8(datasets);
  const values = new Map<IimField, string[]>();
  for (const d of datasets) {
    const field = d.record === 2 ? DATASETS[d.dataset]?.field : undefined;
    const text = field ? decodeText(d.value, utf8).trim() : '';
    if (field && text) values.set(field, [...(values.get(field) ?? []), text]);
  }
  const out: Partial<Record<keyof PhotoMetadata, string | string[]>> = {};
  for (const [field, texts] of values) out[field] = field === 'keywords' ? texts : field === 'creator' ? texts.join('; ') : texts[0]!;
  return out;
}

/** `s` in UTF-8, cut to `max` bytes at a character boundary; `cut` says whether anything was left out. */
function fitUtf8(s: string, max: number): { value: Buffer; cut: boolean } {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return { value: b, cut: false };
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // a continuation byte: the character starts earlier
  return { value: b.subarray(0, end), cut: true };
}

export interface IimWritten {
  /** The new IIM stream (1:90 UTF-8, record 2 with the desk's fields and the other datasets the old one had). */
  iim: Buffer;
  /** The fields cut to IIM's limits (IIM_LIMITS); the XMP and the Content Credentials hold them whole. */
  truncated: IimField[];
}

/**
 * An IIM stream with `fields` as its record 2 datasets of the desk's fields (a field that is not set is left
 * out), keeping every other dataset `previous` had (object name 2:05, country code 2:100, dates…), re-encoded
 * as UTF-8 when `previous` was not, and declaring UTF-8 in 1:90.
 */
export function writeIim(fields: PhotoMetadata, previous: Buffer | null): IimWritten {
  const old = previous ? parseDatasets(previous) : [];
  const oldUtf8 = declaresUtf8(old);
  const kept = old
    .filter((d) => !(d.record === 1 && d.dataset === 90) && !(d.record === 2 && DATASETS[d.dataset]))
    // record 2 is text except its version (2:00); record 1 and records 3+ are binary envelopes and previews, kept as they are
    .map((d) => (d.record === 2 && d.dataset !== 0 && !oldUtf8 ? { ...d, value: Buffer.from(decodeText(d.value, false), 'utf8') } : d));
  const truncated = new Set<IimField>();
  const own: Dataset[] = [];
  for (const [n, { field, max }] of Object.entries(DATASETS)) {
    const v = fields[field];
    const texts = v === undefined ? [] : Array.isArray(v) ? v : field === 'creator' ? v.split('; ') : [v];
    for (const t of texts) {
      const { value, cut } = fitUtf8(t, max);
      if (cut) truncated.add(field);
      if (value.length > 0) own.push({ record: 2, dataset: Number(n), value });
    }
  }
  const version = kept.some((d) => d.record === 2 && d.dataset === 0) ? [] : [{ record: 2, dataset: 0, value: Buffer.from([0, 4]) }];
  // by record, then dataset number (a stable sort keeps repeated datasets, keywords and creators, in their order)
  const all = [{ record: 1, dataset: 90, value: UTF8_DECLARATION }, ...version, ...kept, ...own];
  const sorted = all.map((d, i) => ({ d, i })).sort((a, b) => a.d.record - b.d.record || a.d.dataset - b.d.dataset || a.i - b.i);
  return { iim: serializeDatasets(sorted.map((x) => x.d)), truncated: [...truncated] };
}

const isPhotoshopSegment = (b: Uint8Array, s: { marker: number; start: number; end: number }) =>
  s.marker === 0xed && Buffer.from(b.buffer, b.byteOffset + s.start + 4, Math.min(PHOTOSHOP.length, s.end - s.start - 4)).equals(PHOTOSHOP);

/**
 * A JPEG with `fields` written as IIM: the APP13 Photoshop block's resource 0x0404 replaced (and its IPTC digest,
 * 0x0425, set to match), every other resource kept in its place. A JPEG without one gets an APP13 after its
 * APP0–APP2 segments (JFIF, EXIF, XMP, ICC). A block that does not parse is replaced by one holding only the IIM.
 */
export function jpegWithIim(b: Uint8Array, fields: PhotoMetadata): { bytes: Uint8Array; truncated: IimField[] } {
  const segs = jpegHeaderSegments(b);
  const ps = segs.filter((s) => isPhotoshopSegment(b, s));
  // a block too large for one segment continues in the next APP13s
  const block = Buffer.concat(ps.map((s) => b.subarray(s.start + 4 + PHOTOSHOP.length, s.end)));
  const resources = (ps.length > 0 ? photoshopResources(block) : null) ?? [];
  const previous = resources.find((r) => r.id === IIM_RESOURCE)?.data ?? null;
  const { iim, truncated } = writeIim(fields, previous);
  const digest = createHash('md5').update(iim).digest();
  const ours = (id: number, data: Buffer, at: Resource | undefined): Resource => ({ signature: '8BIM', id, name: at?.name ?? Buffer.from([0]), data });
  const next = resources.filter((r) => r.id !== IIM_DIGEST_RESOURCE);
  const iimAt = next.findIndex((r) => r.id === IIM_RESOURCE);
  if (iimAt >= 0) next[iimAt] = ours(IIM_RESOURCE, iim, next[iimAt]);
  else next.push(ours(IIM_RESOURCE, iim, undefined));
  next.push(ours(IIM_DIGEST_RESOURCE, digest, resources.find((r) => r.id === IIM_DIGEST_RESOURCE)));
  const data = photoshopBlock(next);
  const segments: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_APP13_DATA) {
    const chunk = data.subarray(at, at + MAX_APP13_DATA);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xffed, 0);
    head.writeUInt16BE(2 + PHOTOSHOP.length + chunk.length, 2);
    segments.push(head, PHOTOSHOP, chunk);
  }
  let insertAt = ps[0]?.start ?? 2;
  if (ps.length === 0) for (const s of segs) {
    if (s.marker >= 0xe0 && s.marker <= 0xe2) insertAt = s.end;
    else break;
  }
  // the new segments take the place of the old ones (the first of them), which are dropped
  const parts: Uint8Array[] = [b.subarray(0, insertAt), ...segments];
  let pos = insertAt;
  for (const s of ps) {
    parts.push(b.subarray(pos, s.start));
    pos = s.end;
  }
  parts.push(b.subarray(pos));
  return { bytes: Buffer.concat(parts), truncated };
}
