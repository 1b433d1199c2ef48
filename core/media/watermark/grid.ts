// Image operations on the small working grid (the luminance resampled so its short side is GRID_SHORT_SIDE):
// box filters, the local-contrast normalisation that whitens the host before correlation, and folding the grid onto
// one tile under a candidate scale/rotation.

/**
 * Separable box blur with edge clamping, radius r (window 2r+1), via running sums. The vertical pass runs along
 * rows (one running sum per column) so that both passes read memory in order: on the grid this blur is the
 * embedder's and extractor's most frequent operation.
 */
export function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
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
  const m = boxBlur(src, w, h, r);
  const out = new Float32Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = src[i]! - m[i]!;
  return out;
}

/** Local RMS of `src` over a (2r+1)² window. */
export function localRms(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const sq = new Float32Array(w * h);
  for (let i = 0; i < sq.length; i++) sq[i] = src[i]! * src[i]!;
  const m = boxBlur(sq, w, h, r);
  for (let i = 0; i < m.length; i++) m[i] = Math.sqrt(Math.max(0, m[i]!)); // running sums can dip under 0 on flat areas
  return m;
}

/**
 * Folds the grid onto a t×t tile (t a power of two) under a candidate geometry: the grid shows the embedded grid
 * magnified by `scale` and rotated by `angle` (radians) about its centre. Each embedded-grid position u is read
 * bilinearly at x = c + scale·R(angle)·(u − c) and summed into tile[u mod t]. With `half`, only the central
 * (2·half)² of the frame is folded: less signal, but a coarse search over it is cheaper and tolerates larger
 * geometry errors.
 */
export function fold(src: Float32Array, w: number, h: number, t: number, scale: number, angle: number, half = Infinity): Float64Array {
  const tile = new Float64Array(t * t);
  const mask = t - 1;
  const cos = Math.cos(angle) * scale;
  const sin = Math.sin(angle) * scale;
  if (scale === 1 && angle === 0 && half === Infinity) {
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
export function foldAffine(src: Float32Array, w: number, h: number, t: number, m: Affine, half = Infinity): Float64Array {
  const tile = new Float64Array(t * t);
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
