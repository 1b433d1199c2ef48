// Moving between the full-resolution image and the watermark's working grid. Both directions touch each
// full-resolution pixel once, with integer arithmetic where they can: a photo of 20 MP or more is mostly these two
// passes, and signing must stay within a small multiple of sharp's own decode and encode.
// - down: an area average (integer luma sums over the pixels whose centres fall in a grid cell) when the image is at
//   least twice the grid, else a triangle filter; no full-resolution float plane is ever made.
// - up: bilinear, fused with the add-back into RGB, rounded once per pixel and clamped by a Uint8ClampedArray.

import type { Raster } from './codec.ts';

interface Taps {
  size: number; // taps per output sample
  start: Int32Array; // first input index per output sample
  w: Float32Array; // size weights per output sample (normalised; zero-padded)
}

/** Triangle-filter taps (bilinear when upsampling, an anti-aliased average when downsampling), Pillow-style. */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const fs = Math.max(scale, 1);
  const support = fs; // triangle of half-width 1, stretched by the downscale factor
  const size = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const w = new Float32Array(outSize * size);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    let lo = Math.floor(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.floor(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const v = Math.max(0, 1 - Math.abs((i + 0.5 - center) / fs));
      w[o * size + i - lo] = v;
      sum += v;
    }
    if (sum === 0) {
      // degenerate (can only happen at the very edge): nearest sample
      lo = Math.min(inSize - 1, Math.max(0, Math.floor(center)));
      w[o * size] = 1;
    } else {
      for (let i = 0; i < hi - lo; i++) w[o * size + i] = w[o * size + i]! / sum;
    }
    start[o] = lo;
  }
  return { size, start, w };
}

/** Integer luma weights (ITU-R BT.601, as JPEG's YCbCr, in 1/256ths: 77 + 150 + 29 = 256); alpha never counts. */
const WR = 77;
const WG = 150;
const WB = 29;

/** Area averaging is used from this downscale factor on; under it, the triangle filter (bins would alias). */
const AREA_FROM = 2;

/** ends[o] = one past the last input index whose centre falls in output cell o. */
function areaEnds(inSize: number, outSize: number): Int32Array {
  const ends = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) ends[o] = Math.min(inSize, Math.round(((o + 1) * inSize) / outSize));
  return ends;
}

/** Sums of integer luma (×256) over the row's cells, added into `acc`. */
function sumRow(data: Uint8Array, p: number, channels: number, ends: Int32Array, acc: Float64Array): void {
  let x = 0;
  if (channels >= 3) {
    for (let o = 0; o < ends.length; o++) {
      const end = ends[o]!;
      let s = 0;
      for (; x < end; x++, p += channels) s += WR * data[p]! + WG * data[p + 1]! + WB * data[p + 2]!;
      acc[o] = acc[o]! + s;
    }
  } else {
    for (let o = 0; o < ends.length; o++) {
      const end = ends[o]!;
      let s = 0;
      for (; x < end; x++, p += channels) s += data[p]!;
      acc[o] = acc[o]! + 256 * s;
    }
  }
}

function areaLuma(img: Raster, outW: number, outH: number): Float32Array {
  const { data, width, height, channels } = img;
  const xe = areaEnds(width, outW);
  const ye = areaEnds(height, outH);
  const out = new Float32Array(outW * outH);
  const acc = new Float64Array(outW);
  let y = 0;
  for (let oy = 0; oy < outH; oy++) {
    acc.fill(0);
    const y0 = y;
    for (; y < ye[oy]!; y++) sumRow(data, y * width * channels, channels, xe, acc);
    const rows = y - y0;
    let x0 = 0;
    for (let ox = 0; ox < outW; ox++) {
      const n = (xe[ox]! - x0) * rows;
      out[oy * outW + ox] = n > 0 ? acc[ox]! / (256 * n) : 0;
      x0 = xe[ox]!;
    }
  }
  return out;
}

/** Luminance of `img` resampled to outW×outH. */
export function lumaToGrid(img: Raster, outW: number, outH: number): Float32Array {
  const { data, width, height, channels } = img;
  if (width >= AREA_FROM * outW && height >= AREA_FROM * outH) return areaLuma(img, outW, outH);
  const tx = taps(width, outW);
  const ty = taps(height, outH);
  // horizontal pass, fused with the luma conversion: one row of luma at a time
  const rowY = new Float32Array(width);
  const mid = new Float32Array(outW * height);
  for (let y = 0; y < height; y++) {
    let p = y * width * channels;
    if (channels >= 3) {
      for (let x = 0; x < width; x++, p += channels) rowY[x] = (WR * data[p]! + WG * data[p + 1]! + WB * data[p + 2]!) / 256;
    } else {
      for (let x = 0; x < width; x++, p += channels) rowY[x] = data[p]!;
    }
    const m = y * outW;
    for (let o = 0; o < outW; o++) {
      const s0 = tx.start[o]!;
      const wb = o * tx.size;
      const n = Math.min(tx.size, width - s0);
      let s = 0;
      for (let i = 0; i < n; i++) s += rowY[s0 + i]! * tx.w[wb + i]!;
      mid[m + o] = s;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let o = 0; o < outH; o++) {
    const s0 = ty.start[o]!;
    const wb = o * ty.size;
    const n = Math.min(ty.size, height - s0);
    const r = o * outW;
    for (let i = 0; i < n; i++) {
      const wv = ty.w[wb + i]!;
      if (wv === 0) continue;
      const m = (s0 + i) * outW;
      for (let x = 0; x < outW; x++) out[r + x] = out[r + x]! + wv * mid[m + x]!;
    }
  }
  return out;
}

/** Bilinear sample positions of a full-resolution axis on a grid axis, aligned on pixel centres. */
function bilinear(outSize: number, gridSize: number): { i0: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = gridSize / outSize;
  for (let o = 0; o < outSize; o++) {
    let c = (o + 0.5) * scale - 0.5;
    if (c < 0) c = 0;
    if (c > gridSize - 1) c = gridSize - 1;
    let i = Math.floor(c);
    if (i > gridSize - 2) i = Math.max(0, gridSize - 2);
    i0[o] = i;
    f[o] = gridSize > 1 ? c - i : 0;
  }
  return { i0, f };
}

/**
 * A copy of `img` with the grid-resolution luminance change `delta` (gw×gh) upsampled bilinearly and added.
 * Adding the same amount to R, G and B changes Y by that amount and leaves Cb and Cr as they were (BT.601), so
 * colour is untouched without a full colour-space round trip. Alpha is copied.
 */
export function addGridDelta(img: Raster, delta: Float32Array, gw: number, gh: number): Raster {
  const { data, width, height, channels } = img;
  const out = new Uint8ClampedArray(data.length);
  if (channels === 2 || channels === 4) out.set(data); // alpha
  const colour = channels >= 3 ? 3 : 1;
  const bx = bilinear(width, gw);
  const by = bilinear(height, gh);
  // the right-hand neighbour of each sample, clamped at the last grid column
  const i1 = bx.i0.map((i) => Math.min(i + 1, gw - 1));
  const row = new Float32Array(gw);
  for (let y = 0; y < height; y++) {
    const r0 = by.i0[y]! * gw;
    const r1 = Math.min(by.i0[y]! + 1, gh - 1) * gw;
    const fy = by.f[y]!;
    for (let x = 0; x < gw; x++) row[x] = delta[r0 + x]! + fy * (delta[r1 + x]! - delta[r0 + x]!);
    let p = y * width * channels;
    // integer pixels plus a delta rounded once: round(v + d) = v + round(d); the clamped array clamps to 0..255
    if (colour === 3) {
      for (let x = 0; x < width; x++, p += channels) {
        const a = row[bx.i0[x]!]!;
        const d = Math.floor(a + bx.f[x]! * (row[i1[x]!]! - a) + 0.5);
        out[p] = data[p]! + d;
        out[p + 1] = data[p + 1]! + d;
        out[p + 2] = data[p + 2]! + d;
      }
    } else {
      for (let x = 0; x < width; x++, p += channels) {
        const a = row[bx.i0[x]!]!;
        out[p] = data[p]! + Math.floor(a + bx.f[x]! * (row[i1[x]!]! - a) + 0.5);
      }
    }
  }
  return { data: new Uint8Array(out.buffer), width, height, channels };
}

/** Mean square of the upsampled delta, estimated on up to `rows` evenly spaced full-resolution rows. */
export function upsampledMeanSquare(delta: Float32Array, gw: number, gh: number, width: number, height: number, rows = 96): number {
  const bx = bilinear(width, gw);
  const by = bilinear(height, gh);
  const row = new Float32Array(gw);
  const step = Math.max(1, Math.floor(height / rows));
  let sum = 0;
  let count = 0;
  for (let y = Math.floor(step / 2); y < height; y += step) {
    const r0 = by.i0[y]! * gw;
    const r1 = Math.min(by.i0[y]! + 1, gh - 1) * gw;
    const fy = by.f[y]!;
    for (let x = 0; x < gw; x++) row[x] = delta[r0 + x]! + fy * (delta[r1 + x]! - delta[r0 + x]!);
    for (let x = 0; x < width; x++) {
      const i = bx.i0[x]!;
      const a = row[i]!;
      const d = a + bx.f[x]! * ((i + 1 < gw ? row[i + 1]! : a) - a);
      sum += d * d;
    }
    count += width;
  }
  return count ? sum / count : 0;
}

/**
 * The blur that a grid-resolution signal suffers from being upsampled to `full` samples (bilinear, as addGridDelta
 * does) and resampled back to `grid` samples (as lumaToGrid does): a symmetric kernel of 2·radius+1 taps, measured
 * by pushing an impulse through both resamplers. The embedder uses it to predict what the extractor will read.
 */
export function roundTripKernel(grid: number, full: number, radius = 2): Float32Array {
  const n = Math.min(grid, 64);
  const fullN = Math.max(2, Math.round((n * full) / grid));
  const c = n >> 1;
  const up = bilinear(fullN, n);
  const signal = new Float32Array(fullN);
  for (let o = 0; o < fullN; o++) {
    const i = up.i0[o]!;
    const f = up.f[o]!;
    signal[o] = (i === c ? 1 - f : 0) + (i + 1 === c ? f : 0);
  }
  const area = full >= AREA_FROM * grid;
  const down = taps(fullN, n);
  const ends = areaEnds(fullN, n);
  const k = new Float32Array(2 * radius + 1);
  for (let d = -radius; d <= radius; d++) {
    const o = c + d;
    if (o < 0 || o >= n) continue;
    let s = 0;
    if (area) {
      const from = o > 0 ? ends[o - 1]! : 0;
      for (let i = from; i < ends[o]!; i++) s += signal[i]! / (ends[o]! - from);
    } else {
      for (let i = 0; i < down.size && down.start[o]! + i < fullN; i++) s += signal[down.start[o]! + i]! * down.w[o * down.size + i]!;
    }
    k[d + radius] = s;
  }
  return k;
}
