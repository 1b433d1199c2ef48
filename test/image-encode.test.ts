// The signed copy's JPEG encode (core/media/image.ts): quality 95 in the original's chroma subsampling, with
// standard Huffman tables for speed. The tables change the file's size, never its pixels: a copy decodes to exactly
// what sharp's default encode at the same settings (tables optimised per image) decodes to.
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, probeImage } from '../core/media/image.ts';
import { SKIMAGE_DIR } from './fixtures/photos.ts';

async function original(subsampling: '4:2:0' | '4:4:4'): Promise<Uint8Array> {
  return new Uint8Array(await sharp(join(SKIMAGE_DIR, 'chelsea.png')).jpeg({ quality: 90, chromaSubsampling: subsampling }).toBuffer());
}

describe('encodeImage (JPEG)', () => {
  for (const subsampling of ['4:2:0', '4:4:4'] as const) {
    it(`keeps quality 95 and ${subsampling}: the same pixels as an encode with optimised tables`, async () => {
      const bytes = await original(subsampling);
      const info = await probeImage(bytes, 'jpeg');
      const raster = await decodeImage(bytes, 'jpeg');
      const encoded = await encodeImage(raster, 'jpeg', bytes, info);
      const optimised = await sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: 3 } })
        .jpeg({ quality: 95, chromaSubsampling: subsampling })
        .toBuffer();
      expect((await sharp(encoded).metadata()).chromaSubsampling).toBe(subsampling);
      const ours = await sharp(encoded).raw().toBuffer();
      const theirs = await sharp(optimised).raw().toBuffer();
      expect(ours.equals(theirs)).toBe(true);
      // a lower quality would decode differently: the comparison can tell
      const q90 = await sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: subsampling }).toBuffer();
      expect((await sharp(q90).raw().toBuffer()).equals(theirs)).toBe(false);
    });
  }
});
