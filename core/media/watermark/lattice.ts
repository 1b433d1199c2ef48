// The geometry from the mark's own periodicity (Kutter, "Watermarking resisting to translation, rotation, and
// scaling", SPIE 1998): the whole tile — payload slots as well as sync slots — repeats every TILE cells of the
// embedded grid, so the autocorrelation of the whitened grid peaks on the lattice that the tile's two sides are
// mapped to. Two lattice vectors give the linear map from the embedded grid to the grid at hand in one step, whatever
// it is: a rotation of any angle up to ±45°, a crop's magnification, an aspect change, a shear, or a mix of them. The
// sync correlation then finds the offset, and tells a mirrored copy from a straight one (extract.ts). A square
// lattice looks the same mirrored or turned by 90°, so the map is taken as the one closest to no rotation.

import { autocorrelationAnd } from './fft.ts';
import type { Affine } from './grid.ts';
import { TILE } from './layout.ts';

export const LATTICE_PARAMS = {
  /** side of the central square of the grid that is autocorrelated (the grid's short side is 512) */
  span: 512,
  /**
   * cells averaged (bin × bin) before the transform: 2 would cost a quarter, and the average stays periodic on the
   * same lattice, but it halved the peaks' ratio to the noise (rotate5 on camera.png 8.1 → 4.1): 1
   */
  bin: 1,
  /** lattice vectors looked for, in grid cells: the tile magnified about 0.55–1.75 times */
  rMin: 70,
  rMax: 224,
  /** local maxima of the autocorrelation kept as lattice vector candidates */
  peaks: 16,
  /** lattices returned, best first */
  candidates: 2,
  /** two lattice vectors must be this close to perpendicular (|cos| under) and to equal length (ratio within) */
  maxCos: 0.4,
  maxRatio: 1.3,
  /**
   * Axis-aligned maps (axisMaps): the tile's periods across and down, looked for in the autocorrelation of the
   * flattened power spectrum (each frequency's power over the mean of the (2·flatRadius + 1)² around it, in the ring
   * flatBand of frequencies, in cycles per window) over periodMin…periodMax cells (the tile magnified 0.85–1.5
   * times); the best `axes` pairs of periods are returned.
   */
  flatRadius: 4,
  flatBand: [20, 127] as readonly [number, number],
  periodMin: 109,
  periodMax: 192,
  axes: 4,
};

export interface LatticeCandidate {
  m: Affine;
  /** mean peak-to-RMS ratio of the autocorrelation at the lattice's vectors a, b, a + b, a − b, the largest left out */
  z: number;
}

type Vec = [number, number];

/**
 * The candidate maps from the embedded grid to `white` (a whitened gw×gh grid, both sides ≥ the window), best first;
 * each is worth a fold only if its z stands out of what unmarked photos give (see EXTRACT_PARAMS.latticeFloor).
 */
export function latticeCandidates(white: Float32Array, gw: number, gh: number): LatticeCandidate[] {
  return latticeSearch(white, gw, gh).lattices;
}

/**
 * latticeCandidates' lattices and, from the same transform, the axis-aligned maps of the flattened spectrum
 * (axisMaps): an aspect change and a crop at once magnify the two axes differently (issue 23's squeeze, crop and
 * WebP: 1.17 across, 1.05 down), which neither the coarse search's crops nor its aspect changes come near, and after
 * a lossy step the plain autocorrelation's lattice rarely stands out of the host's.
 */
export function latticeSearch(white: Float32Array, gw: number, gh: number): { lattices: LatticeCandidate[]; axes: LatticeCandidate[] } {
  const { span, bin, peaks: keep, candidates, maxCos, maxRatio } = LATTICE_PARAMS;
  if (gw < span || gh < span) return { lattices: [], axes: [] };
  const n = span / bin;
  const rMin = LATTICE_PARAMS.rMin / bin;
  const rMax = LATTICE_PARAMS.rMax / bin;
  const win = new Float64Array(n * n);
  const x0 = (gw - span) >> 1;
  const y0 = (gh - span) >> 1;
  for (let y = 0; y < span; y++) {
    const o = (y + y0) * gw + x0;
    const r = Math.floor(y / bin) * n;
    if (bin === 1) for (let x = 0; x < span; x++) win[r + x] = win[r + x]! + white[o + x]!;
    else for (let x = 0; x < span; x++) win[r + Math.floor(x / bin)] = win[r + Math.floor(x / bin)]! + white[o + x]!;
  }
  const { flatRadius, flatBand, periodMin, periodMax } = LATTICE_PARAMS;
  // the flattened spectrum reaches no further than flatBand[1] < n/4: its autocorrelation is taken at every other lag
  const [ac, flat] = autocorrelationAnd(win, n, n >> 1, (power) => halfSpectrum(flattenPower(power, n, Math.round(flatRadius / bin), [flatBand[0] / bin, flatBand[1] / bin]), n));
  const axes = axisMaps(flat, n >> 1, periodMin / (2 * bin), periodMax / (2 * bin), LATTICE_PARAMS.axes).map(({ m, z }) => ({ m: m.map((v) => v * 2 * bin) as unknown as Affine, z }));
  // n is a power of two (the transform's): a lag wraps by masking, negative ones too
  const mask = n - 1;
  const at = (dx: number, dy: number): number => ac[(dy & mask) * n + (dx & mask)]!;

  // the RMS over the annulus the vectors are looked for in, then its local maxima over twice that (one half-plane:
  // the autocorrelation is symmetric); checking every cell's neighbours cost as much as the transform
  let s2 = 0;
  let count = 0;
  for (let dy = -rMax; dy <= rMax; dy++) {
    for (let dx = 0; dx <= rMax; dx++) {
      const r2 = dx * dx + dy * dy;
      if (r2 < rMin * rMin || r2 > rMax * rMax) continue;
      const c = at(dx, dy);
      s2 += c * c;
      count++;
    }
  }
  const found: { v: Vec; z: number }[] = [];
  const floor = 2 * Math.sqrt(s2 / Math.max(1, count));
  for (let dy = -rMax; dy <= rMax; dy++) {
    for (let dx = dy < 0 ? 1 : 0; dx <= rMax; dx++) {
      const c = at(dx, dy);
      if (c < floor) continue;
      const r2 = dx * dx + dy * dy;
      if (r2 < rMin * rMin || r2 > rMax * rMax) continue;
      let isMax = true;
      for (let j = -1; j <= 1 && isMax; j++) for (let i = -1; i <= 1; i++) if ((i || j) && at(dx + i, dy + j) > c) isMax = false;
      if (isMax) found.push({ v: [dx, dy], z: c });
    }
  }
  const rms = Math.sqrt(s2 / Math.max(1, count)) || 1;
  found.sort((p, q) => q.z - p.z);
  const top = found.slice(0, keep).map((p) => ({ v: p.v, z: p.z / rms }));
  const zNear = (v: Vec): number => {
    if (Math.abs(v[0]) > n / 2 - 2 || Math.abs(v[1]) > n / 2 - 2) return NaN;
    let best = -Infinity;
    for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) best = Math.max(best, at(Math.round(v[0]) + i, Math.round(v[1]) + j));
    return best / rms;
  };

  const hyps: { a: Vec; b: Vec; z: number }[] = [];
  for (let i = 0; i < top.length; i++) {
    for (let j = i + 1; j < top.length; j++) {
      const a = top[i]!.v;
      for (const sb of [1, -1]) {
        const b: Vec = [sb * top[j]!.v[0], sb * top[j]!.v[1]];
        const la = Math.hypot(...a);
        const lb = Math.hypot(...b);
        if (Math.max(la, lb) / Math.min(la, lb) > maxRatio) continue;
        if (Math.abs(a[0] * b[0] + a[1] * b[1]) / (la * lb) > maxCos) continue;
        // the largest of the four is left out: a host texture's one strong period must not carry a lattice alone
        const zs = [top[i]!.z, top[j]!.z, zNear([a[0] + b[0], a[1] + b[1]]), zNear([a[0] - b[0], a[1] - b[1]])].filter((z) => !Number.isNaN(z)).sort((p, q) => p - q);
        if (zs.length > 2) zs.pop();
        hyps.push({ a, b, z: zs.reduce((s, z) => s + z, 0) / zs.length });
      }
    }
  }
  // a lattice's diagonals a ± b form a coarser lattice whose vectors are peaks as well (and, after an aspect change,
  // close enough to perpendicular to pass): when the half-diagonals are peaks too, the finer lattice is the tile's
  for (const h of hyps) {
    const fa: Vec = [(h.a[0] + h.b[0]) / 2, (h.a[1] + h.b[1]) / 2];
    const fb: Vec = [(h.a[0] - h.b[0]) / 2, (h.a[1] - h.b[1]) / 2];
    if (Math.min(Math.hypot(...fa), Math.hypot(...fb)) >= rMin && Math.min(zNear(fa), zNear(fb)) >= h.z / 2) [h.a, h.b] = [fa, fb];
  }
  hyps.sort((p, q) => q.z - p.z);
  // the same lattice comes up once per order and sign of its vectors, and its diagonals (a ± b) make a lattice of
  // their own: keep only hypotheses that share no vector with a better one
  const same = (u: Vec, v: Vec): boolean => Math.abs(Math.abs(u[0]) - Math.abs(v[0])) <= 1 && Math.abs(Math.abs(u[1]) - Math.abs(v[1])) <= 1 && Math.sign(u[0] * u[1]) === Math.sign(v[0] * v[1]);
  const family = (h: { a: Vec; b: Vec }): Vec[] => [h.a, h.b, [h.a[0] + h.b[0], h.a[1] + h.b[1]], [h.a[0] - h.b[0], h.a[1] - h.b[1]]];
  const distinct: typeof hyps = [];
  for (const h of hyps) {
    if (distinct.length === candidates) break;
    if (!distinct.some((g) => family(g).some((u) => family(h).some((v) => same(u, v))))) distinct.push(h);
  }
  const lattices = distinct.map(({ a, b, z }) => ({ m: canonical(...fitLattice(at, a, b, n).map((v) => [v[0] * bin, v[1] * bin] as Vec) as [Vec, Vec]), z }));
  return { lattices, axes };
}

/**
 * A power spectrum (autocorrelationAnd's layout: column kx = 0…n/2 after column, n rows ky each) flattened: each
 * frequency's power over the mean power of the (2r + 1)² frequencies around it, less 1, in the ring of radii
 * `band` (cycles per window), 0 elsewhere. The host's broad spectrum then weighs about the same at every frequency,
 * and the narrow peaks of a repeated tile stand out of it wherever they fall.
 */
export function flattenPower(power: Float64Array, n: number, r: number, band: readonly [number, number]): Float64Array {
  const h = (n >> 1) + 1;
  const mask = n - 1;
  const kMax = Math.min(h - 1, Math.floor(band[1]));
  const w = kMax + 1 + 2 * r;
  // the columns −r…kMax + r: a column past either end is the conjugate one's, P(kx, ky) = P(−kx, −ky)
  const ext = new Float64Array(w * n);
  for (let c = 0; c < w; c++) {
    const kx = c - r;
    const flip = kx < 0 || kx > n >> 1;
    const o = (kx < 0 ? -kx : kx > n >> 1 ? n - kx : kx) * n;
    for (let j = 0; j < n; j++) ext[c * n + j] = power[o + (flip ? (n - j) & mask : j)]!;
  }
  // box sums down each column (ky wraps), then across the columns
  const down = new Float64Array(w * n);
  for (let c = 0; c < w; c++) {
    const o = c * n;
    let sum = 0;
    for (let d = -r; d <= r; d++) sum += ext[o + (d & mask)]!;
    for (let j = 0; j < n; j++) {
      down[o + j] = sum;
      sum += ext[o + ((j + r + 1) & mask)]! - ext[o + ((j - r) & mask)]!;
    }
  }
  const out = new Float64Array(h * n);
  const lo2 = band[0] * band[0];
  const hi2 = band[1] * band[1];
  const area = (2 * r + 1) ** 2;
  // the running sum of 2r + 1 columns, column k's (2r + 1)² box around each of its frequencies
  const box = new Float64Array(n);
  for (let c = 0; c < 2 * r; c++) for (let j = 0; j < n; j++) box[j] = box[j]! + down[c * n + j]!;
  for (let k = 0; k <= kMax; k++) {
    const add = (k + 2 * r) * n;
    const o = k * n;
    for (let j = 0; j < n; j++) box[j] = box[j]! + down[add + j]!;
    for (let j = 0; j < n; j++) {
      const f = Math.min(j, n - j);
      const r2 = k * k + f * f;
      if (r2 >= lo2 && r2 <= hi2 && box[j]! > 0) out[o + j] = (power[o + j]! * area) / box[j]! - 1;
    }
    for (let j = 0; j < n; j++) box[j] = box[j]! - down[o + j]!;
  }
  return out;
}

/**
 * A half-plane spectrum of an n×n transform (flattenPower's layout) cut to the m = n/2 transform's frequencies
 * (|kx|, |ky| < n/4; those at n/4 are left at 0): its m×m inverse transform is the n×n one's at every other lag.
 */
function halfSpectrum(spec: Float64Array, n: number): Float64Array {
  const m = n >> 1;
  const q = m >> 1;
  const out = new Float64Array((q + 1) * m);
  for (let k = 0; k < q; k++) {
    for (let j = 0; j < q; j++) out[k * m + j] = spec[k * n + j]!;
    for (let j = 1; j < q; j++) out[k * m + m - j] = spec[k * n + n - j]!;
  }
  return out;
}

/**
 * Axis-aligned maps from the autocorrelation `ac` (n×n) of a flattened spectrum: periods px across and py down in
 * min…max cells, scored by the mean peak-to-RMS ratio at the lattice's lags (px, 0), (0, py), (px, py) and (px, −py)
 * (the last two the best of their 3×3 cells); the local maxima of that score over whole periods, best first, each as
 * the map [px / TILE, 0, 0, py / TILE] with its periods to a fraction of a cell (a parabola through the axis lags).
 */
export function axisMaps(ac: Float64Array, n: number, min: number, max: number, count: number): LatticeCandidate[] {
  const mask = n - 1;
  const at = (dx: number, dy: number): number => ac[(dy & mask) * n + (dx & mask)]!;
  const lo = Math.ceil(min);
  const hi = Math.min(Math.floor(max), (n >> 1) - 2);
  if (hi < lo) return [];
  // the RMS over the lags that the lattices' points fall on: one half-plane, from half the shortest period out
  let s2 = 0;
  let cnt = 0;
  for (let dy = -hi - 1; dy <= hi + 1; dy++) {
    const o = (dy & mask) * n;
    for (let dx = 0; dx <= hi + 1; dx++) {
      if (4 * (dx * dx + dy * dy) < min * min) continue;
      s2 += ac[o + dx]! * ac[o + dx]!;
      cnt++;
    }
  }
  const rms = Math.sqrt(s2 / Math.max(1, cnt)) || 1;
  const side = hi - lo + 1;
  // the best of each lag's 3×3 cells over the lags px = lo…hi, py = ±(lo…hi): a maximum across, then down
  const rows = 2 * (hi + 1) + 1;
  const across = new Float64Array(rows * side);
  for (let r = 0; r < rows; r++) {
    const o = ((r - hi - 1) & mask) * n + lo;
    for (let x = 0; x < side; x++) across[r * side + x] = Math.max(ac[o + x - 1]!, ac[o + x]!, ac[o + x + 1]!);
  }
  const near = (px: number, py: number): number => {
    const o = (py + hi + 1) * side + px - lo;
    return Math.max(across[o - side]!, across[o]!, across[o + side]!);
  };
  const score = new Float64Array(side * side);
  for (let py = lo; py <= hi; py++) {
    const down = at(0, py);
    for (let px = lo; px <= hi; px++) score[(py - lo) * side + px - lo] = (at(px, 0) + down + near(px, py) + near(px, -py)) / (4 * rms);
  }
  const found: { px: number; py: number; z: number }[] = [];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const z = score[y * side + x]!;
      let isMax = true;
      for (let j = -1; j <= 1 && isMax; j++) {
        for (let i = -1; i <= 1; i++) {
          const [xx, yy] = [x + i, y + j];
          if ((i || j) && xx >= 0 && yy >= 0 && xx < side && yy < side && score[yy * side + xx]! > z) {
            isMax = false;
            break;
          }
        }
      }
      if (isMax) found.push({ px: x + lo, py: y + lo, z });
    }
  }
  found.sort((p, q) => q.z - p.z);
  const vertex = (l: number, c: number, r: number): number => {
    const d = l - 2 * c + r;
    return d < 0 ? Math.max(-0.5, Math.min(0.5, (l - r) / (2 * d))) : 0;
  };
  return found.slice(0, count).map(({ px, py, z }) => ({
    m: [(px + vertex(at(px - 1, 0), at(px, 0), at(px + 1, 0))) / TILE, 0, 0, (py + vertex(at(0, py - 1), at(0, py), at(0, py + 1))) / TILE] as Affine,
    z,
  }));
}

/** Sub-cell position of the autocorrelation's maximum near v: the best of its 3×3 cells, then a parabola per axis. */
function peakNear(at: (dx: number, dy: number) => number, v: Vec): Vec {
  let bx = Math.round(v[0]);
  let by = Math.round(v[1]);
  let best = -Infinity;
  const [cx, cy] = [bx, by];
  for (let j = -1; j <= 1; j++) {
    for (let i = -1; i <= 1; i++) {
      const c = at(cx + i, cy + j);
      if (c > best) [best, bx, by] = [c, cx + i, cy + j];
    }
  }
  const vertex = (l: number, c: number, r: number): number => {
    const d = l - 2 * c + r;
    return d < 0 ? Math.max(-0.5, Math.min(0.5, (l - r) / (2 * d))) : 0;
  };
  return [bx + vertex(at(bx - 1, by), best, at(bx + 1, by)), by + vertex(at(bx, by - 1), best, at(bx, by + 1))];
}

/**
 * Least-squares lattice vectors from the sub-cell peaks at a, b, a + b and a − b (those inside the window's
 * unambiguous half): four measurements of two vectors, so one peak's error counts for about half.
 */
function fitLattice(at: (dx: number, dy: number) => number, a: Vec, b: Vec, n: number): [Vec, Vec] {
  const obs: [number, number, Vec][] = [];
  for (const [p, q] of [[1, 0], [0, 1], [1, 1], [1, -1]] as const) {
    const v: Vec = [p * a[0] + q * b[0], p * a[1] + q * b[1]];
    if (Math.abs(v[0]) > n / 2 - 2 || Math.abs(v[1]) > n / 2 - 2) continue;
    obs.push([p, q, peakNear(at, v)]);
  }
  let spp = 0, spq = 0, sqq = 0;
  const sp: Vec = [0, 0];
  const sq: Vec = [0, 0];
  for (const [p, q, v] of obs) {
    spp += p * p; spq += p * q; sqq += q * q;
    for (const k of [0, 1] as const) {
      sp[k] += p * v[k];
      sq[k] += q * v[k];
    }
  }
  const det = spp * sqq - spq * spq;
  const out: [Vec, Vec] = [[0, 0], [0, 0]];
  for (const k of [0, 1] as const) {
    out[0][k] = (sqq * sp[k] - spq * sq[k]) / det;
    out[1][k] = (spp * sq[k] - spq * sp[k]) / det;
  }
  return out;
}

/**
 * The map that sends the tile's sides (TILE, 0) and (0, TILE) to the lattice vectors, choosing among the lattice's
 * equivalent bases (±a, ±b, swapped) the one closest to no rotation: the side across is the vector pointing most to
 * the right, the side down the other one turned to point down.
 */
function canonical(a: Vec, b: Vec): Affine {
  const all: Vec[] = [a, [-a[0], -a[1]], b, [-b[0], -b[1]]];
  const across = all.reduce((p, q) => (q[0] / Math.hypot(...q) > p[0] / Math.hypot(...p) ? q : p));
  const other = across === all[0] || across === all[1] ? b : a;
  const down: Vec = other[1] >= 0 ? other : [-other[0], -other[1]];
  return [across[0] / TILE, down[0] / TILE, across[1] / TILE, down[1] / TILE];
}

