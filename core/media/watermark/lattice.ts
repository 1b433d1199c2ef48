// The geometry from the mark's own periodicity (Kutter, "Watermarking resisting to translation, rotation, and
// scaling", SPIE 1998): the whole tile — payload slots as well as sync slots — repeats every TILE cells of the
// embedded grid, so the autocorrelation of the whitened grid peaks on the lattice that the tile's two sides are
// mapped to. Two lattice vectors give the linear map from the embedded grid to the grid at hand in one step, whatever
// it is: a rotation of any angle up to ±45°, a crop's magnification, an aspect change, a shear, or a mix of them. The
// sync correlation then finds the offset, and tells a mirrored copy from a straight one (extract.ts). A square
// lattice looks the same mirrored or turned by 90°, so the map is taken as the one closest to no rotation.

import { autocorrelation } from './fft.ts';
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
  const { span, bin, peaks: keep, candidates, maxCos, maxRatio } = LATTICE_PARAMS;
  if (gw < span || gh < span) return [];
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
  const ac = autocorrelation(win, n);
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
  return distinct.map(({ a, b, z }) => ({ m: canonical(...fitLattice(at, a, b, n).map((v) => [v[0] * bin, v[1] * bin] as Vec) as [Vec, Vec]), z }));
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

