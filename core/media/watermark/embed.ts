// Embedding: payload + CRC → convolutional code → tile pattern in mid-frequency DCT coefficients of the working
// grid → weighted by a texture mask → informed amplitudes → scaled to a predicted SSIM loss within a PSNR range;
// codec.ts then has it upsampled to full resolution and added to the luminance (resample.ts).

import { WASM_BASE64 as SSIM_WASM } from '../kernels/wm-ssim.wasm.ts';
import { growMemory, lazyKernel } from '../kernels/load.ts';
import { convEncode } from './conv.ts';
import { withCrc } from './crc.ts';
import { COEFFS, LAYOUT, SLOTS, TILE } from './layout.ts';
import { boxBlur, bytesToBits, fold, gridDims, highPass, localRms } from './grid.ts';
import { roundTripKernel, upsampledMeanSquare } from './resample.ts';
import { readSlots, whitening } from './extract.ts';
import { deltaFor, informedAmplitudes, type Channel } from './informed.ts';

export const EMBED_PARAMS = {
  /** mask = clamp((activity / median activity)^¾, lo, hi) */
  lo: 0.15,
  hi: 3.5,
  syncWeight: 1,
  /** the mark fades out where the local mean is under this (SSIM's luminance term; clipping at 0) */
  dark: 32,
  /** mean predicted SSIM loss the gain aims at (ssimGain), within the PSNR range below (dB, luminance) */
  ssimLoss: 0.025,
  psnrMin: 39.5,
  psnrMax: 41.5,
  informed: true,
  /**
   * On a photo whose short side is under smallSide pixels, the 512-cell grid is finer than the pixels, and the slots
   * of u + v = 4 (a quarter cycle per cell) lie at 128 / side cycles per pixel (0.43 on a 300-px photo): the first
   * to go when a copy is shrunk. There the slots' amplitudes are weighted by frequency (u + v = 2, 3, 4), the energy
   * kept (smallPhotoAmplitudes). Measured on chelsea, coins, coffee and rocket, 10 payloads each:
   * rotate5+resize75+jpeg75 22/40 → 27/40 (36/40 at the attack's map, from 23), resize50 and jpeg50 38/40 → 40/40.
   */
  smallSide: 450,
  smallWeights: [1.4, 1.1, 0.3] as readonly number[],
};

/**
 * `amp` (slot amplitudes) weighted by the frequency of each slot's DCT position, smallWeights[u + v − 2], then
 * scaled back to its energy (Σ amp²): the extractor reads the same slots, so the format does not change.
 */
export function smallPhotoAmplitudes(amp: Float64Array): Float64Array {
  const w = EMBED_PARAMS.smallWeights;
  const out = new Float64Array(amp.length);
  let before = 0;
  let after = 0;
  for (let k = 0; k < amp.length; k++) {
    const [u, v] = COEFFS[k % COEFFS.length]!;
    out[k] = amp[k]! * w[u + v - 2]!;
    before += amp[k]! * amp[k]!;
    after += out[k]! * out[k]!;
  }
  const g = after > 0 ? Math.sqrt(before / after) : 0;
  for (let k = 0; k < out.length; k++) out[k] = out[k]! * g;
  return out;
}

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
  // strength ∝ activity^¾ (two square roots; a general power costs more than the rest of the mask): steeper than
  // the former √activity, with a lower floor, so flat areas (where SSIM is most sensitive and JPEG/WebP zero the
  // mark anyway) carry less. Measured: SSIM 0.9754 → 0.9798 at equal PSNR, coded-bit SNR within 5 %.
  for (let i = 0; i < m.length; i++) {
    const r = act[i]! / median;
    m[i] = Math.min(hi, Math.max(lo, Math.sqrt(r) * Math.sqrt(Math.sqrt(r))));
  }
  // SSIM's luminance term punishes any change of a near-black mean, and marks clip at both ends: fade out there
  const mean = boxBlur(grid, gw, gh, 3);
  const dark = EMBED_PARAMS.dark;
  for (let i = 0; i < m.length; i++) if (mean[i]! < dark) m[i] = m[i]! * Math.max(0.05, mean[i]! / dark);
  return boxBlur(m, gw, gh, 3);
}

/**
 * Gain at which the mean predicted SSIM loss of `delta` (on the grid, 7-cell windows) is `loss`: for host variance
 * σx² and mark variance σw² in a window, SSIM's contrast-structure term falls by about σw² / (2σx² + C2 + σw²).
 */
export function ssimGain(grid: Float32Array, delta: Float32Array, gw: number, gh: number, loss: number, r: number): number {
  return ssimGainOn(ssimHost(grid, gw, gh, r), delta, gw, gh, loss, r);
}

const squares = (a: Float32Array): Float32Array => {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * a[i]!;
  return out;
};

/** ssimGain's part from the host alone: 2σx² + C2 in every window (`r` its radius on the grid). */
function ssimHost(grid: Float32Array, gw: number, gh: number, r: number): Float32Array {
  const mx = boxBlur(grid, gw, gh, r);
  const vx = boxBlur(squares(grid), gw, gh, r);
  const C2 = (0.03 * 255) ** 2;
  const den = new Float32Array(gw * gh);
  for (let i = 0; i < den.length; i++) den[i] = 2 * Math.max(0, vx[i]! - mx[i]! * mx[i]!) + C2;
  return den;
}

/** ssimGain with the host's part (ssimHost, windows of radius `r`) already computed. */
function ssimGainOn(den: Float32Array, delta: Float32Array, gw: number, gh: number, loss: number, r: number): number {
  const md = boxBlur(delta, gw, gh, r);
  const vd = boxBlur(squares(delta), gw, gh, r);
  for (let i = 0; i < den.length; i++) vd[i] = Math.max(0, vd[i]! - md[i]! * md[i]!);
  // every third window, its two variances copied once into f64 (exactly: every f32 is an f64) and in order
  const n = Math.ceil(den.length / 3);
  const vs = new Float64Array(n);
  const ds = new Float64Array(n);
  for (let i = 0, j = 0; i < den.length; i += 3, j++) {
    vs[j] = vd[i]!;
    ds[j] = den[i]!;
  }
  const k = ssimKernel(vs, ds);
  const lossAt = (g: number): number => {
    const g2 = g * g;
    if (k) return k(g2);
    let s = 0;
    for (let j = 0; j < n; j++) {
      const w = g2 * vs[j]!;
      s += w / (ds[j]! + w);
    }
    return s / n;
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

interface SsimKernel {
  loss(vs: number, ds: number, n: number, g2: number): number;
  memory: WebAssembly.Memory;
}

const ssimK = lazyKernel<SsimKernel>(SSIM_WASM);

/** Kernel off: the JavaScript loss (tests compare the two). */
export const useWasmSsim = ssimK.use;

/**
 * ssimGain's loss at g² through kernels/wm-ssim.wat, with the sampled variances copied in once (the bisection asks
 * for some thirty gains); null without the kernel.
 */
function ssimKernel(vs: Float64Array, ds: Float64Array): ((g2: number) => number) | null {
  const k = ssimK.get();
  if (!k) return null;
  const n = vs.length;
  const dsAt = n * 8;
  const need = dsAt + n * 8;
  growMemory(k.memory, need);
  new Float64Array(k.memory.buffer, 0, n).set(vs);
  new Float64Array(k.memory.buffer, dsAt, n).set(ds);
  return (g2) => k.loss(0, dsAt, n, g2);
}

/** Desired sign of every slot: +1 on sync slots, the coded bit on data slots. */
export function wantedSigns(payload: Uint8Array): Float64Array {
  const code = convEncode(withCrc(bytesToBits(payload)));
  const want = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) {
    const b = LAYOUT.bit[k]!;
    want[k] = b < 0 ? EMBED_PARAMS.syncWeight : code[b] ? 1 : -1;
  }
  return want;
}

/**
 * What the watermark's delta reads from the host photo alone, before a payload is known: the texture mask, the extractor's
 * whitening, the host's own slot readings, the channel's round-trip kernels and SSIM's host variances. Nothing in it
 * is changed by watermarkDeltaFor, so one host serves any number of payloads.
 */
export interface WatermarkHost {
  width: number;
  height: number;
  ch: Channel;
  host: Float64Array;
  ssimWindow: number;
  ssimDen: Float32Array;
}

/** The host part of the watermark's delta for a `width` × `height` photo whose working-grid luma is `grid`. */
export function watermarkHost(width: number, height: number, grid: Float32Array): WatermarkHost {
  const { gw, gh } = gridDims(width, height);
  const mask = textureMask(grid, gw, gh);
  const { hp, weight } = whitening(grid, gw, gh);
  for (let i = 0; i < hp.length; i++) hp[i] = hp[i]! * weight[i]!;
  const host = readSlots(fold(hp, gw, gh, TILE, 1, 0), 0, 0);
  const ch: Channel = { gw, gh, mask, weight, kx: roundTripKernel(gw, width), ky: roundTripKernel(gh, height) };
  const ssimWindow = Math.max(1, Math.round((3 * gw) / width));
  return { width, height, ch, host, ssimWindow, ssimDen: ssimHost(grid, gw, gh, ssimWindow) };
}

/** The luminance change (on the working grid) that carries `payload` in the photo of host part `h` (watermarkHost); addGridDelta applies it. */
export function watermarkDeltaFor(h: WatermarkHost, payload: Uint8Array): Float32Array {
  const { width, height, ch, host, ssimWindow } = h;
  const { gw, gh } = ch;
  const want = wantedSigns(payload);
  const plain = deltaFor(want, ch);
  const meanSquare = (d: Float32Array): number => upsampledMeanSquare(d, gw, gh, width, height);
  const plainMs = meanSquare(plain);
  const gainAt = (psnr: number): number => Math.sqrt((255 * 255) / 10 ** (psnr / 10) / plainMs);
  // energy per photo: what keeps SSIM's loss at ssimLoss, within the PSNR range. Busy photos take more than a
  // fixed PSNR would give them, flat ones (cell, moon) less: measured SSIM 0.9798 → 0.9814 and jpeg50/resize50
  // misses 3 → 1 on the photo set, against a fixed 41 dB.
  const { psnrMin, psnrMax, ssimLoss } = EMBED_PARAMS;
  const g0 = Math.min(gainAt(psnrMin), Math.max(gainAt(psnrMax), ssimGainOn(h.ssimDen, plain, gw, gh, ssimLoss, ssimWindow)));
  const informed = EMBED_PARAMS.informed ? informedAmplitudes(want, host, ch, g0, plain) : want;
  const amp = Math.min(width, height) < EMBED_PARAMS.smallSide ? smallPhotoAmplitudes(informed) : informed;
  const delta = deltaFor(amp, ch);
  // informed amplitudes keep the plain pattern's energy in slot terms; hold it exactly at full resolution
  const g = g0 * Math.sqrt(plainMs / meanSquare(delta));
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * g;
  return delta;
}
