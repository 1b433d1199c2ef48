// Extraction: luminance → working grid → whitening (local mean removed, local contrast normalised, so busy areas
// where the mask put a strong mark do not drown the rest) → fold onto one tile under candidate geometries → sync
// correlation finds the tile offset → read the payload slots → soft Viterbi.

import type { Extraction, Raster } from './codec.ts';
import { blockDct } from './dct.ts';
import { circularCorrelation, spectrum } from './fft.ts';
import { CODED_BITS, LAYOUT, PAYLOAD_BITS, SLOTS, TILE } from './layout.ts';
import { viterbiDecode } from './conv.ts';
import { bitsToBytes, fold, gridDims, highPass, localRms } from './grid.ts';
import { lumaToGrid } from './resample.ts';

export const EXTRACT_PARAMS = {
  hpRadius: 2,
  normRadius: 6,
  /** unmarked photos score ≤ 5.5 after the geometry search (max over ~30 geometries × 4096 offsets) */
  threshold: 7,
  minSide: 96,
  /** a sync score at identity geometry this high cannot be chance: skip the geometry search */
  clearHit: 12,
};

const SYNC_SPECTRUM = spectrum(LAYOUT.syncPattern, TILE);

/** The whitening as a high-pass residual and a per-position weight: white = hp · weight. */
export function whitening(grid: Float32Array, gw: number, gh: number): { hp: Float32Array; weight: Float32Array } {
  const hp = highPass(grid, gw, gh, EXTRACT_PARAMS.hpRadius);
  const weight = localRms(hp, gw, gh, EXTRACT_PARAMS.normRadius);
  for (let i = 0; i < weight.length; i++) weight[i] = 1 / (weight[i]! + 1);
  return { hp, weight };
}

export function whiten(grid: Float32Array, gw: number, gh: number): Float32Array {
  const { hp, weight } = whitening(grid, gw, gh);
  for (let i = 0; i < hp.length; i++) hp[i] = hp[i]! * weight[i]!;
  return hp;
}

export interface SyncHit {
  scale: number;
  angle: number;
  dx: number;
  dy: number;
  z: number;
  tile: Float64Array;
}

export function syncSearch(tile: Float64Array): { dx: number; dy: number; z: number } {
  const c = circularCorrelation(tile, SYNC_SPECTRUM, TILE);
  let best = 0;
  let bi = 0;
  let s2 = 0;
  for (let i = 0; i < c.length; i++) {
    const v = c[i]!;
    s2 += v * v;
    if (v > best) {
      best = v;
      bi = i;
    }
  }
  const sd = Math.sqrt(s2 / c.length);
  return { dx: bi % TILE, dy: Math.floor(bi / TILE), z: sd > 0 ? best / sd : 0 };
}

/** Every slot's value in a folded tile whose pattern origin is at (dx, dy), signed by the slot's sign. */
export function readSlots(tile: Float64Array, dx: number, dy: number): Float64Array {
  const aligned = new Float64Array(TILE * TILE);
  const m = TILE - 1;
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) aligned[y * TILE + x] = tile[((y + dy) & m) * TILE + ((x + dx) & m)]!;
  }
  const coef = blockDct(aligned, TILE);
  const { pos, sign } = LAYOUT;
  const out = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) out[k] = sign[k]! * coef[pos[k]!]!;
  return out;
}

/** Soft value per coded bit: the sum of its slots. */
export function readSoft(tile: Float64Array, dx: number, dy: number): Float64Array {
  const slots = readSlots(tile, dx, dy);
  const soft = new Float64Array(CODED_BITS);
  const { bit } = LAYOUT;
  for (let k = 0; k < SLOTS; k++) {
    const b = bit[k]!;
    if (b >= 0) soft[b] = soft[b]! + slots[k]!;
  }
  return soft;
}

const DEG = Math.PI / 180;

/**
 * Coarse geometry candidates (magnification, rotation). Folding the whole grid stays coherent within about ±0.5 %
 * of scale and ±0.3° of rotation (measured); folding only the central COARSE_HALF·2 square doubles that tolerance,
 * so the coarse grid steps by 2 % and 1° over that square, and the best few are refined on the whole grid.
 * Magnification covers crops down to ~60 % of the area (a crop enlarges the content on the working grid) and
 * slight enlargements; rotation covers ±3°.
 */
const COARSE_HALF = 128;
const CANDIDATES: ReadonlyArray<readonly [number, number]> = (() => {
  const out: [number, number][] = [];
  for (let s = 0.98; s <= 1.3; s *= 1.02) out.push([s, 0]);
  for (const a of [1, 2, 3]) out.push([1, a * DEG], [1, -a * DEG]);
  return out;
})();

function tryGeometry(white: Float32Array, gw: number, gh: number, scale: number, angle: number, half = Infinity): SyncHit {
  const tile = fold(white, gw, gh, TILE, scale, angle, half);
  return { scale, angle, ...syncSearch(tile), tile };
}

function refine(white: Float32Array, gw: number, gh: number, start: SyncHit): SyncHit {
  let best = start;
  for (const [ds, da] of [[0.01, 0.5 * DEG], [0.005, 0.25 * DEG], [0.0025, 0.12 * DEG]] as const) {
    let improved = true;
    while (improved) {
      improved = false;
      const { scale, angle } = best;
      for (const [s, a] of [[scale * (1 + ds), angle], [scale * (1 - ds), angle], [scale, angle + da], [scale, angle - da]] as const) {
        const hit = tryGeometry(white, gw, gh, s, a);
        if (hit.z > best.z) {
          best = hit;
          improved = true;
        }
      }
    }
  }
  return best;
}

/** Best geometry: early exit on a clear hit at identity, else a coarse search, then local refinement. */
export function findSync(white: Float32Array, gw: number, gh: number): SyncHit {
  const identity = tryGeometry(white, gw, gh, 1, 0);
  if (identity.z >= EXTRACT_PARAMS.clearHit) return identity;
  const coarse = CANDIDATES.map(([s, a]) => tryGeometry(white, gw, gh, s, a, COARSE_HALF)).sort((x, y) => y.z - x.z);
  let best = identity;
  for (const c of coarse.slice(0, 3)) {
    const full = tryGeometry(white, gw, gh, c.scale, c.angle);
    const hit = refine(white, gw, gh, full);
    if (hit.z > best.z) best = hit;
  }
  return best;
}

export function extractFrom(img: Raster): Extraction {
  const threshold = EXTRACT_PARAMS.threshold;
  if (Math.min(img.width, img.height) < EXTRACT_PARAMS.minSide) return { detected: false, payload: null, score: 0, threshold };
  const { gw, gh } = gridDims(img.width, img.height);
  const white = whiten(lumaToGrid(img, gw, gh), gw, gh);
  const best = findSync(white, gw, gh);
  if (best.z < threshold) return { detected: false, payload: null, score: best.z, threshold };
  const soft = readSoft(best.tile, best.dx, best.dy);
  const bits = viterbiDecode(soft, PAYLOAD_BITS);
  return { detected: true, payload: bitsToBytes(bits), score: best.z, threshold };
}
