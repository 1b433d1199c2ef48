// Embedding: payload → convolutional code → tile pattern in mid-frequency DCT coefficients of the working grid →
// weighted by a texture mask → scaled to a fixed PSNR → upsampled to full resolution and added to the luminance.

import type { Raster } from './codec.ts';
import { convEncode } from './conv.ts';
import { LAYOUT, SLOTS, TILE } from './layout.ts';
import { boxBlur, bytesToBits, fold, gridDims, highPass, localRms } from './grid.ts';
import { addGridDelta, lumaToGrid, roundTripKernel, upsampledMeanSquare } from './resample.ts';
import { readSlots, whitening } from './extract.ts';
import { deltaFor, informedAmplitudes, type Channel } from './informed.ts';

export const EMBED_PARAMS = {
  /** PSNR the mark is scaled to (dB, on luminance before rounding). */
  psnr: 41,
  /** mask = clamp(√(activity / median activity), lo, hi) */
  lo: 0.3,
  hi: 2.5,
  syncWeight: 1,
  informed: true,
};

/** Texture mask on the grid: strong where the host is busy, weak on flat areas such as skies. */
export function textureMask(grid: Float32Array, gw: number, gh: number): Float32Array {
  const act = localRms(highPass(grid, gw, gh, 2), gw, gh, 4);
  // median activity from a regular subsample: sorting the whole grid costs more than the rest of the mask
  const sample = new Float32Array(Math.ceil(act.length / 13));
  for (let i = 0, j = 0; i < act.length; i += 13, j++) sample[j] = act[i]!;
  sample.sort();
  const median = Math.max(1, sample[sample.length >> 1]!);
  const { lo, hi } = EMBED_PARAMS;
  const m = new Float32Array(act.length);
  // strength ∝ √activity (a square root is much cheaper than a general power here)
  for (let i = 0; i < m.length; i++) m[i] = Math.min(hi, Math.max(lo, Math.sqrt(act[i]! / median)));
  return boxBlur(m, gw, gh, 3);
}

/** Desired sign of every slot: +1 on sync slots, the coded bit on data slots. */
function wantedSigns(payload: Uint8Array): Float64Array {
  const code = convEncode(bytesToBits(payload));
  const want = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) {
    const b = LAYOUT.bit[k]!;
    want[k] = b < 0 ? EMBED_PARAMS.syncWeight : code[b] ? 1 : -1;
  }
  return want;
}

export function embedInto(img: Raster, payload: Uint8Array): Raster {
  const { gw, gh } = gridDims(img.width, img.height);
  const grid = lumaToGrid(img, gw, gh);
  const mask = textureMask(grid, gw, gh);
  const { hp, weight } = whitening(grid, gw, gh);
  for (let i = 0; i < hp.length; i++) hp[i] = hp[i]! * weight[i]!;
  const host = readSlots(fold(hp, gw, gh, TILE, 1, 0), 0, 0);
  const ch: Channel = { gw, gh, mask, weight, kx: roundTripKernel(gw, img.width), ky: roundTripKernel(gh, img.height) };
  const want = wantedSigns(payload);
  const target = (255 * 255) / 10 ** (EMBED_PARAMS.psnr / 10);
  const gainFor = (d: Float32Array): number => Math.sqrt(target / upsampledMeanSquare(d, gw, gh, img.width, img.height));
  const amp = EMBED_PARAMS.informed ? informedAmplitudes(want, host, ch, gainFor(deltaFor(want, ch))) : want;
  const delta = deltaFor(amp, ch);
  const g = gainFor(delta);
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * g;
  return addGridDelta(img, delta, gw, gh);
}
