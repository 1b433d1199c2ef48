// The layout of a picture: a normalised luminance downscale (128 px on the long side, an average over each cell)
// stored with a signed image, so that a verifier can register a copy onto the original's frame and see where its
// content changed (layout-compare.ts). Small enough to travel in the record and in the Custody assertion (≈ 10 KB
// deflated, base64), coarse enough that re-encoding, resizing, noise and mild blur leave it unchanged, fine enough
// that an edit of 2 % of the picture covers ~250 of its cells.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CustodyError } from '../errors.ts';
import { lumaPlane } from './luma.ts';
import type { Raster } from './watermark/codec.ts';
import type { LumaGridSink } from './watermark/resample.ts';

export const LAYOUT_LONG_SIDE = 128;
const PREFIX = 'L1';

export interface Layout {
  width: number;
  height: number;
  /** luma, 0–255, row-major width×height */
  data: Uint8Array;
}

/** The layout's size for an image of `w`×`h`: 128 on the long side, the aspect kept, never larger than the image. */
export function layoutDims(w: number, h: number): { width: number; height: number } {
  const s = Math.min(1, LAYOUT_LONG_SIDE / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

/**
 * Area-average resampling of the rectangle [x0, x1)×[y0, y1) of a float plane to ow×oh: each output cell is the mean
 * of the source it covers, fractional pixels weighted by their covered share.
 */
export function resampleArea(src: Float32Array, sw: number, sh: number, ow: number, oh: number, rect = { x0: 0, y0: 0, x1: sw, y1: sh }): Float32Array {
  const cols = areaWeights(sw, ow, rect.x0, rect.x1);
  const rows = areaWeights(sh, oh, rect.y0, rect.y1);
  const tmp = new Float32Array(ow * sh);
  for (let y = 0; y < sh; y++) {
    const r = y * sw;
    for (let o = 0; o < ow; o++) {
      const { start, w } = cols[o]!;
      let s = 0;
      for (let i = 0; i < w.length; i++) s += src[r + start + i]! * w[i]!;
      tmp[y * ow + o] = s;
    }
  }
  const out = new Float32Array(ow * oh);
  for (let o = 0; o < oh; o++) {
    const { start, w } = rows[o]!;
    for (let i = 0; i < w.length; i++) {
      const wv = w[i]!;
      const m = (start + i) * ow;
      for (let x = 0; x < ow; x++) out[o * ow + x] = out[o * ow + x]! + wv * tmp[m + x]!;
    }
  }
  return out;
}

function areaWeights(size: number, out: number, a: number, b: number): { start: number; w: Float64Array }[] {
  const step = (b - a) / out;
  const res: { start: number; w: Float64Array }[] = [];
  for (let o = 0; o < out; o++) {
    const lo = Math.max(0, a + o * step);
    const hi = Math.min(size, a + (o + 1) * step);
    const start = Math.min(size - 1, Math.floor(lo));
    const end = Math.max(start + 1, Math.min(size, Math.ceil(hi)));
    const w = new Float64Array(end - start);
    let total = 0;
    for (let i = start; i < end; i++) {
      const c = Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
      w[i - start] = c;
      total += c;
    }
    if (total === 0) w[0] = total = 1;
    for (let i = 0; i < w.length; i++) w[i] = w[i]! / total;
    res.push({ start, w });
  }
  return res;
}

/** The layout of a picture from its luma at any resolution with the picture's aspect (the watermark grid serves). */
export function layoutFromLuma(luma: Float32Array, lw: number, lh: number, imageWidth: number, imageHeight: number): Layout {
  const { width, height } = layoutDims(imageWidth, imageHeight);
  const f = resampleArea(luma, lw, lh, width, height);
  const data = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(f[i]!)));
  return { width, height, data };
}

/** `L1:<w>x<h>:<base64 of the deflated cells>` */
export function encodeLayout(l: Layout): string {
  return `${PREFIX}:${l.width}x${l.height}:${deflateRawSync(l.data, { level: 9 }).toString('base64')}`;
}

export const LAYOUT_PATTERN = /^L1:\d{1,3}x\d{1,3}:[A-Za-z0-9+/]+=*$/;

export function decodeLayout(s: string): Layout {
  const m = /^L1:(\d{1,3})x(\d{1,3}):([A-Za-z0-9+/]+=*)$/.exec(s);
  const bad = (why: string): CustodyError => new CustodyError('INVALID_ARGUMENT', `expected a picture layout (L1:<w>x<h>:<base64>), got ${why}`);
  if (!m) throw bad(JSON.stringify(s.slice(0, 24)));
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < 1 || height < 1 || Math.max(width, height) > LAYOUT_LONG_SIDE) throw bad(`a ${width}×${height} grid`);
  let data: Buffer;
  try {
    data = inflateRawSync(Buffer.from(m[3]!, 'base64'), { maxOutputLength: width * height + 1 });
  } catch {
    throw bad('cells that do not inflate');
  }
  if (data.length !== width * height) throw bad(`${data.length} cells for a ${width}×${height} grid`);
  return { width, height, data: new Uint8Array(data) };
}

/**
 * A picture's luma at a working resolution for layouts: the watermark's grid (512 px on the short side) when the scan
 * made one, else the full-resolution plane (a picture too small to carry a watermark).
 */
export function layoutLuma(raster: Raster, grid: LumaGridSink | null): { luma: Float32Array; width: number; height: number } {
  if (grid) return { luma: grid.grid(), width: grid.outW, height: grid.outH };
  return { luma: Float32Array.from(lumaPlane(raster)), width: raster.width, height: raster.height };
}
