// Extraction: luminance → working grid → whitening (local mean removed, local contrast normalised, so busy areas
// where the mask put a strong mark do not drown the rest) → fold onto one tile → sync correlation → at the strongest
// sync peaks, read the payload slots, soft Viterbi, CRC check (where the sync score is high and no maximum-likelihood
// reading passes, the next best paths of a list Viterbi decoder too) → only if no reading passes, the same under
// candidate scales and rotations (crops, rotations).

import type { Extraction, Raster } from './codec.ts';
import { blockDctShifted } from './dct.ts';
import { circularCorrelation, circularCorrelationTwo, correlationPeaksPairTwo, spectrum } from './fft.ts';
import { CODED_BITS, COEFFS, LAYOUT, MESSAGE_BITS, PAYLOAD_BITS, SLOTS, TILE, mirrorTile } from './layout.ts';
import { crcMatches } from './crc.ts';
import { viterbiDecode, viterbiList } from './conv.ts';
import { bitsToBytes, fold, foldAffine, gridDims, highPass, inverseRms15, localRms, multiplyInto, sealGrid, type Affine } from './grid.ts';
import { latticeSearch } from './lattice.ts';
import { AspectFolds } from './aspect.ts';
import { planeSearch } from './plane.ts';
import { lumaToGrid } from './resample.ts';
import { runningPixelPool, type PixelPool } from '../pixel-pool.ts';
import { isMainThread } from 'node:worker_threads';

export const EXTRACT_PARAMS = {
  hpRadius: 2,
  normRadius: 6,
  /** sync peak ratio that proves a mark by itself: unmarked photos score ≤ 5.5 after the geometry search */
  threshold: 7,
  minSide: 96,
  /** a sync score at identity geometry this high cannot be chance: skip the geometry search */
  clearHit: 12,
  /**
   * when no coarse candidate's sync score reaches this, none is refined: measured over the bench photos (19 skimage
   * images with 3 payloads each, 4 of 12–20 MP with one; every attack), the best coarse candidate of an unmarked image scored at
   * most 5.3, that of a marked image whose mark was not read at identity (crops, rotations) at least 6.3. The
   * refinement is most of an unmarked image's extraction time; a mark it would have found scores far over this.
   */
  searchFloor: 5.5,
  /**
   * lattices (lattice.ts) whose autocorrelation peaks score under this are not folded. Unmarked photos give 1.8–3.7,
   * but a marked copy after a lossy chain can give as little (and its lattice is then still often the right one),
   * so this only drops the hopeless ones; the sync peak and the CRC at the lattice's geometry decide.
   */
  latticeFloor: 2,
  /** coarse magnifications folded again over the whole grid when no candidate reached searchFloor (readUnderFloor) */
  underFloor: 2,
  /** the whole-grid sync score at which such a candidate is decoded: its other candidates measured 3.6–5.1 */
  wholeFloor: 6,
  /**
   * the best coarse candidate, when it is a rotation scoring this much on the central square (under searchFloor),
   * is folded over the whole grid too and decoded there, whatever that fold's score (readUnderFloor): a weak mark
   * after rotate5+resize75+jpeg75 of chelsea.png scored 5.4 on the square, 5.9 on the whole grid, and read
   */
  turnUnderFloor: 5.2,
  /** a refinement whose geometry does not read also reads the coarse candidate it started from (refine) */
  readStart: true,
  /** sync peaks whose reading is decoded and checked against its CRC: at identity, and at each refined geometry */
  verify: 8,
  verifyRefined: 4,
  /**
   * List decoding (conv.ts, viterbiList): at a geometry whose best sync peak reaches listFloor and where no peak's
   * maximum-likelihood reading passed its CRC, the `list` best paths of each reading are tried in metric order and the
   * first that passes is taken; `listProven` of them where that peak reaches `threshold`, i.e. where the sync pattern
   * alone already proves a mark. Each path is one more CRC-24 chance (2^-24), so the list runs only where the sync
   * score is high: unmarked images score at most 6.2 in the bench, and few of them reach listFloor. 1 = off.
   */
  list: 64,
  listFloor: 6,
  listProven: 1024,
  /** the deep search's (deepSearch): the best maps of the aspect-and-crop plane kept, of which the first that reach searchFloor are refined */
  deepPlane: 3,
  /** slot weightings tried in turn at each candidate offset (readSoft) */
  weightings: ['flat', 'mrc'] as Weighting[],
  /** slot values are clipped at this multiple of their RMS: host leftovers and quantisation have heavy tails */
  clip: 1.5,
};

const SYNC_SPECTRUM = spectrum(LAYOUT.syncPattern, TILE);

// A mirrored copy folds to a mirrored tile: correlating with the mirrored sync pattern finds it in the same pass
const SYNC_MIRRORED = spectrum(mirrorTile(LAYOUT.syncPattern), TILE);

/** The whitening as a high-pass residual and a per-position weight: white = hp · weight. */
export function whitening(grid: Float32Array, gw: number, gh: number): { hp: Float32Array; weight: Float32Array } {
  const hp = highPass(grid, gw, gh, EXTRACT_PARAMS.hpRadius);
  const weight = localRms(hp, gw, gh, EXTRACT_PARAMS.normRadius);
  // 1/σ^1.5 rather than plain whitening's 1/σ (σ the local RMS): the mark grows about as √σ with the mask, so the
  // optimal combining weight (signal/noise²) falls as σ^-1.5; measured +10 % coded-bit SNR after resize50 and blur1
  inverseRms15(weight, gw);
  return { hp, weight };
}

export function whiten(grid: Float32Array, gw: number, gh: number): Float32Array {
  const { hp, weight } = whitening(grid, gw, gh);
  multiplyInto(hp, weight, gw);
  return hp;
}

export interface SyncHit {
  scale: number;
  angle: number;
  dx: number;
  dy: number;
  z: number;
  /** the folded tile, mirrored back when the copy was mirrored, so that the pattern sits at (dx, dy) */
  tile: Float64Array;
  /** a general map from the lattice search, which then stands instead of scale and angle */
  m?: Affine;
  mirrored?: boolean;
  /** the payload, when the reading at (dx, dy) passed its CRC */
  payload: Uint8Array | null;
}

/** Sync correlation of a folded tile: the surface and its RMS. */
function syncSurface(tile: Float64Array): { c: Float64Array; sd: number } {
  return withSd(circularCorrelation(tile, SYNC_SPECTRUM, TILE));
}

function withSd(c: Float64Array): { c: Float64Array; sd: number } {
  let s2 = 0;
  for (let i = 0; i < c.length; i++) s2 += c[i]! * c[i]!;
  return { c, sd: Math.sqrt(s2 / c.length) };
}

/** Indices of the k largest values of `c`, largest first. */
function topK(c: Float64Array, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < c.length; i++) {
    if (idx.length === k && c[i]! <= c[idx[k - 1]!]!) continue;
    let j = idx.length < k ? idx.length : k - 1;
    while (j > 0 && c[idx[j - 1]!]! < c[i]!) {
      idx[j] = idx[j - 1]!;
      j--;
    }
    idx[j] = i;
  }
  return idx;
}

export function syncSearch(tile: Float64Array): { dx: number; dy: number; z: number } {
  const { c, sd } = syncSurface(tile);
  const bi = topK(c, 1)[0]!;
  return { dx: bi % TILE, dy: Math.floor(bi / TILE), z: sd > 0 ? c[bi]! / sd : 0 };
}
/** Every slot's value in a folded tile whose pattern origin is at (dx, dy), signed by the slot's sign. */
export function readSlots(tile: Float64Array, dx: number, dy: number): Float64Array {
  const coef = blockDctShifted(tile, TILE, dx, dy);
  const { pos, sign } = LAYOUT;
  const out = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) out[k] = sign[k]! * coef[pos[k]!]!;
  return out;
}

export type Weighting = 'flat' | 'mrc';

/**
 * Soft value per coded bit: its slots' sum, slot values clipped at clip·RMS. With 'mrc', each slot is weighted by
 * the reliability of its DCT frequency (maximum-ratio combining): attacks hit frequencies unevenly (JPEG, blur and
 * downscaling wipe the higher ones first), so the weights are measured on this very tile, the mean of a frequency's
 * sync slots (known sign) being its signal and the spread of all its slots about it its noise; weight =
 * signal / noise². The estimates are noisy (24–32 sync slots per frequency), so 'mrc' is a second attempt after
 * 'flat', not a replacement: alone it lost more readings than it saved; as a fallback it rescued resize50 on coins.
 */
export function readSoft(tile: Float64Array, dx: number, dy: number, mrc: Weighting = 'flat'): Float64Array {
  return softOfSlots(readSlots(tile, dx, dy), mrc);
}

/** readSoft from the slots already read (they are clipped in place). */
function softOfSlots(slots: Float64Array, mrc: Weighting): Float64Array {
  const nc = COEFFS.length;
  const { bit } = LAYOUT;
  const sig = new Float64Array(nc);
  const nSync = new Float64Array(nc);
  for (let k = 0; k < SLOTS; k++) {
    if (bit[k]! >= 0) continue;
    sig[k % nc] = sig[k % nc]! + slots[k]!;
    nSync[k % nc] = nSync[k % nc]! + 1;
  }
  for (let c = 0; c < nc; c++) sig[c] = Math.max(0, sig[c]! / Math.max(1, nSync[c]!));
  // noise about the signal: sync slots about +signal, data slots (sign unknown) by their magnitude about it, which
  // avoids the cancellation of E[x²] − signal² when the signal dominates
  const dev = new Float64Array(nc);
  const n = new Float64Array(nc);
  for (let k = 0; k < SLOTS; k++) {
    const c = k % nc;
    const d = (bit[k]! < 0 ? slots[k]! : Math.abs(slots[k]!)) - sig[c]!;
    dev[c] = dev[c]! + d * d;
    n[c] = n[c]! + 1;
  }
  const w = new Float64Array(nc);
  for (let c = 0; c < nc; c++) {
    const noise = dev[c]! / n[c]! + 1e-3 * sig[c]! * sig[c]! + 1e-12;
    w[c] = mrc === 'mrc' ? sig[c]! / noise : 1;
  }
  const clip = EXTRACT_PARAMS.clip;
  if (clip > 0) {
    let s2 = 0;
    for (let k = 0; k < SLOTS; k++) s2 += slots[k]! * slots[k]!;
    const t = clip * Math.sqrt(s2 / SLOTS);
    for (let k = 0; k < SLOTS; k++) slots[k] = Math.max(-t, Math.min(t, slots[k]!));
  }
  const soft = new Float64Array(CODED_BITS);
  for (let k = 0; k < SLOTS; k++) {
    const b = bit[k]!;
    if (b >= 0) soft[b] = soft[b]! + w[k % nc]! * slots[k]!;
  }
  return soft;
}

const DEG = Math.PI / 180;

/**
 * Coarse geometry candidates: magnification across and down and rotation. Folding the whole grid stays coherent
 * within about ±0.5 % of scale and ±0.3° of rotation (measured); folding only the central COARSE_HALF·2 square widens
 * that tolerance, so the coarse grid steps by 1.25 % and 1° over that square (3×3 tiles: with 2 % steps and a
 * 2×2-tile square, crop10 and crop25 of textured photos were missed), and the best few are refined on the whole grid.
 * Magnification covers crops down to ~47 % of the area (a crop enlarges the content on the working grid; 60 % before
 * issue 23's crop50) and slight enlargements; rotation covers ±10° (±3° before issue 23: rotate5 of textured photos,
 * grass, gravel, the Hubble field, was found by these folds and not by the lattice search). Aspect changes: the grid
 * is tied to the short side, so a copy squeezed or stretched along one side keeps the scale of one axis and changes
 * the other's; ±13 % along either axis, 1.5 % apart (one axis off by 0.75 % still folds coherently). These are what
 * finds a heavy crop or an aspect change where the host's texture hides the lattice (lattice.ts) from the
 * autocorrelation. Each tile is correlated with the sync pattern and its mirror image.
 */
export const COARSE_HALF = 192;
export interface Candidate {
  /** magnification across and down */
  sx: number;
  sy: number;
  angle: number;
}
export const CANDIDATES: ReadonlyArray<Candidate> = (() => {
  const out: Candidate[] = [];
  for (let s = 0.98; s <= 1.46; s *= 1.0125) out.push({ sx: s, sy: s, angle: 0 });
  for (let a = 1; a <= 10; a++) out.push({ sx: 1, sy: 1, angle: a * DEG }, { sx: 1, sy: 1, angle: -a * DEG });
  for (let s = 0.87; s <= 1.15; s *= 1.015) if (Math.abs(s - 1) > 0.01) out.push({ sx: s, sy: 1, angle: 0 }, { sx: 1, sy: s, angle: 0 });
  return out;
})();

/** A candidate's fold over the central square (an aspect change's through AspectFolds, the same sums), in `out` if given. */
export function foldCandidate(white: Float32Array, gw: number, gh: number, c: Candidate, aspect: AspectFolds, out?: Float64Array): Float64Array {
  if (c.sx === c.sy) return fold(white, gw, gh, TILE, c.sx, c.angle, COARSE_HALF, out);
  return c.sy === 1 ? aspect.across(c.sx, out) : c.sx === 1 ? aspect.down(c.sy, out) : foldAffine(white, gw, gh, TILE, [c.sx, 0, 0, c.sy], COARSE_HALF, out);
}

/**
 * The payload read at offset (dx, dy) of a folded tile, or null when its CRC does not match; with `list` > 1, the
 * first of each weighting's `list` best paths (viterbiList) whose CRC matches.
 */
function decodeAt(tile: Float64Array, dx: number, dy: number, list = 1): Uint8Array | null {
  const slots = readSlots(tile, dx, dy);
  for (const mrc of EXTRACT_PARAMS.weightings) {
    const soft = softOfSlots(Float64Array.from(slots), mrc);
    if (list <= 1) {
      listStats.decodes++;
      const bits = viterbiDecode(soft, MESSAGE_BITS);
      if (crcMatches(bits)) return bitsToBytes(bits.subarray(0, PAYLOAD_BITS));
      continue;
    }
    let n = 0;
    for (const { bits } of viterbiList(soft, MESSAGE_BITS)) {
      listStats.paths++;
      if (crcMatches(bits)) {
        listStats.hits++;
        listStats.lastRank = n;
        return bitsToBytes(bits.subarray(0, PAYLOAD_BITS));
      }
      if (++n >= list) break;
    }
  }
  return null;
}

/**
 * CRC-24 chances taken in this process (benchmarks): maximum-likelihood decodes checked, readings list-decoded and
 * the paths they tried, list hits and the last one's rank in its list (0: the maximum-likelihood path).
 */
export const listStats = { decodes: 0, readings: 0, paths: 0, hits: 0, lastRank: -1 };

/**
 * The sync peak of a folded tile, straight and mirrored. With `verify` > 0, the payload is also decoded at that many
 * of the highest peaks of either: a weak mark's true offset is nearly always among them even when its peak does not
 * stand out, and the CRC tells it from chance.
 */
function syncOf(tile: Float64Array, verify: number, geometry: { scale: number; angle: number; m?: Affine }): SyncHit {
  const [c, cm] = circularCorrelationTwo(tile, SYNC_SPECTRUM, SYNC_MIRRORED, TILE);
  const sd = withSd(c).sd || 1;
  const sdm = withSd(cm).sd || 1;
  const k = Math.max(1, verify);
  const peaks = [...topK(c, k).map((i) => ({ i, z: c[i]! / sd, mirrored: false })), ...topK(cm, k).map((i) => ({ i, z: cm[i]! / sdm, mirrored: true }))];
  peaks.sort((p, q) => q.z - p.z);
  let flipped: Float64Array | undefined;
  // a peak of the mirrored surface at offset d is the straight pattern at −d in the mirrored-back tile
  const hitAt = ({ i, z, mirrored }: (typeof peaks)[number], payload: Uint8Array | null): SyncHit => {
    const dx = i % TILE;
    const dy = Math.floor(i / TILE);
    if (!mirrored) return { ...geometry, dx, dy, z, tile, payload };
    flipped ??= mirrorTile(tile);
    return { ...geometry, dx: (TILE - dx) & (TILE - 1), dy, z, tile: flipped, mirrored, payload };
  };
  for (let n = 0; n < Math.min(verify, peaks.length); n++) {
    const h = hitAt(peaks[n]!, null);
    const payload = decodeAt(h.tile, h.dx, h.dy);
    if (payload) return { ...h, payload };
  }
  // no maximum-likelihood reading passed: where the sync score is high, the same peaks list-decoded
  if (verify > 0 && EXTRACT_PARAMS.list > 1 && peaks[0]!.z >= EXTRACT_PARAMS.listFloor) {
    const list = peaks[0]!.z >= EXTRACT_PARAMS.threshold ? Math.max(EXTRACT_PARAMS.list, EXTRACT_PARAMS.listProven) : EXTRACT_PARAMS.list;
    for (let n = 0; n < Math.min(verify, peaks.length); n++) {
      const h = hitAt(peaks[n]!, null);
      listStats.readings++;
      const payload = decodeAt(h.tile, h.dx, h.dy, list);
      if (payload) return { ...h, payload };
    }
  }
  return hitAt(peaks[0]!, null);
}

/** Folds under one geometry (magnification and rotation) and finds the sync peak (syncOf). */
function tryGeometry(white: Float32Array, gw: number, gh: number, scale: number, angle: number, half = Infinity, verify = 0): SyncHit {
  return syncOf(fold(white, gw, gh, TILE, scale, angle, half), verify, { scale, angle });
}

/** The same under a general map (from the lattice search). */
function tryMap(white: Float32Array, gw: number, gh: number, m: Affine, verify = 0): SyncHit {
  const scale = Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2]));
  return syncOf(foldAffine(white, gw, gh, TILE, m), verify, { scale, angle: Math.atan2(m[2], m[0]), m });
}

/**
 * Hill-climbs a score from `start`: for each step in turn, moves to any neighbour (evaluated in order, each fold only
 * when asked) that scores higher, until none does. The sync score here; a payload's pattern score in match.ts.
 */
export function climb<H extends { z: number }, S>(start: H, steps: readonly S[], around: (h: H, step: S) => (() => H)[]): H {
  let best = start;
  for (const step of steps) {
    let improved = true;
    while (improved) {
      improved = false;
      for (const next of around(best, step)) {
        const hit = next();
        if (hit.z > best.z) {
          best = hit;
          improved = true;
        }
      }
    }
  }
  return best;
}

function refine(white: Float32Array, gw: number, gh: number, start: SyncHit): SyncHit {
  const steps = [[0.01, 0.5 * DEG], [0.005, 0.25 * DEG], [0.0025, 0.12 * DEG]] as const;
  const best = climb(start, steps, ({ scale, angle }, [ds, da]) =>
    ([[scale * (1 + ds), angle], [scale * (1 - ds), angle], [scale, angle + da], [scale, angle - da]] as const).map(([s, a]) => () => tryGeometry(white, gw, gh, s, a)),
  );
  if (best.payload) return best;
  const read = tryGeometry(white, gw, gh, best.scale, best.angle, Infinity, EXTRACT_PARAMS.verifyRefined);
  if (read.payload || !EXTRACT_PARAMS.readStart || (best.scale === start.scale && best.angle === start.angle)) return read;
  // the climb follows the sync score, which a weak mark's noise can tip a step off the map its payload reads at
  // (rotate5+resize75+jpeg75 of coins.png: 5.13° rather than 5°): the candidate it started from, read too
  const back = tryGeometry(white, gw, gh, start.scale, start.angle, Infinity, EXTRACT_PARAMS.verifyRefined);
  return back.payload ? back : read;
}

/** refine() for an aspect change (a coarse candidate with a map): the magnification across and down, each alone. */
function refineAspect(white: Float32Array, gw: number, gh: number, start: SyncHit): SyncHit {
  const best = climb(start, [0.01, 0.005, 0.0025], ({ m }, d) => {
    const [sx, , , sy] = m!;
    return ([[sx * (1 + d), 0, 0, sy], [sx * (1 - d), 0, 0, sy], [sx, 0, 0, sy * (1 + d)], [sx, 0, 0, sy * (1 - d)]] as const).map((n) => () => tryMap(white, gw, gh, n));
  });
  return best.payload ? best : tryMap(white, gw, gh, best.m!, EXTRACT_PARAMS.verifyRefined);
}

/** Candidates are folded and correlated two at a time: the coarse search's unit of work. */
export const COARSE_PAIRS = Math.ceil(CANDIDATES.length / 2);
/** Per candidate in a peaks array: the straight surface's peak value, RMS and offset, then the mirrored one's. */
const PEAK_FIGURES = 6;

/** Pair `i`'s two candidates folded over the central square and correlated; their peak figures go into `peaks`. */
function coarsePair(white: Float32Array, gw: number, gh: number, aspect: AspectFolds, pair: readonly [Float64Array, Float64Array], i: number, peaks: Float64Array, candidates: readonly Candidate[] = CANDIDATES): void {
  const a = 2 * i;
  foldCandidate(white, gw, gh, candidates[a]!, aspect, pair[0]);
  if (a + 1 < candidates.length) foldCandidate(white, gw, gh, candidates[a + 1]!, aspect, pair[1]);
  else pair[1].fill(0);
  // only each surface's peak and RMS: the surfaces themselves stay in the WebAssembly module
  const [ap, bp, aq, bq] = correlationPeaksPairTwo(pair[0], pair[1], SYNC_SPECTRUM, SYNC_MIRRORED, TILE);
  peaks.set([ap.value, ap.rms, ap.at, aq.value, aq.rms, aq.at, bp.value, bp.rms, bp.at, bq.value, bq.rms, bq.at], 2 * PEAK_FIGURES * i);
}

const foldPair = (): [Float64Array, Float64Array] => [new Float64Array(TILE * TILE), new Float64Array(TILE * TILE)];

/**
 * The coarse search shared with a pixel worker (pixel-pool.ts): the extractor offers it as soon as the grid is
 * whitened, so the worker folds candidates while this thread tries identity and the lattices. Pairs are claimed from
 * one counter (ctl[0]), so each is folded by one thread, whichever gets to it first; the worker marks each it has
 * done (ctl[1 + i] = 2) and wakes a waiting extractor. A worker that is busy, slow to start or gone only means this
 * thread folds more pairs itself: the figures are the same from either thread (the same code on the same grid), so
 * the hits are too.
 */
export interface CoarseShare {
  /** [next pair to claim, then per pair 2 once the worker has written it] */
  ctl: SharedArrayBuffer;
  /** PEAK_FIGURES per candidate, in candidate order */
  peaks: SharedArrayBuffer;
  /** the whitened grid */
  white: SharedArrayBuffer;
  gw: number;
  gh: number;
}

/** How long the extractor waits for a pair the worker claimed before folding it itself (a worker that died mid-pair). */
const SHARE_WAIT_MS = 2000;

let sharing = true;
/** Sharing off: the whole search on the calling thread (benchmarks compare the two; tests check they agree). */
export function useCoarseShare(on: boolean): void {
  sharing = on;
}

/**
 * Offers the coarse search to a worker of `pool`: by default the process's pool if something has started it (a desk or
 * a hub, whose large photos share their passes with it), from the main thread only (a worker thread that extracts,
 * such as a sign worker, already has a core of its own); null (search alone) otherwise. An extraction does not start
 * the pool itself: in a process that extracts once (`custody watermark extract`) a worker's start-up costs more than
 * its share of the search saves (measured: 0.090 → 0.100 s/MP through the command).
 */
export function offerCoarse(white: Float32Array, gw: number, gh: number, pool: PixelPool | null = sharing && isMainThread ? runningPixelPool() : null): CoarseShare | null {
  if (!pool) return null;
  const share: CoarseShare = {
    ctl: new SharedArrayBuffer(4 * (1 + COARSE_PAIRS)),
    peaks: new SharedArrayBuffer(8 * PEAK_FIGURES * 2 * COARSE_PAIRS),
    white: new SharedArrayBuffer(4 * white.length),
    gw,
    gh,
  };
  new Float32Array(share.white).set(white);
  // the answer carries nothing: the figures are in `peaks`; a failed worker only leaves its pairs to this thread
  pool.run({ kind: 'coarse', share }).catch(() => {});
  return share;
}

/** Ends an offer: the worker claims no more pairs (those it is folding are finished and ignored). */
function withdraw(share: CoarseShare | null): void {
  if (share) Atomics.store(new Int32Array(share.ctl), 0, COARSE_PAIRS);
}

/** The worker's side of an offer: claims and folds pairs until none is left. */
export function runCoarseShare(share: CoarseShare): void {
  const ctl = new Int32Array(share.ctl);
  let i = Atomics.add(ctl, 0, 1);
  if (i >= COARSE_PAIRS) return;
  const { gw, gh } = share;
  const white = sealGrid(new Float32Array(share.white));
  const aspect = new AspectFolds(white, gw, gh, TILE, COARSE_HALF);
  const pair = foldPair();
  const peaks = new Float64Array(share.peaks);
  for (; i < COARSE_PAIRS; i = Atomics.add(ctl, 0, 1)) {
    coarsePair(white, gw, gh, aspect, pair, i, peaks);
    Atomics.store(ctl, 1 + i, 2);
    Atomics.notify(ctl, 1 + i);
  }
}

/** Waits until the worker has written pair `i`; false when it has not within SHARE_WAIT_MS. */
function awaitPair(ctl: Int32Array, i: number): boolean {
  const until = performance.now() + SHARE_WAIT_MS;
  for (;;) {
    if (Atomics.load(ctl, 1 + i) === 2) return true;
    const left = until - performance.now();
    if (left <= 0) return false;
    Atomics.wait(ctl, 1 + i, 0, left);
  }
}

/**
 * Every coarse candidate folded over the central square and its sync peak found, best first; with `share`, together
 * with a pixel worker. The folds are made in two reused arrays: a hit's tile is folded again (the same sums, so the
 * same tile) only if asked for, which the search rarely does (the refinement folds anew on the whole grid).
 */
export function coarseSearch(white: Float32Array, gw: number, gh: number, share: CoarseShare | null = null, extra: readonly Candidate[] = []): SyncHit[] {
  const aspect = new AspectFolds(white, gw, gh, TILE, COARSE_HALF);
  const pair = foldPair();
  const peaks = share ? new Float64Array(share.peaks) : new Float64Array(PEAK_FIGURES * 2 * COARSE_PAIRS);
  if (!share) {
    for (let i = 0; i < COARSE_PAIRS; i++) coarsePair(white, gw, gh, aspect, pair, i, peaks);
  } else {
    const ctl = new Int32Array(share.ctl);
    const mine = new Uint8Array(COARSE_PAIRS);
    for (let i = Atomics.add(ctl, 0, 1); i < COARSE_PAIRS; i = Atomics.add(ctl, 0, 1)) {
      coarsePair(white, gw, gh, aspect, pair, i, peaks);
      mine[i] = 1;
    }
    for (let i = 0; i < COARSE_PAIRS; i++) if (!mine[i] && !awaitPair(ctl, i)) coarsePair(white, gw, gh, aspect, pair, i, peaks);
  }
  // extra candidates (the lattice search's axis-aligned maps) on this thread, after the shared ones
  const extraPeaks = new Float64Array(PEAK_FIGURES * 2 * Math.ceil(extra.length / 2));
  for (let i = 0; 2 * i < extra.length; i++) coarsePair(white, gw, gh, aspect, pair, i, extraPeaks, extra);
  const hits: SyncHit[] = [];
  for (let n = 0; n < CANDIDATES.length + extra.length; n++) {
    const own = n < CANDIDATES.length;
    const c = own ? CANDIDATES[n]! : extra[n - CANDIDATES.length]!;
    const o = PEAK_FIGURES * (own ? n : n - CANDIDATES.length);
    const figs = own ? peaks : extraPeaks;
    const geometry = c.sx === c.sy ? { scale: c.sx, angle: c.angle } : { scale: Math.sqrt(c.sx * c.sy), angle: c.angle, m: [c.sx, 0, 0, c.sy] as Affine };
    const z = figs[o]! / (figs[o + 1]! || 1);
    const zm = figs[o + 3]! / (figs[o + 4]! || 1);
    // a mirrored peak at d is the straight pattern at −d of the mirrored-back tile (syncOf)
    const flip = zm > z;
    const peak = flip ? figs[o + 5]! : figs[o + 2]!;
    let tile: Float64Array | undefined;
    hits.push({
      ...geometry,
      dx: flip ? (TILE - (peak % TILE)) & (TILE - 1) : peak % TILE,
      dy: Math.floor(peak / TILE),
      z: flip ? zm : z,
      get tile() {
        if (!tile) {
          const folded = foldCandidate(white, gw, gh, c, aspect);
          tile = flip ? mirrorTile(folded) : folded;
        }
        return tile;
      },
      ...(flip ? { mirrored: true } : {}),
      payload: null,
    });
  }
  return hits.sort((x, y) => y.z - x.z);
}

/**
 * The deep search (`custody watermark extract --deep`, `custody verify --deep`), after the quick one found no
 * payload: the aspect-and-crop plane (plane.ts), where a copy squeezed or stretched along one side and cropped as well
 * lies (a platform's reframing: `squeeze90+crop10+webp75` magnifies the axes 1.17 and 1.05), every map folded over
 * the whole grid; its best `deepPlane` maps that reach `searchFloor` are refined and read as the quick search's
 * aspect changes are, and only a reading whose CRC matches is taken. It costs about 0.3 s more on a photo that
 * carries no mark (docs/watermark.md), which is why it is asked for rather than run on every extraction.
 */
function deepSearch(white: Float32Array, gw: number, gh: number): SyncHit | null {
  const maps = planeSearch(white, gw, gh, EXTRACT_PARAMS.deepPlane);
  for (const c of maps) {
    if (c.z < EXTRACT_PARAMS.searchFloor) break;
    const hit = refineAspect(white, gw, gh, tryMap(white, gw, gh, [c.sx, 0, 0, c.sy]));
    if (hit.payload) return hit;
  }
  return null;
}

/**
 * The search every extraction runs: early exit on a verified or clear hit at identity, else the lattices, then a
 * coarse search and, when its best candidate stands out of the noise, local refinement of the best few.
 */
function quickSearch(white: Float32Array, gw: number, gh: number, share: CoarseShare | null): SyncHit {
  let identity = tryGeometry(white, gw, gh, 1, 0, Infinity, EXTRACT_PARAMS.verify);
  if (identity.payload || identity.z >= EXTRACT_PARAMS.clearHit) return identity;
  const { lattices, axes } = latticeSearch(white, gw, gh);
  for (const lat of lattices) {
    if (lat.z < EXTRACT_PARAMS.latticeFloor) break;
    const hit = tryMap(white, gw, gh, lat.m, EXTRACT_PARAMS.verifyRefined);
    if (hit.payload) return hit;
    if (hit.z > identity.z) identity = hit;
  }
  // the flattened spectrum's axis-aligned maps join the coarse candidates, folded over the same central square
  const coarse = coarseSearch(white, gw, gh, share, axes.map(({ m }) => ({ sx: m[0], sy: m[3], angle: 0 })));
  // nothing stands out of the noise: no refinement (the score is the best seen; a weak mark read at identity keeps
  // its identity reading, as the refinement would have left it)
  if (coarse[0]!.z < EXTRACT_PARAMS.searchFloor) {
    const read = readUnderFloor(white, gw, gh, coarse);
    if (read) return read;
    return coarse[0]!.z > identity.z ? coarse[0]! : identity;
  }
  let best = identity;
  for (const c of coarse.slice(0, 3)) {
    const hit = c.m ? refineAspect(white, gw, gh, tryMap(white, gw, gh, c.m)) : refine(white, gw, gh, tryGeometry(white, gw, gh, c.scale, c.angle));
    if (hit.payload) return hit;
    if (hit.z > best.z) best = hit;
  }
  return best;
}

/**
 * The best `underFloor` magnifications (a crop's or a resize's, no rotation or aspect change) among the coarse
 * candidates, when none reached the floor, folded once over the whole grid (no refinement) and read only where that
 * fold's sync peak reaches `wholeFloor`. A weak mark on a small copy (a reshare's 140–470 px) can score under the
 * floor on the central square and well over the noise on the whole grid: measured on reshare of the Hubble field,
 * the right magnification scored 4.7–5.0 on the square and 6.8–6.9 on the whole grid, where the other candidates'
 * whole-grid folds scored 3.6–5.1. Two folds of the whole grid and their correlations, without the decoding, are
 * what an unmarked image pays here (a magnification's fold is the cheapest of the whole-grid folds).
 */
function readUnderFloor(white: Float32Array, gw: number, gh: number, coarse: readonly SyncHit[]): SyncHit | null {
  const tries = coarse.filter((h) => !h.m && h.angle === 0).slice(0, EXTRACT_PARAMS.underFloor);
  const first = coarse[0]!;
  const turn = !first.m && first.angle !== 0 && first.z >= EXTRACT_PARAMS.turnUnderFloor;
  if (turn) tries.push(first);
  for (const c of tries) {
    const tile = fold(white, gw, gh, TILE, c.scale, c.angle);
    const geometry = { scale: c.scale, angle: c.angle };
    if (!(turn && c === first) && syncOf(tile, 0, geometry).z < EXTRACT_PARAMS.wholeFloor) continue;
    const read = syncOf(tile, EXTRACT_PARAMS.verifyRefined, geometry);
    if (read.payload) return read;
  }
  return null;
}

/**
 * The whitened working grid of `img` (from its luma grid when the caller has it), sealed: the WebAssembly folds keep
 * their own copy of it for the whole search (it is only read from here on).
 */
export function whiteGrid(img: Raster, lumaGrid?: Float32Array): WhiteGrid {
  const { gw, gh } = gridDims(img.width, img.height);
  return { white: sealGrid(whiten(lumaGrid ?? lumaToGrid(img, gw, gh), gw, gh)), gw, gh };
}

export interface WhiteGrid {
  white: Float32Array;
  gw: number;
  gh: number;
}

/**
 * One copy's whitened grid and what its searches found: `first` is the quick search's extraction (the deep one's too
 * when it was asked for at the start), `deeper()` the deep search's, run then on the same grid after the quick
 * search's result rather than from the pixels again (verify searches deeper on its own once the matching found
 * nothing: searchWatermark in core/provenance/image-signals.ts). The two are the same as extractFrom's without and
 * with `deep`. `grid` is null when the copy is too small to be searched.
 */
export interface GridReading {
  readonly first: Extraction;
  readonly grid: WhiteGrid | null;
  deeper(): Extraction;
}

export function readGrid(img: Raster, lumaGrid?: Float32Array, deep = false): GridReading {
  const threshold = EXTRACT_PARAMS.threshold;
  if (Math.min(img.width, img.height) < EXTRACT_PARAMS.minSide) {
    const none = { detected: false, payload: null, score: 0, threshold, checked: false };
    return { first: none, grid: null, deeper: () => none };
  }
  const grid = whiteGrid(img, lumaGrid);
  const { white, gw, gh } = grid;
  const share = offerCoarse(white, gw, gh);
  let found: SyncHit;
  try {
    found = quickSearch(white, gw, gh, share);
  } finally {
    withdraw(share);
  }
  let best = found;
  // a deep search takes only a reading whose CRC matched: its wider search must not raise the unchecked score
  if (deep && !found.payload) best = deepSearch(white, gw, gh) ?? found;
  const first = extractionOf(best);
  let deeper: Extraction | null = deep || found.payload ? first : null;
  return {
    first,
    grid,
    deeper() {
      if (deeper) return deeper;
      // another search may have handed its own grid to the WebAssembly folds since
      sealGrid(white);
      // `first` is the quick search's reading here: it stands where the deep search reads nothing
      const hit = deepSearch(white, gw, gh);
      deeper = hit ? extractionOf(hit) : first;
      return deeper;
    },
  };
}

export function extractFrom(img: Raster, lumaGrid?: Float32Array, deep = false): Extraction {
  return readGrid(img, lumaGrid, deep).first;
}

/** What a search's best hit reads as. */
function extractionOf(best: SyncHit): Extraction {
  const threshold = EXTRACT_PARAMS.threshold;
  // a CRC-verified reading counts as a detection whatever its sync peak: the score carries it over the threshold
  if (best.payload) return { detected: true, payload: best.payload, score: Math.max(0, best.z) + threshold, threshold, checked: true };
  if (best.z < threshold) return { detected: false, payload: null, score: best.z, threshold, checked: false };
  const bits = viterbiDecode(readSoft(best.tile, best.dx, best.dy), MESSAGE_BITS);
  return { detected: true, payload: bitsToBytes(bits.subarray(0, PAYLOAD_BITS)), score: best.z, threshold, checked: false };
}

/**
 * Extraction at a geometry known beforehand, without the search: the whole grid folded under `m` (foldAffine's map)
 * and decoded at the strongest sync peaks. bench:watermark --geometry reads each attacked copy at the map its attack
 * applied, which tells a mark that the search missed from one that is not there to read.
 */
export function extractAt(img: Raster, m: Affine): Extraction {
  const threshold = EXTRACT_PARAMS.threshold;
  const { white, gw, gh } = whiteGrid(img);
  const hit = tryMap(white, gw, gh, m, EXTRACT_PARAMS.verify);
  if (hit.payload) return { detected: true, payload: hit.payload, score: Math.max(0, hit.z) + threshold, threshold, checked: true };
  return { detected: false, payload: null, score: hit.z, threshold, checked: false };
}
