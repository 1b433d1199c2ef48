// Folds for the coarse search's aspect-change candidates (extract.ts): the grid is tied to the short side, so a copy
// squeezed or stretched along one side keeps one axis at magnification 1 and changes the other's. Along the axis at
// 1, every embedded-grid position falls on a whole grid cell, so that axis folds once (sums of whole rows or columns
// modulo the tile) for every candidate, and each candidate then only resamples the other axis: about a third of a
// full fold's work. The sums are fold()'s (foldScaled's), reassociated.

/** Folds of the central (2·half)² square under magnifications (s, 1) across or (1, s) down, for one grid. */
export class AspectFolds {
  private rows?: Float64Array;
  private cols?: Float64Array;
  private readonly src: Float32Array;
  private readonly w: number;
  private readonly h: number;
  private readonly t: number;
  private readonly half: number;
  constructor(src: Float32Array, w: number, h: number, t: number, half: number) {
    this.src = src;
    this.w = w;
    this.h = h;
    this.t = t;
    this.half = half;
  }

  /** The part of an axis of `n` cells that an embedded-grid frame of `un` cells folds (as foldAffine's frame). */
  private span(n: number, un: number): { c: number; uc: number; lo: number; hi: number } {
    const uc = (un - 1) / 2;
    return { c: (n - 1) / 2, uc, lo: Math.max(0, Math.floor(uc - this.half)), hi: Math.min(un, Math.ceil(uc + this.half)) };
  }

  /** Magnification `s` across, 1 down (made in `out` when given, as fold()). */
  across(s: number, out?: Float64Array): Float64Array {
    const { src, w, h, t } = this;
    const mask = t - 1;
    if (!this.rows) {
      // the rows of the central band, summed modulo the tile: rows[v mod t][x]
      const { lo, hi } = this.span(h, h);
      const rows = new Float64Array(t * w);
      for (let v = lo; v < hi; v++) {
        const o = v * w;
        const r = (v & mask) * w;
        for (let x = 0; x < w; x++) rows[r + x] = rows[r + x]! + src[o + x]!;
      }
      this.rows = rows;
    }
    const rows = this.rows;
    const tile = out ? out.fill(0) : new Float64Array(t * t);
    const { c, uc, lo, hi } = this.span(w, Math.floor((w - 1) / s) + 1);
    for (let u = lo; u < hi; u++) {
      const x = c + s * (u - uc);
      if (x < 0 || x > w - 1) continue;
      const x0 = Math.min(Math.floor(x), w - 2);
      const fx = x - x0;
      const col = u & mask;
      for (let r = 0; r < t; r++) {
        const p = r * w + x0;
        tile[r * t + col] = tile[r * t + col]! + rows[p]! + fx * (rows[p + 1]! - rows[p]!);
      }
    }
    return tile;
  }

  /** Magnification 1 across, `s` down. */
  down(s: number, out?: Float64Array): Float64Array {
    const { src, w, h, t } = this;
    const mask = t - 1;
    if (!this.cols) {
      // every row's central columns, summed modulo the tile: cols[y][u mod t]
      const { lo, hi } = this.span(w, w);
      const cols = new Float64Array(h * t);
      for (let y = 0; y < h; y++) {
        const o = y * w;
        const r = y * t;
        for (let x = lo; x < hi; x++) cols[r + (x & mask)] = cols[r + (x & mask)]! + src[o + x]!;
      }
      this.cols = cols;
    }
    const cols = this.cols;
    const tile = out ? out.fill(0) : new Float64Array(t * t);
    const { c, uc, lo, hi } = this.span(h, Math.floor((h - 1) / s) + 1);
    for (let v = lo; v < hi; v++) {
      const y = c + s * (v - uc);
      if (y < 0 || y > h - 1) continue;
      const y0 = Math.min(Math.floor(y), h - 2);
      const fy = y - y0;
      const r = (v & mask) * t;
      const a = y0 * t;
      const b = a + t;
      for (let u = 0; u < t; u++) tile[r + u] = tile[r + u]! + cols[a + u]! + fy * (cols[b + u]! - cols[a + u]!);
    }
    return tile;
  }
}
