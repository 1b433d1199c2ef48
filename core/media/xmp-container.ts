// Where an XMP packet lives in each container, and how the signed copy's packet is put there (XMP Part 3 §1.1:
// JPEG APP1 "http://ns.adobe.com/xap/1.0/\0", at most 65 502 bytes; PNG iTXt "XML:com.adobe.xmp", uncompressed;
// WebP "XMP " chunk with the VP8X XMP flag). Done on the encoded bytes before the C2PA hard binding is computed,
// so the claim binds the bytes with their metadata.
import { crc32, inflateSync } from 'node:zlib';
import { CustodyError } from '../errors.ts';
import type { ImageFormat } from './detect.ts';
import { jpegHeaderSegments, pngChunks, riffChunks, webpBitstreamSize, type Chunk } from './metadata.ts';

const JPEG_XMP = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
const JPEG_XMP_EXT = Buffer.from('http://ns.adobe.com/xmp/extension/\0', 'latin1');
const PNG_XMP_KEYWORD = 'XML:com.adobe.xmp';
const PNG_XMP_KEYWORD_NUL = Buffer.from(`${PNG_XMP_KEYWORD}\0`, 'latin1');
/** The largest packet one JPEG APP1 segment carries (65 535 − 2 length bytes − the 29-byte namespace). */
export const MAX_JPEG_XMP = 65_504 - JPEG_XMP.length;
/** Packets larger than this are not read (a standard packet is at most 64 KB; PNG and WebP allow more). */
const MAX_XMP_READ = 1 << 20;

const startsWith = (b: Uint8Array, at: number, sig: Uint8Array) => Buffer.from(b.buffer, b.byteOffset + at, Math.min(sig.length, b.length - at)).equals(sig);

/** The XMP packet a JPEG, PNG or WebP carries, as text; null when there is none (or it is over 1 MB). */
export function xmpPacketOf(format: ImageFormat, b: Uint8Array): string | null {
  const text = (bytes: Uint8Array) => (bytes.length > MAX_XMP_READ ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  switch (format) {
    case 'jpeg': {
      const s = jpegHeaderSegments(b).find((x) => x.marker === 0xe1 && startsWith(b, x.start + 4, JPEG_XMP));
      return s ? text(b.subarray(s.start + 4 + JPEG_XMP.length, s.end)) : null;
    }
    case 'png': {
      const c = pngChunks(b).find((x) => isPngXmp(b, x));
      if (!c) return null;
      const data = b.subarray(c.start + 8, c.end - 4);
      const nul = data.indexOf(0);
      const compressed = data[nul + 1] === 1;
      // language tag and translated keyword, each NUL-terminated
      const lang = data.indexOf(0, nul + 3);
      const translated = lang === -1 ? -1 : data.indexOf(0, lang + 1);
      if (translated === -1) return null;
      const body = data.subarray(translated + 1);
      try {
        return text(compressed ? inflateSync(body, { maxOutputLength: MAX_XMP_READ }) : body);
      } catch {
        return null;
      }
    }
    case 'webp': {
      const c = riffChunks(b).find((x) => x.type === 'XMP ');
      if (!c) return null;
      const len = Buffer.from(b.buffer, b.byteOffset + c.start + 4, 4).readUInt32LE(0);
      return text(b.subarray(c.start + 8, Math.min(c.end, c.start + 8 + len)));
    }
    default:
      return null;
  }
}

/** `b` with its XMP replaced by `packet` (any earlier packet, extended XMP included, removed). */
export function withXmpPacket(format: ImageFormat, b: Uint8Array, packet: string): Uint8Array {
  const xmp = Buffer.from(packet, 'utf8');
  switch (format) {
    case 'jpeg':
      return jpegWithXmp(b, xmp);
    case 'png':
      return pngWithXmp(b, xmp);
    case 'webp':
      return webpWithXmp(b, xmp);
    default:
      throw new CustodyError('UNSUPPORTED_FORMAT', `expected a JPEG, PNG or WebP to write IPTC metadata into, got ${format.toUpperCase()}`);
  }
}

function jpegWithXmp(b: Uint8Array, xmp: Buffer): Uint8Array {
  if (xmp.length > MAX_JPEG_XMP) {
    throw new CustodyError('INVALID_ARGUMENT', `expected metadata that fits one JPEG XMP segment (${MAX_JPEG_XMP} bytes), got a packet of ${xmp.length} bytes; shorten the caption or keywords`);
  }
  const segs = jpegHeaderSegments(b);
  const isXmp = (s: { marker: number; start: number }) => s.marker === 0xe1 && (startsWith(b, s.start + 4, JPEG_XMP) || startsWith(b, s.start + 4, JPEG_XMP_EXT));
  // after APP0 (JFIF) and the EXIF APP1, where readers expect it
  let insertAt = 2;
  for (const s of segs) {
    if (s.marker === 0xe0 || (s.marker === 0xe1 && !isXmp(s))) insertAt = s.end;
    else break;
  }
  const segment = Buffer.alloc(4 + JPEG_XMP.length + xmp.length);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(2 + JPEG_XMP.length + xmp.length, 2);
  JPEG_XMP.copy(segment, 4);
  xmp.copy(segment, 4 + JPEG_XMP.length);
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (const s of segs) {
    if (s.start >= insertAt || !isXmp(s)) continue;
    parts.push(b.subarray(pos, s.start));
    pos = s.end;
  }
  parts.push(b.subarray(pos, insertAt), segment);
  pos = insertAt;
  for (const s of segs) {
    if (s.start < insertAt || !isXmp(s)) continue;
    parts.push(b.subarray(pos, s.start));
    pos = s.end;
  }
  parts.push(b.subarray(pos));
  return Buffer.concat(parts);
}

function pngWithXmp(b: Uint8Array, xmp: Buffer): Uint8Array {
  const chunks = pngChunks(b);
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  if (!ihdr) throw new CustodyError('CORRUPT_MEDIA', 'expected a PNG with an IHDR chunk, got none');
  // keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
  const data = Buffer.concat([Buffer.from(PNG_XMP_KEYWORD, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), xmp]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('iTXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const parts: Uint8Array[] = [b.subarray(0, ihdr.end), chunk];
  for (const c of chunks) {
    if (c.start < ihdr.end || isPngXmp(b, c)) continue;
    parts.push(b.subarray(c.start, c.end));
  }
  return Buffer.concat(parts);
}

function isPngXmp(b: Uint8Array, c: Chunk): boolean {
  return c.type === 'iTXt' && startsWith(b, c.start + 8, PNG_XMP_KEYWORD_NUL);
}

function webpWithXmp(b: Uint8Array, xmp: Buffer): Uint8Array {
  const chunks = riffChunks(b);
  const vp8x = chunks.find((c) => c.type === 'VP8X');
  let header: Buffer;
  if (vp8x) {
    header = Buffer.from(b.subarray(vp8x.start, vp8x.end));
  } else {
    const image = chunks.filter((c) => c.type === 'ALPH' || c.type === 'VP8 ' || c.type === 'VP8L');
    const { width, height } = webpBitstreamSize(b, image);
    const alpha = image.some((c) => c.type === 'VP8L' && (b[c.start + 8 + 4]! & 0x10) !== 0);
    header = Buffer.alloc(18);
    header.write('VP8X', 0, 'latin1');
    header.writeUInt32LE(10, 4);
    header[8] = alpha ? 0x10 : 0;
    header.writeUIntLE(width - 1, 12, 3);
    header.writeUIntLE(height - 1, 15, 3);
  }
  header[8] = header[8]! | 0x04; // XMP present
  const chunk = Buffer.alloc(8 + xmp.length + (xmp.length & 1));
  chunk.write('XMP ', 0, 'latin1');
  chunk.writeUInt32LE(xmp.length, 4);
  xmp.copy(chunk, 8);
  // VP8X first, XMP after the image and EXIF (Google's WebP container spec, "Extended file format")
  const body: Uint8Array[] = [header];
  for (const c of chunks) if (c.type !== 'VP8X' && c.type !== 'XMP ') body.push(b.subarray(c.start, c.end));
  body.push(chunk);
  const content = Buffer.concat(body);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(content.length + 4, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, content]);
}
