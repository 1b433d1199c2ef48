// The watermark's plan in two halves (prepareWatermark from the photo alone, planWatermarkOn once the payload is
// known): the same delta and the same marked pixels, to the bit, as the plan made in one call before the split.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../core/media/detect.ts';
import { releasePixels } from '../core/media/passes.ts';
import { applyWatermark, planWatermark, planWatermarkOn, prepareWatermark, type Raster } from '../core/media/watermark/codec.ts';
import { convEncode } from '../core/media/watermark/conv.ts';
import { withCrc } from '../core/media/watermark/crc.ts';
import { EMBED_PARAMS, smallPhotoAmplitudes, textureMask } from '../core/media/watermark/embed.ts';
import { readSlots, whitening } from '../core/media/watermark/extract.ts';
import { boxBlur, bytesToBits, fold, gridDims } from '../core/media/watermark/grid.ts';
import { deltaFor, informedAmplitudes, type Channel } from '../core/media/watermark/informed.ts';
import { LAYOUT, SLOTS, TILE } from '../core/media/watermark/layout.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { lumaToGrid, roundTripKernel, upsampledMeanSquare } from '../core/media/watermark/resample.ts';
import { scanPhoto } from '../core/provenance/render-image.ts';
import { loadRaster } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';

/** ssimGain as it was written before the split (host and mark variances in one pass). */
function ssimGainBefore(grid: Float32Array, delta: Float32Array, gw: number, gh: number, loss: number, r: number): number {
  const sq = (a: Float32Array): Float32Array => a.map((v) => v * v);
  const mx = boxBlur(grid, gw, gh, r);
  const vx = boxBlur(sq(grid), gw, gh, r);
  const md = boxBlur(delta, gw, gh, r);
  const vd = boxBlur(sq(delta), gw, gh, r);
  const C2 = (0.03 * 255) ** 2;
  const den = new Float32Array(gw * gh);
  for (let i = 0; i < den.length; i++) {
    den[i] = 2 * Math.max(0, vx[i]! - mx[i]! * mx[i]!) + C2;
    vd[i] = Math.max(0, vd[i]! - md[i]! * md[i]!);
  }
  const vs: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < den.length; i += 3) {
    vs.push(vd[i]!);
    ds.push(den[i]!);
  }
  const lossAt = (g: number): number => {
    const g2 = g * g;
    let s = 0;
    for (let j = 0; j < vs.length; j++) {
      const w = g2 * vs[j]!;
      s += w / (ds[j]! + w);
    }
    return s / vs.length;
  };
  let lo = 0;
  let hi = 1;
  while (lossAt(hi) < loss && hi < 1e6) hi *= 2;
  for (let i = 0; i < 30; i++) {
    const g = (lo + hi) / 2;
    if (lossAt(g) > loss) hi = g;
    else lo = g;
  }
  return lo;
}

/** watermarkDelta as one call, as it was before the host half was split off (embed.ts at fresh-prep's base). */
function deltaBefore(img: Raster, payload: Uint8Array, lumaGrid?: Float32Array): Float32Array {
  const { gw, gh } = gridDims(img.width, img.height);
  const grid = lumaGrid ?? lumaToGrid(img, gw, gh);
  const mask = textureMask(grid, gw, gh);
  const { hp, weight } = whitening(grid, gw, gh);
  for (let i = 0; i < hp.length; i++) hp[i] = hp[i]! * weight[i]!;
  const host = readSlots(fold(hp, gw, gh, TILE, 1, 0), 0, 0);
  const ch: Channel = { gw, gh, mask, weight, kx: roundTripKernel(gw, img.width), ky: roundTripKernel(gh, img.height) };
  const code = convEncode(withCrc(bytesToBits(payload)));
  const want = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) want[k] = LAYOUT.bit[k]! < 0 ? EMBED_PARAMS.syncWeight : code[LAYOUT.bit[k]!] ? 1 : -1;
  const plain = deltaFor(want, ch);
  const meanSquare = (d: Float32Array): number => upsampledMeanSquare(d, gw, gh, img.width, img.height);
  const plainMs = meanSquare(plain);
  const gainAt = (psnr: number): number => Math.sqrt((255 * 255) / 10 ** (psnr / 10) / plainMs);
  const ssimWindow = Math.max(1, Math.round((3 * gw) / img.width));
  const { psnrMin, psnrMax, ssimLoss } = EMBED_PARAMS;
  const g0 = Math.min(gainAt(psnrMin), Math.max(gainAt(psnrMax), ssimGainBefore(grid, plain, gw, gh, ssimLoss, ssimWindow)));
  const informed = EMBED_PARAMS.informed ? informedAmplitudes(want, host, ch, g0, plain) : want;
  const amp = Math.min(img.width, img.height) < EMBED_PARAMS.smallSide ? smallPhotoAmplitudes(informed) : informed;
  const delta = deltaFor(amp, ch);
  const g = g0 * Math.sqrt(plainMs / meanSquare(delta));
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * g;
  return delta;
}

const bytesOf = (a: Float32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const hash = (a: Float32Array | Uint8Array): string => createHash('sha256').update(bytesOf(a)).digest('hex');

function payloads(seed: number, n: number): Uint8Array[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => new Uint8Array(16).map(() => Math.floor(r() * 256)));
}

// a small photo (smallPhotoAmplitudes: chelsea 451×300), a square grey one, a large colour one
const PHOTOS = ['chelsea.png', 'camera.png', 'astronaut.png', 'rocket.jpg'];

describe('the watermark plan split before the payload', () => {
  for (const [i, name] of PHOTOS.entries()) {
    it(`${name}: one prepared host gives each payload the delta and pixels of the single call`, async () => {
      const img = await loadRaster(photo(name));
      const prepared = prepareWatermark(img);
      for (const payload of payloads(i + 7, 3)) {
        const before = deltaBefore(img, payload);
        const split = planWatermarkOn(prepared, payload);
        expect(hash(split.delta), `${name}: delta`).toBe(hash(before));
        expect(hash(planWatermark(img, payload).delta), `${name}: planWatermark`).toBe(hash(before));
        const { gw, gh } = gridDims(img.width, img.height);
        const markedBefore = applyWatermark(img, { width: img.width, height: img.height, gw, gh, delta: before });
        expect(hash(applyWatermark(img, split).data), `${name}: marked pixels`).toBe(hash(markedBefore.data));
      }
    });
  }

  it('the scan of a photo carries the prepared half, which plans what the luma grid planned in one call', async () => {
    const bytes = await readFile(photo('astronaut.png'));
    const scan = await scanPhoto(bytes, 'png', DEFAULT_LIMITS, null);
    try {
      expect(scan.watermark).not.toBeNull();
      const [payload] = payloads(99, 1) as [Uint8Array];
      const img = scan.pixels.raster;
      const before = deltaBefore(img, payload, scan.watermarkLuma!.grid());
      expect(hash(planWatermarkOn(scan.watermark!, payload).delta)).toBe(hash(before));
    } finally {
      releasePixels(scan.pixels);
    }
  });

  it('a photo too small to carry a watermark has no prepared half', async () => {
    const sharp = (await import('sharp')).default;
    const small = await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 90, g: 120, b: 40 } } }).png().toBuffer();
    const scan = await scanPhoto(small, 'png', DEFAULT_LIMITS, null);
    expect(scan.watermark).toBeNull();
    releasePixels(scan.pixels);
  });
});
