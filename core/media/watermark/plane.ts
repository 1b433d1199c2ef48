// The aspect-and-crop plane (issue 23), searched by the deep search (extract.ts, deepSearch). A copy squeezed or
// stretched along one side and cropped as well (a platform's reframing) magnifies the two axes differently, (1.17,
// 1.05) after `squeeze90+crop10`, which neither a crop's candidates (one magnification) nor an aspect change's (one
// axis at 1) come near, and whose periodicity the flattened spectrum (lattice.ts) often does not show. Only the sync
// correlation, a matched filter, finds such a mark, and a fold stays coherent only within about ±0.75 % of the map
// on each axis: so every pair of magnifications of the plane 1 % apart is folded over the whole grid and correlated
// with the sync pattern and its mirror image. The fold is separable for an axis-aligned map: each row of the tile is
// resampled once per magnification down, then each column once per magnification across (a bilinear fold's sums,
// reassociated).
// Measured (docs/watermark.md): a search at half resolution (the grid summed over 2×2 cells, a quarter of the cost)
// proposed the right map on 34–35 of 45 copies; the central square alone at full resolution on 42, the whole grid
// on 45 (a sky filling the centre of rocket.jpg).

import { correlationPeaksPairTwo, spectrum, type SurfacePeak } from './fft.ts';
import { LAYOUT, TILE, mirrorTile } from './layout.ts';

/** The plane's step: magnifications R^i across and R^j down. */
const R = 1.01;

/** The sync pattern's spectrum, transposed (foldRow's tiles are), and the pattern mirrored left-right's (a copy mirrored too). */
const SYNC_T = spectrum(transpose(LAYOUT.syncPattern, TILE), TILE);
const SYNC_T_MIRRORED = spectrum(transpose(mirrorTile(LAYOUT.syncPattern), TILE), TILE);

function transpose(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) out[x * n + y] = a[y * n + x]!;
  return out;
}

/**
 * The plane's maps as exponents (i, j) of R: a crop keeping 70 % of the area or more (a magnification m of 1–1.195
 * on both axes) with an aspect change a of 0.87–1.15 on either axis (m·a on it), as the coarse search's aspect
 * changes; i = j (a plain crop) and the axes at 1 (a plain aspect change) are the coarse search's own. Grouped by j.
 */
const PLANE: ReadonlyArray<readonly [number, number]> = (() => {
  const lr = Math.log(R);
  const mMax = Math.log(1.196) / lr;
  const aLo = Math.log(0.87) / lr;
  const aHi = Math.log(1.15) / lr;
  const inBand = (m: number, a: number): boolean => m >= 0 && m <= mMax && a >= aLo && a <= aHi;
  const out: [number, number][] = [];
  for (let j = Math.floor(aLo); j <= Math.ceil(mMax + aHi); j++) {
    for (let i = Math.floor(aLo); i <= Math.ceil(mMax + aHi); i++) {
      if (i === j || i === 0 || j === 0) continue;
      if (inBand(j, i - j) || inBand(i, j - i)) out.push([i, j]);
    }
  }
  return out;
})();

/** Positions of an axis of `n` cells under magnification `s` (foldAffine's frame): cell index, weight of the next, tile slot. */
interface Axis {
  at: Int32Array;
  f: Float64Array;
  slot: Int32Array;
}

function axis(n: number, s: number): Axis {
  const c = (n - 1) / 2;
  const un = Math.floor((2 * c) / s) + 1;
  const uc = (un - 1) / 2;
  const at: number[] = [];
  const f: number[] = [];
  const slot: number[] = [];
  for (let u = 0; u < un; u++) {
    const x = c + s * (u - uc);
    if (x < 0 || x > n - 1) continue;
    const x0 = Math.min(Math.floor(x), n - 2);
    at.push(x0);
    f.push(x - x0);
    slot.push(u & (TILE - 1));
  }
  return { at: Int32Array.from(at), f: Float64Array.from(f), slot: Int32Array.from(slot) };
}

/**
 * One axis resampled and folded: line k of the result (`len` values) is `src`'s lines at[k] and at[k] + 1 blended by
 * f[k], summed into line slot[k] of `out`. Rows down the grid (`len` = its width) and columns across (`len` = TILE).
 */
function resampleInto(out: Float64Array, src: Float64Array, ax: Axis, len: number): void {
  for (let k = 0; k < ax.at.length; k++) {
    const a = ax.at[k]! * len;
    const b = a + len;
    const f = ax.f[k]!;
    const o = ax.slot[k]! * len;
    for (let i = 0; i < len; i++) out[o + i]! += src[a + i]! + f * (src[b + i]! - src[a + i]!);
  }
}

/**
 * The grid folded under [sx, 0, 0, sy] for every sx of `across` at one sy, transposed (tile[u][v], which correlates
 * with the transposed pattern as the tile with the pattern): the rows resampled once (rows[v mod TILE][x], then
 * turned to cols[x][v mod TILE]), then each tile's columns, each a contiguous run of TILE values. `each` gets every
 * tile in turn (the same array, refilled).
 */
function foldRow(white: Float64Array, w: number, h: number, sy: number, across: readonly Axis[], buffers: { rows: Float64Array; cols: Float64Array; tile: Float64Array }, each: (k: number, tile: Float64Array) => void): void {
  const t = TILE;
  const { rows, cols, tile } = buffers;
  rows.fill(0);
  resampleInto(rows, white, axis(h, sy), w);
  for (let r = 0; r < t; r++) for (let x = 0; x < w; x++) cols[x * t + r] = rows[r * w + x]!;
  for (let n = 0; n < across.length; n++) {
    tile.fill(0);
    resampleInto(tile, cols, across[n]!, t);
    each(n, tile);
  }
}

export interface PlaneMap {
  sx: number;
  sy: number;
  /** the sync score of the map's fold over the whole grid (the straight or the mirrored pattern's peak over its RMS) */
  z: number;
}

/**
 * The `top` maps of the plane whose folds over the whole whitened grid correlate best with the sync pattern, straight
 * or mirrored, best first, none next to a better one (one step of R on either axis or both).
 */
export function planeSearch(white: Float32Array, gw: number, gh: number, top: number): PlaneMap[] {
  if (top <= 0) return [];
  const nn = TILE * TILE;
  const z = new Float64Array(PLANE.length);
  // the tiles wait in pairs for their correlation (two real tiles in one complex transform)
  const held = new Float64Array(nn);
  let heldAt = -1;
  const z1 = (p: SurfacePeak): number => p.value / (p.rms || 1);
  const score = (x: Float64Array, y: Float64Array): [number, number] => {
    // the surfaces' peaks only (they stay in the WebAssembly module): x straight, y straight, x mirrored, y mirrored
    const [xs, ys, xm, ym] = correlationPeaksPairTwo(x, y, SYNC_T, SYNC_T_MIRRORED, TILE);
    return [Math.max(z1(xs), z1(xm)), Math.max(z1(ys), z1(ym))];
  };
  const across = new Map<number, Axis>();
  const axisAt = (i: number): Axis => {
    let a = across.get(i);
    if (!a) across.set(i, (a = axis(gw, R ** i)));
    return a;
  };
  const buffers = { rows: new Float64Array(TILE * gw), cols: new Float64Array(gw * TILE), tile: new Float64Array(nn) };
  // one element type for both resampling steps (resampleInto): a copy of the grid costs less than a polymorphic loop
  const white64 = Float64Array.from(white);
  for (let n = 0; n < PLANE.length; ) {
    const j = PLANE[n]![1];
    let end = n;
    while (end < PLANE.length && PLANE[end]![1] === j) end++;
    const first = n;
    foldRow(white64, gw, gh, R ** j, PLANE.slice(first, end).map(([i]) => axisAt(i)), buffers, (k, tile) => {
      const at = first + k;
      if (heldAt < 0) {
        held.set(tile);
        heldAt = at;
        return;
      }
      [z[heldAt], z[at]] = score(held, tile);
      heldAt = -1;
    });
    n = end;
  }
  if (heldAt >= 0) z[heldAt] = score(held, new Float64Array(nn))[0];
  const order = [...PLANE.keys()].sort((a, b) => z[b]! - z[a]!);
  const out: PlaneMap[] = [];
  const taken: (readonly [number, number])[] = [];
  for (const n of order) {
    if (out.length >= top) break;
    const [i, j] = PLANE[n]!;
    if (taken.some(([ti, tj]) => Math.abs(ti - i) <= 1 && Math.abs(tj - j) <= 1)) continue;
    taken.push([i, j]);
    out.push({ sx: R ** i, sy: R ** j, z: z[n]! });
  }
  return out;
}
