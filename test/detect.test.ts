import { describe, expect, it } from 'vitest';
import { sniff } from '../core/media/detect.ts';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? Array.from(Buffer.from(p, 'latin1')) : p)));

describe('format detection by magic bytes', () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['png', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a])],
    ['webp', bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')],
    ['tiff', bytes('II', [42, 0])],
    ['tiff', bytes('MM', [0, 42])],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypavif')],
    ['heif', bytes([0, 0, 0, 0x18], 'ftypheic')],
    ['mp4', bytes([0, 0, 0, 0x18], 'ftypisom')],
    ['mov', bytes([0, 0, 0, 0x14], 'ftypqt  ')],
    ['webm', bytes([0x1a, 0x45, 0xdf, 0xa3])],
  ])('recognises %s', (format, head) => {
    expect(sniff(head)).toBe(format);
  });

  it.each([
    ['empty', bytes()],
    ['text', bytes('hello world, not a picture')],
    ['GIF', bytes('GIF89a')],
    ['BMP', bytes('BM', [0, 0, 0, 0])],
    ['PDF', bytes('%PDF-1.7')],
    ['truncated PNG signature', bytes([0x89], 'PN')],
    ['RIFF that is not WebP', bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt ')],
  ])('refuses %s', (_name, head) => {
    expect(sniff(head)).toBeNull();
  });
});
