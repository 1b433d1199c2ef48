// Image operations on the small working grid (the luminance resampled so its short side is GRID_SHORT_SIDE):
// box filters, the local-contrast normalisation that whitens the host before correlation, and folding the grid onto
// one tile under a candidate scale/rotation.

import { WASM_BASE64 as BLUR_WASM } from '../kernels/wm-blur.wasm.ts';
import { WASM_BASE64 as FOLD_WASM } from '../kernels/wm-fold.wasm.ts';
import { growMemory, lazyKernel, loadKernel } from '../kernels/load.ts';

/**
 * The blur, the high-pass and the local RMS in WebAssembly (kernels/wm-blur.wat): the same operations in the same
 * order, so the same grids to the bit (test/kernels.test.ts), compiled from the first call where a fresh process
 * would run the JavaScript interpreted until V8 compiles it. Null where WebAssembly is not available.
 */
interface BlurKernel {
  blur(src: number, tmp: number, out: number, sum: number, w: number, h: number, r: number): void;
  sub(a: number, b: number, out: number, bytes: number): void;
  square(a: number, out: number, bytes: number): void;
  root(m: number, bytes: number): void;
  weight(m: number, bytes: number): void;
  mul(a: number, b: number, bytes: number): void;
  memory: WebAssembly.Memory;
}

const blurKernel = lazyKernel<BlurKernel>(BLUR_WASM);

/** Kernels off: the JavaScript blur (tests compare the two). */
export const useWasmBlur = blurKernel.use;

/** The kernel with `src` copied in at 0 and room for three planes and a row of sums: their byte offsets. */
function blurIn(src: Float32Array, w: number): { k: BlurKernel; plane: number; tmp: number; out: number; extra: number; sum: number } | null {
  const k = blurKernel.get();
  if (!k) return null;
  const plane = (src.length * 4 + 15) & ~15;
  const need = plane * 4 + w * 8;
  growMemory(k.memory, need);
  new Float32Array(k.memory.buffer, 0, src.length).set(src);
  return { k, plane, tmp: plane, out: plane * 2, extra: plane * 3, sum: plane * 4 };
}

function blurOut(k: BlurKernel, at: number, n: number): Float32Array {
  return new Float32Array(k.memory.buffer.slice(at, at + n * 4));
}

/**
 * Separable box blur with edge clamping, radius r (window 2r+1), via running sums. The vertical pass runs along
 * rows (one running sum per column) so that both passes read memory in order: on the grid this blur is the
 * embedder's and extractor's most frequent operation.
 */
export function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const m = blurIn(src, w);
  if (m) {
    m.k.blur(0, m.tmp, m.out, m.sum, w, h, r);
    return blurOut(m.k, m.out, w * h);
  }
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let s = 0;
    for (let i = -r; i <= r; i++) s += src[o + Math.min(w - 1, Math.max(0, i))]!;
    // interior: no clamping needed while x - r ≥ 0 and x + r + 1 ≤ w - 1
    const a = Math.min(w, r);
    const b = Math.max(a, w - r - 1);
    let x = 0;
    for (; x < a; x++) {
      tmp[o + x] = s * norm;
      s += src[o + Math.min(w - 1, x + r + 1)]! - src[o + Math.max(0, x - r)]!;
    }
    for (; x < b; x++) {
      tmp[o + x] = s * norm;
      s += src[o + x + r + 1]! - src[o + x - r]!;
    }
    for (; x < w; x++) {
      tmp[o + x] = s * norm;
      s += src[o + Math.min(w - 1, x + r + 1)]! - src[o + Math.max(0, x - r)]!;
    }
  }
  const sum = new Float64Array(w);
  for (let i = -r; i <= r; i++) {
    const o = Math.min(h - 1, Math.max(0, i)) * w;
    for (let x = 0; x < w; x++) sum[x] = sum[x]! + tmp[o + x]!;
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const add = Math.min(h - 1, y + r + 1) * w;
    const sub = Math.max(0, y - r) * w;
    for (let x = 0; x < w; x++) {
      out[o + x] = sum[x]! * norm;
      sum[x] = sum[x]! + tmp[add + x]! - tmp[sub + x]!;
    }
  }
  return out;
}

/** High-pass residual: the grid minus its local mean. */
export function highPass(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const k = blurIn(src, w);
  if (k) {
    k.k.blur(0, k.tmp, k.out, k.sum, w, h, r);
    k.k.sub(0, k.out, k.out, w * h * 4);
    return blurOut(k.k, k.out, w * h);
  }
  const m = boxBlur(src, w, h, r);
  const out = new Float32Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = src[i]! - m[i]!;
  return out;
}

/** Local RMS of `src` over a (2r+1)² window. */
export function localRms(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const k = blurIn(src, w);
  if (k) {
    k.k.square(0, k.extra, w * h * 4);
    k.k.blur(k.extra, k.tmp, k.out, k.sum, w, h, r);
    k.k.root(k.out, w * h * 4);
    return blurOut(k.k, k.out, w * h);
  }
  const sq = new Float32Array(w * h);
  for (let i = 0; i < sq.length; i++) sq[i] = src[i]! * src[i]!;
  const m = boxBlur(sq, w, h, r);
  for (let i = 0; i < m.length; i++) m[i] = Math.sqrt(Math.max(0, m[i]!)); // running sums can dip under 0 on flat areas
  return m;
}

/** weight[i] = 1 / q^1.5 with q = weight[i] + 1 (in f64, stored as f32), in place: the extractor's whitening weight. */
export function inverseRms15(weight: Float32Array, w: number): void {
  const k = blurIn(weight, w);
  if (k) {
    k.k.weight(0, weight.length * 4);
    weight.set(new Float32Array(k.k.memory.buffer, 0, weight.length));
    return;
  }
  for (let i = 0; i < weight.length; i++) {
    const q = weight[i]! + 1;
    weight[i] = 1 / (q * Math.sqrt(q));
  }
}

/** a[i] = a[i] · b[i], in place (f64 products stored as f32). */
export function multiplyInto(a: Float32Array, b: Float32Array, w: number): void {
  const k = blurIn(a, w);
  if (k) {
    new Float32Array(k.k.memory.buffer, k.extra, b.length).set(b);
    k.k.mul(0, k.extra, a.length * 4);
    a.set(new Float32Array(k.k.memory.buffer, 0, a.length));
    return;
  }
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * b[i]!;
}

/**
 * Folds the grid onto a t×t tile (t a power of two) under a candidate geometry: the grid shows the embedded grid
 * magnified by `scale` and rotated by `angle` (radians) about its centre. Each embedded-grid position u is read
 * bilinearly at x = c + scale·R(angle)·(u − c) and summed into tile[u mod t]. With `half`, only the central
 * (2·half)² of the frame is folded: less signal, but a coarse search over it is cheaper and tolerates larger
 * geometry errors. With `out` (t·t values), the tile is made there instead of in a new array.
 */
export function fold(src: Float32Array, w: number, h: number, t: number, scale: number, angle: number, half = Infinity, out?: Float64Array): Float64Array {
  const tile = out ? out.fill(0) : new Float64Array(t * t);
  const mask = t - 1;
  const cos = Math.cos(angle) * scale;
  const sin = Math.sin(angle) * scale;
  if (scale === 1 && angle === 0 && half === Infinity) {
    const k = sealedKernel(src, t * t * 8);
    if (k) {
      new Float64Array(k.memory.buffer, k.size, t * t).fill(0);
      k.sum(0, w, h, k.size, t);
      tile.set(new Float64Array(k.memory.buffer, k.size, t * t));
      return tile;
    }
    for (let y = 0; y < h; y++) {
      const r = (y & mask) * t;
      const o = y * w;
      for (let x = 0; x < w; x++) tile[r + (x & mask)] = tile[r + (x & mask)]! + src[o + x]!;
    }
    return tile;
  }
  // the embedded-grid frame that maps into the source: its size is the source's divided by the scale
  const f = frame(w, h, Math.floor(w / scale), Math.floor(h / scale), half);
  if (angle === 0) foldScaled(src, w, h, tile, t, scale, scale, f);
  else foldMapped(src, w, h, tile, t, [cos, -sin, sin, cos], f);
  return tile;
}

/**
 * The folds in WebAssembly (kernels/wm-fold.wat), for a grid handed over once with sealGrid: the same arithmetic in
 * the same order as foldScaled and foldMapped, so the same tile to the bit (test/kernels.test.ts), and compiled from
 * the first call, where a fresh process would run the JavaScript loops interpreted until V8 compiles them. The grid
 * is copied into the module's memory once, not once per fold: a search folds the same grid dozens of times.
 */
interface FoldKernel {
  scaled(src: number, w: number, tile: number, t: number, xs: number, fxs: number, u0: number, nu: number, ys: number, fys: number, v0: number, nv: number): void;
  sum(src: number, w: number, h: number, tile: number, t: number): void;
  mapped(src: number, w: number, h: number, tile: number, t: number, ma: number, mb: number, mc: number, md: number, cx: number, cy: number, ucx: number, ucy: number, u0: number, u1: number, v0: number, v1: number): void;
  memory: WebAssembly.Memory;
  /** the sealed grid whose copy is at offset 0 of the memory, and the size of that copy in bytes (16-aligned) */
  sealed: Float32Array | null;
  size: number;
}

let foldKernel: FoldKernel | null | undefined;

function kernel(): FoldKernel | null {
  if (foldKernel === undefined) {
    const e = loadKernel<FoldKernel>(FOLD_WASM);
    foldKernel = e && { scaled: e.scaled, mapped: e.mapped, sum: e.sum, memory: e.memory, sealed: null, size: 0 };
  }
  return foldKernel;
}

/** Kernels off: the JavaScript folds (tests compare the two). */
export function useWasmFold(on: boolean): boolean {
  foldKernel = on ? undefined : null;
  return on && kernel() !== null;
}

/**
 * Hands `grid` to the WebAssembly folds, which then fold it without copying it again; the caller promises not to
 * change it afterwards (the extractor's whitened grid is made once and only read). One grid at a time: sealing
 * another replaces it. Returns `grid`.
 */
export function sealGrid(grid: Float32Array): Float32Array {
  const k = kernel();
  if (!k) return grid;
  k.size = (grid.length * 4 + 15) & ~15;
  growMemory(k.memory, k.size);
  new Float32Array(k.memory.buffer, 0, grid.length).set(grid);
  k.sealed = grid;
  return grid;
}


/** The kernel, when `src` is the sealed grid, with room for `bytes` after it. */
function sealedKernel(src: Float32Array, bytes: number): FoldKernel | null {
  const k = foldKernel === undefined ? kernel() : foldKernel;
  if (!k || k.sealed !== src) return null;
  growMemory(k.memory, k.size + bytes);
  return k;
}

/** Centres of the source and of a uw×uh embedded-grid frame, and the part of the frame folded (the central 2·half). */
interface Frame {
  cx: number;
  cy: number;
  ucx: number;
  ucy: number;
  u0: number;
  u1: number;
  v0: number;
  v1: number;
}

function frame(w: number, h: number, uw: number, uh: number, half: number): Frame {
  const ucx = (uw - 1) / 2;
  const ucy = (uh - 1) / 2;
  return {
    cx: (w - 1) / 2,
    cy: (h - 1) / 2,
    ucx,
    ucy,
    v0: Math.max(0, Math.floor(ucy - half)),
    v1: Math.min(uh, Math.ceil(ucy + half)),
    u0: Math.max(0, Math.floor(ucx - half)),
    u1: Math.min(uw, Math.ceil(ucx + half)),
  };
}

/**
 * A linear map from the embedded grid to the grid at hand, about both centres: position u of the embedded grid is
 * read at x = c + M·(u − c), M = [a b; c d] given as [a, b, c, d] (row-major). fold()'s scale·R(angle) is one; an
 * aspect change or a shear found by the lattice search (lattice.ts) are others.
 */
export type Affine = readonly [number, number, number, number];

/** fold() under any linear map `m`: the embedded-grid frame is the one `m` maps onto the whole source. */
export function foldAffine(src: Float32Array, w: number, h: number, t: number, m: Affine, half = Infinity, out?: Float64Array): Float64Array {
  const tile = out ? out.fill(0) : new Float64Array(t * t);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const [a, b, c, d] = m;
  const det = a * d - b * c;
  // the embedded-grid frame: the bounding box of the source's corners mapped back by m⁻¹
  let hu = 0;
  let hv = 0;
  for (const [px, py] of [[cx, cy], [cx, -cy]] as const) {
    hu = Math.max(hu, Math.abs((d * px - b * py) / det));
    hv = Math.max(hv, Math.abs((-c * px + a * py) / det));
  }
  const f = frame(w, h, Math.floor(2 * hu) + 1, Math.floor(2 * hv) + 1, half);
  if (b === 0 && c === 0 && a > 0 && d > 0) foldScaled(src, w, h, tile, t, a, d, f);
  else foldMapped(src, w, h, tile, t, m, f);
  return tile;
}

/** The general fold loop: each embedded-grid position of the frame read bilinearly where `m` puts it. */
function foldMapped(src: Float32Array, w: number, h: number, tile: Float64Array, t: number, m: Affine, f: Frame): void {
  const { cx, cy, ucx, ucy, u0, u1, v0, v1 } = f;
  const k = sealedKernel(src, t * t * 8);
  if (k) {
    new Float64Array(k.memory.buffer, k.size, t * t).fill(0);
    k.mapped(0, w, h, k.size, t, m[0], m[1], m[2], m[3], cx, cy, ucx, ucy, u0, u1, v0, v1);
    tile.set(new Float64Array(k.memory.buffer, k.size, t * t));
    return;
  }
  const mask = t - 1;
  const [ma, mb, mc, md] = m;
  for (let v = v0; v < v1; v++) {
    const dv = v - ucy;
    const r = (v & mask) * t;
    for (let u = u0; u < u1; u++) {
      const du = u - ucx;
      const x = cx + ma * du + mb * dv;
      const y = cy + mc * du + md * dv;
      if (x < 0 || y < 0 || x > w - 1 || y > h - 1) continue;
      const x0 = Math.min(Math.floor(x), w - 2);
      const y0 = Math.min(Math.floor(y), h - 2);
      const fx = x - x0;
      const fy = y - y0;
      const p = y0 * w + x0;
      const a = src[p]! + fx * (src[p + 1]! - src[p]!);
      const b = src[p + w]! + fx * (src[p + w + 1]! - src[p + w]!);
      tile[r + (u & mask)] = tile[r + (u & mask)]! + a + fy * (b - a);
    }
  }
}

/**
 * fold() without rotation (scales sx across, sy down): a row of the embedded grid then reads one row pair of the
 * source, at column positions that are the same for every row, so they are computed once. The same arithmetic as the rotated case with angle 0 (the
 * terms in sin(0) are exact zeros), so the same tile to the bit.
 */
function foldScaled(src: Float32Array, w: number, h: number, tile: Float64Array, t: number, sx: number, sy: number, f: Frame): void {
  const { cx, cy, ucx, ucy, u0, u1, v0, v1 } = f;
  const mask = t - 1;
  const xs = new Int32Array(u1 - u0);
  const fxs = new Float64Array(u1 - u0);
  const keep = new Uint8Array(u1 - u0);
  for (let u = u0; u < u1; u++) {
    const x = cx + sx * (u - ucx);
    if (x < 0 || x > w - 1) continue;
    const x0 = Math.min(Math.floor(x), w - 2);
    xs[u - u0] = x0;
    fxs[u - u0] = x - x0;
    keep[u - u0] = 1;
  }
  const k = sealedKernel(src, t * t * 8 + (u1 - u0 + v1 - v0) * 12 + 32);
  if (k) {
    // the same positions as below, handed over as tables: −1 for a column or row outside the source
    const nu = u1 - u0;
    const nv = v1 - v0;
    const at = k.size;
    const xsAt = at + t * t * 8;
    const fxsAt = (xsAt + nu * 4 + 15) & ~15;
    const ysAt = fxsAt + nu * 8;
    const fysAt = (ysAt + nv * 4 + 15) & ~15;
    const buf = k.memory.buffer;
    new Float64Array(buf, at, t * t).fill(0);
    const kx = new Int32Array(buf, xsAt, nu);
    for (let i = 0; i < nu; i++) kx[i] = keep[i] ? xs[i]! : -1;
    new Float64Array(buf, fxsAt, nu).set(fxs);
    const ky = new Int32Array(buf, ysAt, nv);
    const kfy = new Float64Array(buf, fysAt, nv);
    for (let v = v0; v < v1; v++) {
      const y = cy + sy * (v - ucy);
      if (y < 0 || y > h - 1) {
        ky[v - v0] = -1;
        continue;
      }
      const y0 = Math.min(Math.floor(y), h - 2);
      ky[v - v0] = y0;
      kfy[v - v0] = y - y0;
    }
    k.scaled(0, w, at, t, xsAt, fxsAt, u0, nu, ysAt, fysAt, v0, nv);
    tile.set(new Float64Array(buf, at, t * t));
    return;
  }
  for (let v = v0; v < v1; v++) {
    const y = cy + sy * (v - ucy);
    if (y < 0 || y > h - 1) continue;
    const y0 = Math.min(Math.floor(y), h - 2);
    const fy = y - y0;
    const r = (v & mask) * t;
    const row = y0 * w;
    for (let u = u0; u < u1; u++) {
      const i = u - u0;
      if (!keep[i]) continue;
      const fx = fxs[i]!;
      const p = row + xs[i]!;
      const a = src[p]! + fx * (src[p + 1]! - src[p]!);
      const b = src[p + w]! + fx * (src[p + w + 1]! - src[p + w]!);
      tile[r + (u & mask)] = tile[r + (u & mask)]! + a + fy * (b - a);
    }
  }
}

/**
 * The working grid: the luminance resampled so that its short side is GRID_SHORT_SIDE, whatever the image's size.
 * Tying the mark to this grid rather than to pixels is what lets it survive rescaling: a resized copy maps onto
 * the same grid. The grid is what a one-level Haar DWT's LL band of a 2·GRID_SHORT_SIDE working image holds (an
 * average over each cell), computed directly by one anti-aliased resampling.
 */
// 512 measured best: 256 and 384 lose 20 and 10 points of detection (fewer independent samples against the host);
// the cost is for resize50 of small photos, whose short side then falls under the grid's.
export const GRID_SHORT_SIDE = 512;

export function gridDims(width: number, height: number): { gw: number; gh: number } {
  const s = GRID_SHORT_SIDE / Math.min(width, height);
  return { gw: Math.max(GRID_SHORT_SIDE, Math.round(width * s)), gh: Math.max(GRID_SHORT_SIDE, Math.round(height * s)) };
}

/** Bytes → bits, most significant first. */
export function bytesToBits(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array(bytes.length * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return bits;
}

export function bitsToBytes(bits: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3] = bytes[i >> 3]! | (0x80 >> (i & 7));
  return bytes;
}
