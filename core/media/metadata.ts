// Carries the original file's metadata (EXIF, XMP, IPTC, ICC profile, text) onto a re-encoded image, byte for
// byte: sharp can attach metadata only from objects or profile names, which would lose fields. Containers:
// JPEG markers (ITU T.81 B.1.1), PNG chunks (PNG spec §5), WebP RIFF chunks (Google's WebP container spec).
import type { ImageFormat } from './detect.ts';

/** Moves metadata from `original` into `encoded` (same format); returns `encoded` itself when there is none. */
export function transplantMetadata(format: ImageFormat, original: Uint8Array, encoded: Uint8Array): Uint8Array {
  switch (format) {
    case 'jpeg':
      return transplantJpeg(original, encoded);
    case 'png':
      return transplantPng(original, encoded);
    case 'webp':
      return transplantWebp(original, encoded);
    default:
      throw new Error(`transplantMetadata: ${format} is handled through sharp's keepMetadata, not here`);
  }
}

export interface Segment {
  marker: number;
  start: number;
  end: number;
}

/** The marker segments before the first SOF/SOS of a JPEG. */
export function jpegHeaderSegments(b: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xda || (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xcc)) break;
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    out.push({ marker, start: i, end: i + 2 + len });
    i += 2 + len;
  }
  return out;
}

function transplantJpeg(original: Uint8Array, encoded: Uint8Array): Uint8Array {
  // APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC/Photoshop), other APPn and COM; APP0 (JFIF) stays the encoder's.
  // APP11 carries JUMBF, i.e. C2PA manifests: those describe the old bytes and are re-attached as a parent instead.
  const keep = jpegHeaderSegments(original).filter((s) => (s.marker >= 0xe1 && s.marker <= 0xef && s.marker !== 0xeb) || s.marker === 0xfe);
  if (keep.length === 0) return encoded;
  const drop = new Set(jpegHeaderSegments(encoded).filter((s) => s.marker >= 0xe1 && s.marker <= 0xef).map((s) => s.start));
  const encSegs = jpegHeaderSegments(encoded);
  const app0 = encSegs.find((s) => s.marker === 0xe0);
  const insertAt = app0 ? app0.end : 2;
  const parts: Uint8Array[] = [encoded.subarray(0, insertAt)];
  for (const s of keep) parts.push(original.subarray(s.start, s.end));
  let pos = insertAt;
  for (const s of encSegs) {
    if (s.start < insertAt) continue;
    if (drop.has(s.start)) {
      parts.push(encoded.subarray(pos, s.start));
      pos = s.end;
    }
  }
  parts.push(encoded.subarray(pos));
  return Buffer.concat(parts);
}

export interface Chunk {
  type: string;
  start: number;
  end: number;
}

export function pngChunks(b: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 8;
  while (i + 12 <= b.length) {
    const len = view.getUint32(i);
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    out.push({ type, start: i, end: i + 12 + len });
    i += 12 + len;
    if (type === 'IEND') break;
  }
  return out;
}

// Colour chunks must precede PLTE/IDAT; the rest may stand anywhere before IEND, so all go right after IHDR.
const PNG_COLOUR = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'cICP']);
// Not caBX: a C2PA manifest describes the old bytes; the signer re-attaches it as a parent ingredient.
const PNG_OTHER = new Set(['eXIf', 'iTXt', 'tEXt', 'zTXt', 'pHYs', 'tIME']);

function transplantPng(original: Uint8Array, encoded: Uint8Array): Uint8Array {
  const keep = pngChunks(original).filter((c) => PNG_COLOUR.has(c.type) || PNG_OTHER.has(c.type));
  if (keep.length === 0) return encoded;
  const enc = pngChunks(encoded);
  const ihdr = enc.find((c) => c.type === 'IHDR');
  if (!ihdr) throw new Error('transplantPng: the encoder produced a PNG without IHDR');
  const keptTypes = new Set(keep.map((c) => c.type));
  const hasIcc = keptTypes.has('iCCP');
  const parts: Uint8Array[] = [encoded.subarray(0, ihdr.end)];
  for (const c of keep) {
    if (hasIcc && c.type === 'sRGB') continue; // iCCP and sRGB must not both be present
    parts.push(original.subarray(c.start, c.end));
  }
  for (const c of enc) {
    if (c.start < ihdr.end || keptTypes.has(c.type) || (hasIcc && c.type === 'sRGB')) continue;
    parts.push(encoded.subarray(c.start, c.end));
  }
  return Buffer.concat(parts);
}

export function riffChunks(b: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 12;
  while (i + 8 <= b.length) {
    const type = String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
    const len = view.getUint32(i + 4, true);
    const end = Math.min(b.length, i + 8 + len + (len & 1));
    out.push({ type, start: i, end });
    i = end;
  }
  return out;
}

function transplantWebp(original: Uint8Array, encoded: Uint8Array): Uint8Array {
  const orig = riffChunks(original);
  const icc = orig.find((c) => c.type === 'ICCP');
  const exif = orig.find((c) => c.type === 'EXIF');
  const xmp = orig.find((c) => c.type === 'XMP ');
  if (!icc && !exif && !xmp) return encoded;
  const enc = riffChunks(encoded);
  const image = enc.filter((c) => c.type === 'ALPH' || c.type === 'VP8 ' || c.type === 'VP8L');
  const vp8x = enc.find((c) => c.type === 'VP8X');
  let width: number;
  let height: number;
  let alpha = enc.some((c) => c.type === 'ALPH');
  if (vp8x) {
    const f = encoded.subarray(vp8x.start + 8);
    alpha ||= (f[0]! & 0x10) !== 0;
    width = 1 + (f[4]! | (f[5]! << 8) | (f[6]! << 16));
    height = 1 + (f[7]! | (f[8]! << 8) | (f[9]! << 16));
  } else {
    ({ width, height } = webpBitstreamSize(encoded, image));
    alpha ||= image.some((c) => c.type === 'VP8L' && (encoded[c.start + 8 + 4]! & 0x10) !== 0);
  }
  const header = new Uint8Array(18);
  header.set([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0]); // "VP8X", length 10
  header[8] = (icc ? 0x20 : 0) | (alpha ? 0x10 : 0) | (exif ? 0x08 : 0) | (xmp ? 0x04 : 0);
  header.set([(width - 1) & 0xff, ((width - 1) >> 8) & 0xff, ((width - 1) >> 16) & 0xff], 12);
  header.set([(height - 1) & 0xff, ((height - 1) >> 8) & 0xff, ((height - 1) >> 16) & 0xff], 15);
  const parts: Uint8Array[] = [header];
  if (icc) parts.push(original.subarray(icc.start, icc.end));
  for (const c of image) parts.push(encoded.subarray(c.start, c.end));
  if (exif) parts.push(original.subarray(exif.start, exif.end));
  if (xmp) parts.push(original.subarray(xmp.start, xmp.end));
  const body = Buffer.concat(parts);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length + 4, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, body]);
}

export function webpBitstreamSize(b: Uint8Array, image: Chunk[]): { width: number; height: number } {
  const vp8 = image.find((c) => c.type === 'VP8 ');
  if (vp8) {
    const p = vp8.start + 8 + 6; // frame tag (3) + start code (3)
    return { width: (b[p]! | (b[p + 1]! << 8)) & 0x3fff, height: (b[p + 2]! | (b[p + 3]! << 8)) & 0x3fff };
  }
  const vp8l = image.find((c) => c.type === 'VP8L');
  if (!vp8l) throw new Error('transplantWebp: the encoder produced a WebP without an image bitstream');
  const p = vp8l.start + 8 + 1; // signature 0x2f
  const bits = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}
