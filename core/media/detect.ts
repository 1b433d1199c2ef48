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
}

export const DEFAULT_LIMITS: Limits = { maxImageBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 };

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
// /etc/shadow are exactly what must not.
const describeHead = (head: Uint8Array): string => {
  if (head.length === 0) return 'an empty file';
  const text = head.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f));
  return text ? 'a text file' : 'a file of another kind';
};

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
    throw new CustodyError(
      'UNSUPPORTED_FORMAT',
      `expected a JPEG, PNG, WebP, TIFF, HEIC/AVIF image or an MP4/MOV/WebM video, got ${describeHead(head.subarray(0, n))}`,
      { path },
    );
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
