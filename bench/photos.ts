// Large test photographs derived from the real skimage photos: a mosaic of different pictures, so that the
// content is photographic rather than a single upscaled image.
import sharp from 'sharp';
import { photo } from '../test/fixtures/photos.ts';

const TILES = ['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'hubble_deep_field.jpg', 'motorcycle_left.png',
  'retina.jpg', 'ihc.png', 'camera.png', 'brick.png', 'moon.png', 'color.png'];

/** A JPEG (quality 92) of about `megapixels` MP, 3:2, made of a 4×3 mosaic of real photos. */
export async function mosaicJpeg(megapixels: number, quality = 92): Promise<Buffer> {
  const height = Math.round(Math.sqrt((megapixels * 1e6) / 1.5) / 3) * 3;
  const width = Math.round((height * 1.5) / 4) * 4;
  const tw = width / 4;
  const th = height / 3;
  const tiles = await Promise.all(
    TILES.map(async (name, i) => ({
      input: await sharp(photo(name)).resize(tw, th, { fit: 'cover' }).toColourspace('srgb').removeAlpha().toBuffer(),
      left: (i % 4) * tw,
      top: Math.floor(i / 4) * th,
    })),
  );
  return sharp({ create: { width, height, channels: 3, background: '#000' } }).composite(tiles).jpeg({ quality }).toBuffer();
}
