// Format detection by magic bytes, and the size limits checked before any pixel is decoded.
import { open, stat } from 'node:fs/promises';
import { CustodyError } from '../errors.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'heif' | 'avif';
export type VideoFormat = 'mp4' | 'mov' | 'webm';
export type MediaFormat = ImageFormat | VideoFormat;

export interface Limits {
  /** Largest image file accepted, in bytes. */
  maxImageBytes: number;
  /** Largest image accepted, in pixels (width × height). */
  maxPixels: number;
  /** Longest video accepted, in seconds of the duration its file states (core/media/video/duration-limit.ts). */
  maxVideoSeconds: number;
}

/**
 * 12 hours of video: a parliament sitting, a trial day or a livestream recorded whole. The 5 GB byte limit holds that
 * long only under 1 Mbit/s, so longer recordings arrive split anyway; at 12 h signing samples 4,320 frames and
 * writes 8,641 records, verification decodes 17,280 thumbnails: seconds of work, not hours.
 */
const MAX_VIDEO_SECONDS = 12 * 3600;

export const DEFAULT_LIMITS: Limits = { maxImageBytes: 50 * 1024 * 1024, maxPixels: 100_000_000, maxVideoSeconds: MAX_VIDEO_SECONDS };

const ASCII = (b: Uint8Array, at: number, len: number): string => String.fromCharCode(...b.subarray(at, at + len));

/** Identifies a format from the first bytes of a file; null when none is recognised. */
export function sniff(head: Uint8Array): MediaFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && ASCII(head, 1, 3) === 'PNG' && head[0] === 0x89 && head[4] === 0x0d && head[5] === 0x0a) {
    return 'png';
  }
  if (head.length >= 12 && ASCII(head, 0, 4) === 'RIFF' && ASCII(head, 8, 4) === 'WEBP') return 'webp';
  if (head.length >= 4 && ((ASCII(head, 0, 2) === 'II' && head[2] === 42 && head[3] === 0) ||
      (ASCII(head, 0, 2) === 'MM' && head[2] === 0 && head[3] === 42))) {
    return 'tiff';
  }
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (head.length >= 12 && ASCII(head, 4, 4) === 'ftyp') {
    const brand = ASCII(head, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heif';
    if (brand === 'qt  ') return 'mov';
    return 'mp4';
  }
  return null;
}

export function isImageFormat(f: MediaFormat): f is ImageFormat {
  return f === 'jpeg' || f === 'png' || f === 'webp' || f === 'tiff' || f === 'heif' || f === 'avif';
}

export const FORMAT_EXTENSIONS: Record<MediaFormat, string> = {
  jpeg: 'jpg', png: 'png', webp: 'webp', tiff: 'tif', heif: 'heic', avif: 'avif', mp4: 'mp4', mov: 'mov', webm: 'webm',
};

// Says what kind of file arrived without quoting it: an error can travel (web mode, logs), and the first bytes of
// /etc/shadow are exactly what must not. Formats people commonly drop are named, so the refusal says what it was.
const KNOWN: readonly (readonly [string, (h: Uint8Array) => boolean])[] = [
  ['a GIF image', (h) => ASCII(h, 0, 4) === 'GIF8'],
  ['a BMP image', (h) => ASCII(h, 0, 2) === 'BM' && h.length >= 14],
  ['a PDF document', (h) => ASCII(h, 0, 5) === '%PDF-'],
  ['a Photoshop document', (h) => ASCII(h, 0, 4) === '8BPS'],
  ['a JPEG XL image', (h) => (h[0] === 0xff && h[1] === 0x0a) || ASCII(h, 4, 4) === 'JXL '],
  ['a JPEG 2000 image', (h) => ASCII(h, 4, 4) === 'jP  '],
  ['an icon file', (h) => h[0] === 0 && h[1] === 0 && h[2] === 1 && h[3] === 0],
  ['a WAV sound', (h) => ASCII(h, 0, 4) === 'RIFF' && ASCII(h, 8, 4) === 'WAVE'],
  ['an AVI video', (h) => ASCII(h, 0, 4) === 'RIFF' && ASCII(h, 8, 4) === 'AVI '],
  ['an MP3 sound', (h) => ASCII(h, 0, 3) === 'ID3' || (h[0] === 0xff && (h[1]! & 0xe0) === 0xe0)],
  ['an Ogg file', (h) => ASCII(h, 0, 4) === 'OggS'],
  ['a FLAC sound', (h) => ASCII(h, 0, 4) === 'fLaC'],
  ['a ZIP archive (or an Office document)', (h) => h[0] === 0x50 && h[1] === 0x4b && h[2] === 3 && h[3] === 4],
  ['a gzip archive', (h) => h[0] === 0x1f && h[1] === 0x8b],
  ['an SVG drawing', (h) => /^\s*(<\?xml[^>]*>\s*)?<svg/i.test(ASCII(h, 0, h.length))],
  ['an HTML page', (h) => /^\s*<(!doctype html|html)/i.test(ASCII(h, 0, h.length))],
];

/** What the desk takes, for messages that refuse something else. */
export const SUPPORTED = 'a JPEG, PNG, WebP, TIFF or AVIF image (HEIC where the image library decodes it) or an MP4, MOV or WebM video';

export function describeHead(head: Uint8Array): string {
  if (head.length === 0) return 'an empty file';
  const known = KNOWN.find(([, is]) => is(head));
  if (known) return known[0];
  const text = head.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f));
  return text ? 'a text file' : 'a file of another kind';
}

/** The refusal of a file whose first bytes are no format the desk takes, naming what it looks like. */
export function unsupported(head: Uint8Array, path?: string): CustodyError {
  return new CustodyError('UNSUPPORTED_FORMAT', `expected ${SUPPORTED}, got ${describeHead(head)}, which is not supported`, path === undefined ? undefined : { path });
}

export interface Detected {
  format: MediaFormat;
  bytes: number;
}

/** Reads the head of a file and identifies it; refuses unknown formats and images over the byte limit. */
export async function detectFile(path: string, limits: Limits = DEFAULT_LIMITS): Promise<Detected> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CustodyError('NOT_FOUND', `expected a file, got a directory or device at ${path}`);
    size = s.size;
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('NOT_FOUND', `expected a readable file at ${path}, but it does not exist or cannot be read`);
  }
  const fh = await open(path, 'r');
  const head = new Uint8Array(32);
  let n: number;
  try {
    n = (await fh.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  if (size === 0) throw new CustodyError('CORRUPT_MEDIA', `expected an image or a video, got an empty file (0 bytes) at ${path}`, { path });
  const format = sniff(head.subarray(0, n));
  if (!format) {
    throw unsupported(head.subarray(0, n), path);
  }
  if (isImageFormat(format) && size > limits.maxImageBytes) {
    throw new CustodyError(
      'FILE_TOO_LARGE',
      `expected an image of at most ${formatBytes(limits.maxImageBytes)}, got ${formatBytes(size)}`,
      { path, bytes: size, limit: limits.maxImageBytes },
    );
  }
  return { format, bytes: size };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
