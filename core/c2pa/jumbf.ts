// The raw bytes of C2PA manifests, read straight from the container (ISO/IEC 19566-5 JUMBF; C2PA spec §11.3 "Embedding
// manifests into assets"): the claim exactly as it was signed, and its COSE_Sign1. c2pa-rs validates a manifest but
// does not hand these bytes out, and the ML-DSA co-signature (mldsa.ts) is checked over them.
//   JPEG: APP11 segments `JP` En Z, continuation segments repeating the 8-byte box header;
//   PNG: a `caBX` chunk;  WebP: a `C2PA` RIFF chunk;  MP4: a top-level `uuid` box with the C2PA user type.
// Also the same bytes without their store, which a published file is made from (workflow/publish.ts).
import type { C2paMime } from './manifest.ts';

export interface RawManifest {
  label: string;
  /** The content of the claim's CBOR box: the bytes the claim signature covers. */
  claim: Uint8Array;
  /** The content of the signature's CBOR box: a COSE_Sign1. */
  signature: Uint8Array;
  /** Each assertion's label and the content of its first box (CBOR for most, JSON for some). */
  assertions: { label: string; content: Uint8Array }[];
}

// JUMBF content types (C2PA spec §11.1.3 "Manifest store"; c2pa-rs `jumbf/boxes.rs`): a box's role is its UUID,
// not its label. c2pa-rs skips store children of any other type and finds the claim, signature and assertion
// store of a manifest by these UUIDs, so the desk reads them the same way.
const UUID = {
  store: '6332706100110010800000aa00389b71', // c2pa
  manifest: '63326d6100110010800000aa00389b71', // c2ma: standard manifest
  updateManifest: '6332756d00110010800000aa00389b71', // c2um: update manifest
  assertions: '6332617300110010800000aa00389b71', // c2as
  claim: '6332636c00110010800000aa00389b71', // c2cl
  signature: '6332637300110010800000aa00389b71', // c2cs
} as const;

/**
 * Every manifest of the store, in store order (the active manifest last); null when the bytes carry no store.
 * Only the store's children typed as C2PA manifests count (c2pa-rs ignores the others), and in each its claim,
 * signature and assertion store are the boxes with those UUIDs. A store in which a manifest does not hold exactly
 * one of each gives no manifests at all ([]): c2pa-rs refuses it, or (several signature boxes) reads one the desk
 * could not be sure to be reading too.
 */
export function readRawManifests(bytes: Uint8Array, mime: C2paMime): RawManifest[] | null {
  const bytesOf = manifestStoreBytes(bytes, mime);
  if (!bytesOf) return null;
  const top = parseBoxes(bytesOf, 0, bytesOf.length)[0];
  if (!top || top.type !== 'jumb') return null;
  const store = describe(bytesOf, top);
  if (store.uuid !== UUID.store) return null;
  const out: RawManifest[] = [];
  for (const m of store.children) {
    if (m.uuid !== UUID.manifest && m.uuid !== UUID.updateManifest) continue;
    const only = (uuid: string) => {
      const found = m.children.filter((c) => c.uuid === uuid);
      return found.length === 1 ? found[0]! : null;
    };
    const claimBox = only(UUID.claim);
    const sigBox = only(UUID.signature);
    const assertionStore = only(UUID.assertions);
    const claim = claimBox && firstContent(bytesOf, claimBox);
    const signature = sigBox && firstContent(bytesOf, sigBox);
    if (!claim || !signature || !assertionStore) return [];
    const assertions = assertionStore.children.flatMap((a) => {
      const content = firstContent(bytesOf, a);
      return a.label && content ? [{ label: a.label, content }] : [];
    });
    out.push({ label: m.label ?? '', claim, signature, assertions });
  }
  return out;
}

export interface Box {
  type: string;
  start: number;
  end: number;
  content: number;
}
interface Superbox {
  /** The content type UUID of its description box, lowercase hex ('' without one). */
  uuid: string;
  label: string | null;
  box: Box;
  children: Superbox[];
}

export function parseBoxes(b: Uint8Array, start: number, end: number): Box[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Box[] = [];
  for (let at = start; at + 8 <= end; ) {
    let size = dv.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(dv.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) break;
    out.push({ type: ascii(b, at + 4, 4), start: at, end: at + size, content: at + header });
    at += size;
  }
  return out;
}

/** The type UUID and label of a `jumb` superbox from its `jumd` description box (type UUID, toggles, then the label). */
function describe(b: Uint8Array, box: Box): Superbox {
  const boxes = parseBoxes(b, box.content, box.end);
  const jumd = boxes[0];
  let uuid = '';
  let label: string | null = null;
  if (jumd?.type === 'jumd' && jumd.content + 17 <= jumd.end) {
    uuid = Buffer.from(b.subarray(jumd.content, jumd.content + 16)).toString('hex');
    const toggles = b[jumd.content + 16] as number;
    if (toggles & 0x02) {
      const from = jumd.content + 17;
      let to = from;
      while (to < jumd.end && b[to] !== 0) to++;
      label = new TextDecoder().decode(b.subarray(from, to));
    }
  }
  const children = boxes.slice(1).filter((c) => c.type === 'jumb').map((c) => describe(b, c));
  return { uuid, label, box, children };
}

/** The payload of the first content box after the description (the claim's or signature's `cbor` box). */
function firstContent(b: Uint8Array, s: Superbox): Uint8Array | null {
  const content = parseBoxes(b, s.box.content, s.box.end).slice(1).find((c) => c.type !== 'jumb');
  return content ? b.slice(content.content, content.end) : null;
}

/** Where a container keeps the store: the byte ranges that hold it, and the store's bytes within each range. */
interface Placement {
  ranges: { start: number; end: number; data: Uint8Array }[];
}

/** The manifest store (the `c2pa` JUMBF superbox) as the container carries it; null when there is none. */
export function manifestStoreBytes(b: Uint8Array, mime: C2paMime): Uint8Array | null {
  const placed = place(b, mime);
  if (!placed) return null;
  const out = new Uint8Array(placed.ranges.reduce((n, r) => n + r.data.length, 0));
  let o = 0;
  for (const r of placed.ranges) {
    out.set(r.data, o);
    o += r.data.length;
  }
  return out;
}

/**
 * The bytes without their manifest store: the APP11 segments, `caBX` chunk or `C2PA` chunk removed, nothing else
 * touched (so the coded image is byte for byte the same). MP4 is refused: removing a box moves the media data
 * that chunk offsets point at. Returns the bytes unchanged when they carry no store.
 */
export function withoutManifestStore(b: Uint8Array, mime: Exclude<C2paMime, 'video/mp4'>): Uint8Array {
  const placed = place(b, mime);
  if (!placed) return b;
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const r of placed.ranges) {
    parts.push(b.subarray(at, r.start));
    at = r.end;
  }
  parts.push(b.subarray(at));
  const out = Buffer.concat(parts);
  // RIFF: the file size after "RIFF" counts everything from byte 8.
  if (mime === 'image/webp') out.writeUInt32LE(out.length - 8, 4);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function place(b: Uint8Array, mime: C2paMime): Placement | null {
  switch (mime) {
    case 'image/jpeg':
      return jpegStore(b);
    case 'image/png':
      return pngStore(b);
    case 'image/webp':
      return webpStore(b);
    case 'video/mp4':
      return mp4Store(b);
  }
}

function jpegStore(b: Uint8Array): Placement | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: { z: number; start: number; end: number; data: Uint8Array }[] = [];
  let instance: number | null = null;
  for (let at = 2; at + 4 <= b.length && b[at] === 0xff; ) {
    const marker = b[at + 1] as number;
    if (marker === 0xda || marker === 0xd9) break;
    const len = dv.getUint16(at + 2);
    const seg = at + 4;
    const end = at + 2 + len;
    // APP11 carrying JUMBF: CI "JP", En (box instance), Z (sequence), then the box; continuations repeat LBox+TBox.
    if (marker === 0xeb && len >= 16 && b[seg] === 0x4a && b[seg + 1] === 0x50) {
      const en = dv.getUint16(seg + 2);
      const z = dv.getUint32(seg + 4);
      const isStore = z === 1 ? ascii(b, seg + 12, 4) === 'jumb' && jpegIsC2pa(b, seg + 8, end) : en === instance;
      if (z === 1 && isStore) instance = en;
      if (isStore && en === instance) parts.push({ z, start: at, end, data: b.subarray(z === 1 ? seg + 8 : seg + 16, end) });
    }
    at = end;
  }
  if (parts.length === 0) return null;
  return { ranges: parts.sort((x, y) => x.z - y.z) };
}

/** Whether the first segment's superbox is labelled `c2pa` (other JUMBF, e.g. JPEG 360 metadata, may share APP11). */
function jpegIsC2pa(b: Uint8Array, start: number, end: number): boolean {
  const jumd = start + 8;
  if (ascii(b, jumd + 4, 4) !== 'jumd' || jumd + 8 + 17 + 4 > end) return false;
  return ascii(b, jumd + 8 + 17, 4) === 'c2pa';
}

function pngStore(b: Uint8Array): Placement | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const len = dv.getUint32(at);
    if (ascii(b, at + 4, 4) === 'caBX') return { ranges: [{ start: at, end: at + 12 + len, data: b.subarray(at + 8, at + 8 + len) }] };
    at += 12 + len;
  }
  return null;
}

function webpStore(b: Uint8Array): Placement | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 12; at + 8 <= b.length; ) {
    const len = dv.getUint32(at + 4, true);
    if (ascii(b, at, 4) === 'C2PA') return { ranges: [{ start: at, end: at + 8 + len + (len & 1), data: b.subarray(at + 8, at + 8 + len) }] };
    at += 8 + len + (len & 1);
  }
  return null;
}

export const C2PA_UUID = 'd8fec3d61b0e483c92975828877ec481';

function mp4Store(b: Uint8Array): Placement | null {
  for (const box of parseBoxes(b, 0, b.length)) {
    if (box.type !== 'uuid' || Buffer.from(b.subarray(box.content, box.content + 16)).toString('hex') !== C2PA_UUID) continue;
    // user type (16), version and flags (4), purpose (NUL-terminated), then for "manifest" a 64-bit offset.
    let at = box.content + 20;
    const from = at;
    while (at < box.end && b[at] !== 0) at++;
    if (ascii(b, from, at - from) !== 'manifest') continue;
    return { ranges: [{ start: box.start, end: box.end, data: b.subarray(at + 1 + 8, box.end) }] };
  }
  return null;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}
