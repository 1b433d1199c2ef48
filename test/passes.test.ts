// The full-resolution passes shared out between threads give exactly what one thread gives: the pHash (the
// imagehash vectors hold for the pooled path too), the watermark grid, and the marked pixels byte for byte.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lumaPlane, scanLuma } from '../core/media/luma.ts';
import { markPixels, perceptualScan, releasePixels, sharePixels, SHARE_MIN_PIXELS, type Pixels } from '../core/media/passes.ts';
import { PhashSink, phashHex, phashPixels, resizeLanczosL, phashFromThumb32 } from '../core/media/phash.ts';
import { pixelWorkerCount, startPixelPool, type PixelPool } from '../core/media/pixel-pool.ts';
import { extractWatermark, planWatermark, watermarkLumaSink, type Raster } from '../core/media/watermark/codec.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import { SKIMAGE_DIR } from './fixtures/photos.ts';

/** A real photo upscaled past the sharing threshold (3072×2048 ≈ 6.3 MP). */
async function bigPhoto(): Promise<Raster> {
  const { data, info } = await sharp(join(SKIMAGE_DIR, 'chelsea.png')).resize(3072, 2048, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

const inline = (raster: Raster): Pixels => ({ raster, shared: null, pool: null });
const payload = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 255);

describe('luma sinks', () => {
  it('sinks that saw different rows add up to one that saw them all', async () => {
    const img = await bigPhoto();
    const whole = new PhashSink(img.width, img.height);
    const grid = watermarkLumaSink(img.width, img.height);
    scanLuma(img, [whole, grid]);
    const top = new PhashSink(img.width, img.height);
    const bottom = new PhashSink(img.width, img.height);
    const gTop = watermarkLumaSink(img.width, img.height);
    const gBottom = watermarkLumaSink(img.width, img.height);
    // a split inside a grid cell and a band
    scanLuma(img, [top, gTop], { from: 0, to: 1001 });
    scanLuma(img, [bottom, gBottom], { from: 1001, to: img.height });
    top.absorb(bottom.mid);
    gTop.absorb(gBottom.acc);
    expect(phashHex(top.hash())).toBe(phashHex(whole.hash()));
    expect(Array.from(gTop.grid())).toEqual(Array.from(grid.grid()));
  });

  it('the streamed pHash is the one of the luma plane resized whole', async () => {
    const img = await bigPhoto();
    const plane = resizeLanczosL(lumaPlane(img), img.width, img.height, 32, 32);
    expect(phashHex(phashPixels(img.data, img.width, img.height, img.channels))).toBe(phashHex(phashFromThumb32(plane)));
  });
});

describe('passes shared with a worker thread', () => {
  let pool: PixelPool;
  beforeAll(async () => {
    pool = await startPixelPool(1);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('scan and mark give exactly the inline results', async () => {
    const img = await bigPhoto();
    expect(img.width * img.height).toBeGreaterThanOrEqual(SHARE_MIN_PIXELS);
    const one = await perceptualScan(inline(img));
    const px = sharePixels({ ...img, data: new Uint8Array(img.data) }, pool);
    expect(px.shared).not.toBeNull();
    const two = await perceptualScan(px);
    expect(two.phash).toBe(one.phash);
    expect(Array.from(two.watermarkLuma!.grid())).toEqual(Array.from(one.watermarkLuma!.grid()));
    // the grid the scan made is the codec's own
    expect(Array.from(one.watermarkLuma!.grid())).toEqual(Array.from(lumaToGrid(img, one.watermarkLuma!.outW, one.watermarkLuma!.outH)));

    const plan = planWatermark(img, payload, { luma: one.watermarkLuma! });
    const marked = await markPixels(px, plan);
    const reference = await markPixels(inline({ ...img, data: new Uint8Array(img.data) }), plan);
    expect(Buffer.compare(Buffer.from(marked.data), Buffer.from(reference.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(marked.data), Buffer.from(img.data))).not.toBe(0);
    const ex = extractWatermark(marked);
    expect(ex.detected).toBe(true);
    expect(Buffer.from(ex.payload!).toString('hex')).toBe(Buffer.from(payload).toString('hex'));
    releasePixels(px);
  });

  it('small images stay on the calling thread', async () => {
    const { data, info } = await sharp(join(SKIMAGE_DIR, 'rocket.jpg')).raw().toBuffer({ resolveWithObject: true });
    const px = sharePixels({ data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels }, pool);
    expect(px.shared).toBeNull();
  });

  it('a scan whose worker has stopped is redone on the calling thread', async () => {
    const img = await bigPhoto();
    const own = await startPixelPool(1);
    const px = sharePixels({ ...img, data: new Uint8Array(img.data) }, own);
    await own.close();
    const scan = await perceptualScan(px);
    expect(scan.phash).toBe((await perceptualScan(inline(img))).phash);
    // writing is not retried: a half-done add cannot be told from a not-started one
    const plan = planWatermark(img, payload, { luma: scan.watermarkLuma! });
    await expect(markPixels(px, plan)).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});

describe('worker count', () => {
  it('follows CUSTODY_PIXEL_WORKERS and refuses nonsense', () => {
    expect(pixelWorkerCount({ CUSTODY_PIXEL_WORKERS: '0' })).toBe(0);
    expect(pixelWorkerCount({ CUSTODY_PIXEL_WORKERS: '3' })).toBe(3);
    expect(pixelWorkerCount({})).toBeGreaterThanOrEqual(0);
    expect(() => pixelWorkerCount({ CUSTODY_PIXEL_WORKERS: 'many' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
