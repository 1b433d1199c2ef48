// Moving between the full-resolution image and the watermark's working grid. Both directions touch each
// full-resolution pixel once, with integer arithmetic where they can: a photo of 20 MP or more is mostly these two
// passes, and signing must stay within a small multiple of sharp's own decode and encode.
// - down: an area average (integer luma sums over the pixels whose centres fall in a grid cell) when the image is at
//   least twice the grid, else a triangle filter; a row of luma at a time (LumaGridSink), so the signing pipeline
//   feeds it from the same pass as the pHash, and no full-resolution plane is ever made.
// - up: bilinear, fused with the add-back into RGB (in place when the caller no longer needs the original pixels),
//   rounded once per pixel and clamped by a Uint8ClampedArray (or the same in WebAssembly: kernels/wm-add.wat).

import { WASM_BASE64 as ADD_WASM } from '../kernels/wm-add.wasm.ts';
import { WASM_BASE64 as LUMA_AREA_WASM } from '../kernels/wm-luma-area.wasm.ts';
import { growMemory, lazyKernel } from '../kernels/load.ts';
import { scanLuma, type LumaSink, type RowRange } from '../luma.ts';
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

/** Area averaging is used from this downscale factor on; under it, the triangle filter (bins would alias). */
const AREA_FROM = 2;

/** ends[o] = one past the last input index whose centre falls in output cell o. */
function areaEnds(inSize: number, outSize: number): Int32Array {
  const ends = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) ends[o] = Math.min(inSize, Math.round(((o + 1) * inSize) / outSize));
  return ends;
}

/**
 * The image's luma (Pillow's, see luma.ts) resampled to the outW×outH working grid, fed a row at a time by
 * scanLuma: an area average (integer sums over the pixels whose centres fall in a grid cell) when the image is at
 * least twice the grid, else a triangle filter (horizontal pass per row, vertical pass at the end).
 */
export class LumaGridSink implements LumaSink {
  readonly width: number;
  readonly height: number;
  readonly outW: number;
  readonly outH: number;
  private readonly area: boolean;
  private readonly xe: Int32Array;
  private readonly ye: Int32Array;
  /** area: sums per grid cell; triangle: the horizontal pass, outW per input row (zero for rows not seen) */
  readonly acc: Float64Array | Float32Array;
  /** triangle only: the horizontal taps */
  private readonly tx: Taps | null;
  private oy = 0;

  constructor(width: number, height: number, outW: number, outH: number) {
    this.width = width;
    this.height = height;
    this.outW = outW;
    this.outH = outH;
    this.area = width >= AREA_FROM * outW && height >= AREA_FROM * outH;
    this.xe = areaEnds(width, outW);
    this.ye = areaEnds(height, outH);
    this.tx = this.area ? null : taps(width, outW);
    this.acc = this.area ? new Float64Array(outW * outH) : new Float32Array(outW * height);
  }

  rows(y: number, rows: number, band: Uint8Array): void {
    for (let r = 0; r < rows; r++) this.row(y + r, band, r * this.width);
  }

  /** Adds in what another sink of the same image saw of other rows (its `acc`). */
  absorb(acc: Float64Array | Float32Array): void {
    if (acc.length !== this.acc.length) throw new Error(`expected ${this.acc.length} partial sums, got ${acc.length}`);
    for (let i = 0; i < acc.length; i++) this.acc[i] = this.acc[i]! + acc[i]!;
  }

  private row(y: number, luma: Uint8Array, p: number): void {
    const { outW, acc } = this;
    if (this.area) {
      while (y >= this.ye[this.oy]!) this.oy++;
      const base = this.oy * outW;
      let x = p;
      for (let o = 0; o < outW; o++) {
        const end = p + this.xe[o]!;
        let s = 0;
        for (; x < end; x++) s += luma[x]!;
        acc[base + o] = acc[base + o]! + s;
      }
      return;
    }
    const { start, size, w } = this.tx!;
    const m = y * outW;
    for (let o = 0; o < outW; o++) {
      const s0 = start[o]!;
      const wb = o * size;
      const n = Math.min(size, this.width - s0);
      let s = 0;
      for (let i = 0; i < n; i++) s += luma[p + s0 + i]! * w[wb + i]!;
      acc[m + o] = s;
    }
  }

  /**
   * Every row of `img` through the WebAssembly kernel (kernels/wm-luma-area.wat: the luma and the area sums fused,
   * in integers, so the same sums as rows() fed by scanLuma), a band of rows at a time; false, having done nothing,
   * when this sink is not an area average or the kernel is not available.
   */
  scanAll(img: Raster): boolean {
    const k = this.area && img.width === this.width && img.height === this.height ? lumaAreaKernel.get() : null;
    if (!k) return false;
    const { data, width, height, channels } = img;
    if (data.length < width * height * channels) throw new Error(`expected ${width * height * channels} bytes for ${width}×${height}×${channels}, got ${data.length}`);
    const { outW, outH } = this;
    const band = Math.max(1, Math.min(height, Math.floor((1 << 20) / (width * channels))));
    const xeAt = 0;
    const cellsAt = outW * 4;
    const accAt = (cellsAt + band * 4 + 15) & ~15;
    const bandAt = accAt + outW * outH * 8;
    // the kernel reads up to 16 bytes past the band (whole vectors) and makes a row's luma in `lum`
    const lumAt = (bandAt + band * width * channels + 16 + 15) & ~15;
    const need = lumAt + width;
    growMemory(k.memory, need);
    const buf = k.memory.buffer;
    new Int32Array(buf, xeAt, outW).set(this.xe);
    const acc = new Float64Array(buf, accAt, outW * outH);
    acc.set(this.acc);
    const cells = new Int32Array(buf, cellsAt, band);
    const bytes = new Uint8Array(buf, bandAt, band * width * channels);
    let oy = this.oy;
    for (let y = 0; y < height; y += band) {
      const rows = Math.min(band, height - y);
      for (let r = 0; r < rows; r++) {
        while (y + r >= this.ye[oy]!) oy++;
        cells[r] = accAt + oy * outW * 8;
      }
      bytes.set(data.subarray(y * width * channels, (y + rows) * width * channels));
      k.rows(bandAt, rows, width, channels, xeAt, outW, cellsAt, lumAt);
    }
    this.oy = oy;
    this.acc.set(acc);
    return true;
  }

  /** The grid, once every row has been seen. */
  grid(): Float32Array {
    const { outW, outH, acc } = this;
    const out = new Float32Array(outW * outH);
    if (this.area) {
      let y0 = 0;
      for (let oy = 0; oy < outH; oy++) {
        const rows = this.ye[oy]! - y0;
        let x0 = 0;
        for (let ox = 0; ox < outW; ox++) {
          const n = (this.xe[ox]! - x0) * rows;
          out[oy * outW + ox] = n > 0 ? acc[oy * outW + ox]! / n : 0;
          x0 = this.xe[ox]!;
        }
        y0 = this.ye[oy]!;
      }
      return out;
    }
    const ty = taps(this.height, outH);
    for (let o = 0; o < outH; o++) {
      const s0 = ty.start[o]!;
      const wb = o * ty.size;
      const n = Math.min(ty.size, this.height - s0);
      const r = o * outW;
      for (let i = 0; i < n; i++) {
        const wv = ty.w[wb + i]!;
        if (wv === 0) continue;
        const m = (s0 + i) * outW;
        for (let x = 0; x < outW; x++) out[r + x] = out[r + x]! + wv * acc[m + x]!;
      }
    }
    return out;
  }
}

/** Luminance of `img` resampled to outW×outH (its own pass; signing shares one with the pHash instead). */
export function lumaToGrid(img: Raster, outW: number, outH: number): Float32Array {
  const sink = new LumaGridSink(img.width, img.height, outW, outH);
  if (!sink.scanAll(img)) scanLuma(img, [sink]);
  return sink.grid();
}

interface LumaAreaKernel {
  rows(band: number, rows: number, width: number, channels: number, xe: number, outW: number, cells: number, lum: number): void;
  memory: WebAssembly.Memory;
}

const lumaAreaKernel = lazyKernel<LumaAreaKernel>(LUMA_AREA_WASM);

/** Kernel off: scanLuma and rows() (tests compare the two). */
export const useWasmLumaArea = lumaAreaKernel.use;

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
 * `img` with the grid-resolution luminance change `delta` (gw×gh) upsampled bilinearly and added: a copy, or `img`
 * itself changed when `inPlace` (only the rows of `range`, so that threads can share the work). Adding the same amount to R, G and B changes the luma by that amount and leaves Cb
 * and Cr as they were (BT.601), so colour is untouched without a full colour-space round trip. Alpha is kept.
 */
export function addGridDelta(img: Raster, delta: Float32Array, gw: number, gh: number, inPlace = false, range: RowRange = { from: 0, to: img.height }): Raster {
  const { data, width, height, channels } = img;
  const out = inPlace ? new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) : new Uint8ClampedArray(data);
  const colour = channels >= 3 ? 3 : 1;
  const bx = bilinear(width, gw);
  const by = bilinear(height, gh);
  // the right-hand neighbour of each sample, clamped at the last grid column
  const i1 = bx.i0.map((i) => Math.min(i + 1, gw - 1));
  const k = addKernel.get();
  if (k && range.to > range.from && fitsI16(delta)) {
    addInKernel(k, new Uint8Array(out.buffer, out.byteOffset, out.length), { width, channels, colour, delta, gw, gh, bx, by, range });
    return { data: new Uint8Array(out.buffer, out.byteOffset, out.length), width, height, channels };
  }
  const row = new Float32Array(gw);
  const d = new Int32Array(width);
  for (let y = range.from; y < range.to; y++) {
    const r0 = by.i0[y]! * gw;
    const r1 = Math.min(by.i0[y]! + 1, gh - 1) * gw;
    const fy = by.f[y]!;
    for (let x = 0; x < gw; x++) row[x] = delta[r0 + x]! + fy * (delta[r1 + x]! - delta[r0 + x]!);
    // integer pixels plus a delta rounded once: round(v + d) = v + round(d); the clamped array clamps to 0..255
    for (let x = 0; x < width; x++) {
      const a = row[bx.i0[x]!]!;
      d[x] = Math.floor(a + bx.f[x]! * (row[i1[x]!]! - a) + 0.5);
    }
    let p = y * width * channels;
    if (colour === 3) {
      for (let x = 0; x < width; x++, p += channels) {
        const v = d[x]!;
        out[p] = out[p]! + v;
        out[p + 1] = out[p + 1]! + v;
        out[p + 2] = out[p + 2]! + v;
      }
    } else {
      for (let x = 0; x < width; x++, p += channels) out[p] = out[p]! + d[x]!;
    }
  }
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.length), width, height, channels };
}

interface AddKernel {
  rows(band: number, y0: number, rows: number, width: number, channels: number, colour: number, delta: number, gw: number, gh: number,
    yi0: number, yf: number, xi0: number, xf: number, row: number, add: number): void;
  memory: WebAssembly.Memory;
}

const addKernel = lazyKernel<AddKernel>(ADD_WASM);

/** Kernel off: the JavaScript add-back (tests compare the two). */
export const useWasmAdd = addKernel.use;

/**
 * Whether every change is finite and small enough for the kernel's 16-bit sums (a pixel byte plus a change of at
 * most 30,000 either way; a watermark's are a few levels): otherwise the JavaScript does it, with its own clamping.
 */
function fitsI16(delta: Float32Array): boolean {
  for (let i = 0; i < delta.length; i++) if (!(Math.abs(delta[i]!) <= 30_000)) return false;
  return true;
}

/** addGridDelta's rows through kernels/wm-add.wat: a band of about 1 MB of pixel rows at a time copied in and back. */
function addInKernel(
  k: AddKernel,
  bytes: Uint8Array,
  a: { width: number; channels: number; colour: number; delta: Float32Array; gw: number; gh: number; bx: { i0: Int32Array; f: Float32Array }; by: { i0: Int32Array; f: Float32Array }; range: RowRange },
): void {
  const { width, channels, colour, delta, gw, gh, bx, by, range } = a;
  const stride = width * channels;
  const band = Math.max(1, Math.min(range.to - range.from, Math.floor((1 << 20) / stride)));
  const height = by.i0.length;
  const align = (n: number): number => (n + 15) & ~15;
  const deltaAt = 0;
  const yi0At = align(deltaAt + gw * gh * 4);
  const yfAt = align(yi0At + height * 4);
  const xi0At = align(yfAt + height * 4);
  const xfAt = align(xi0At + width * 4);
  const rowAt = align(xfAt + width * 8);
  const addAt = align(rowAt + (gw + 1) * 4);
  const bandAt = align(addAt + stride * 2 + 16);
  const need = bandAt + band * stride;
  growMemory(k.memory, need);
  const buf = k.memory.buffer;
  new Float32Array(buf, deltaAt, gw * gh).set(delta.subarray(0, gw * gh));
  new Int32Array(buf, yi0At, height).set(by.i0);
  new Float32Array(buf, yfAt, height).set(by.f);
  const xi0 = new Int32Array(buf, xi0At, width);
  for (let x = 0; x < width; x++) xi0[x] = bx.i0[x]! * 4;
  new Float64Array(buf, xfAt, width).set(bx.f);
  const inBand = new Uint8Array(buf, bandAt, band * stride);
  for (let y = range.from; y < range.to; y += band) {
    const rows = Math.min(band, range.to - y);
    const pixels = bytes.subarray(y * stride, (y + rows) * stride);
    inBand.set(pixels);
    k.rows(bandAt, y, rows, width, channels, colour, deltaAt, gw, gh, yi0At, yfAt, xi0At, xfAt, rowAt, addAt);
    pixels.set(inBand.subarray(0, rows * stride));
  }
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
