// The watermark extractor's coarse search shared with a pixel worker (extract.ts, CoarseShare): a real worker thread
// folds the pairs it claims, and the hits, and so the extraction, are those of the search on one thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark, type Raster } from '../core/media/watermark/codec.ts';
import { COARSE_PAIRS, coarseSearch, offerCoarse, useCoarseShare, whiten, type SyncHit } from '../core/media/watermark/extract.ts';
import { gridDims, sealGrid } from '../core/media/watermark/grid.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import { pixelPoolStarted, startPixelPool, type PixelPool } from '../core/media/pixel-pool.ts';
import { attack, loadRaster } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';

const PAYLOAD = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 255);

function whiteOf(img: Raster): { white: Float32Array; gw: number; gh: number } {
  const { gw, gh } = gridDims(img.width, img.height);
  return { white: sealGrid(whiten(lumaToGrid(img, gw, gh), gw, gh)), gw, gh };
}

/** What a hit says, without its lazily folded tile. */
const said = (hits: SyncHit[]) => hits.map(({ scale, angle, dx, dy, z, m, mirrored }) => ({ scale, angle, dx, dy, z, m, mirrored }));

/** Waits until the worker has claimed every pair of `share` and written each. */
async function workerFinished(ctl: Int32Array): Promise<void> {
  const until = Date.now() + 30_000;
  const done = () => Atomics.load(ctl, 0) >= COARSE_PAIRS && Array.from({ length: COARSE_PAIRS }, (_, i) => Atomics.load(ctl, 1 + i)).every((v) => v === 2);
  while (!done()) {
    if (Date.now() > until) throw new Error('expected the pixel worker to fold every pair within 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the coarse search shared with a pixel worker', () => {
  let pool: PixelPool;
  let rotated: Raster;
  let plain: Raster;
  beforeAll(async () => {
    // the process's pool too gets one worker, whatever the machine's cores (one core would give it none)
    process.env.CUSTODY_PIXEL_WORKERS = '1';
    pool = await startPixelPool(1);
    plain = await loadRaster(photo('coffee.png'));
    rotated = await attack(embedWatermark(await loadRaster(photo('rocket.jpg')), PAYLOAD), 'rotate5', 3);
  });
  afterAll(() => pool.close());

  it('gives, from the worker alone, the hits of the search on one thread, for a rotated marked copy and an unmarked photo', async () => {
    for (const img of [rotated, plain]) {
      const { white, gw, gh } = whiteOf(img);
      const alone = said(coarseSearch(white, gw, gh));
      const share = offerCoarse(white, gw, gh, pool)!;
      // the worker takes every pair before this thread asks: the figures below are all the worker's
      await workerFinished(new Int32Array(share.ctl));
      const shared = said(coarseSearch(white, gw, gh, share));
      expect(shared).toEqual(alone);
      expect(alone[0]!.z).toBeGreaterThan(0);
    }
  });

  it('folds itself the pairs a worker never took (a busy or missing worker)', () => {
    const { white, gw, gh } = whiteOf(rotated);
    const alone = said(coarseSearch(white, gw, gh));
    // an offer no worker was given: the counter is this thread's alone
    const share = offerCoarse(white, gw, gh, { run: () => new Promise(() => {}) } as unknown as PixelPool)!;
    expect(said(coarseSearch(white, gw, gh, share))).toEqual(alone);
    expect(Atomics.load(new Int32Array(share.ctl), 0)).toBeGreaterThanOrEqual(COARSE_PAIRS);
  });

  it("reads the rotated copy's payload with the process's pool sharing the search, as without it", async () => {
    expect(await pixelPoolStarted()).not.toBeNull();
    try {
      useCoarseShare(true);
      const shared = extractWatermark(rotated);
      useCoarseShare(false);
      const alone = extractWatermark(rotated);
      expect(shared.detected).toBe(true);
      expect(Buffer.from(shared.payload!)).toEqual(Buffer.from(PAYLOAD));
      expect(shared).toEqual(alone);
      for (const img of [plain]) {
        useCoarseShare(true);
        const s = extractWatermark(img);
        useCoarseShare(false);
        expect(s).toEqual(extractWatermark(img));
        expect(s.detected).toBe(false);
      }
    } finally {
      useCoarseShare(true);
    }
  });
});
