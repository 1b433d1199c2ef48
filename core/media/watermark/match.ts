// Matching a copy against known payloads: is the mark of one of these records in this picture?
//
// Blind extraction (extract.ts) must find the tile's geometry from the 384 sync slots alone and then read 152 message
// bits through the convolutional code; a copy that lost most of its mark (a reshare of a web-sized photo: crop,
// halve, JPEG 70, then WebP 75) keeps too little for either. A verifier that already has candidate records (the
// desk's records whose picture looks like the copy) asks a narrower question: does the tile of one known payload,
// its 2,688 coded slots, correlate with the copy? That is a matched filter over seven times the sync pattern's slots,
// one hypothesis per candidate, and at a reshare's map the record's pattern scores 8–35 times the RMS of its
// correlation surface where the sync pattern alone scores 4–6 (docs/watermark.md, "Matching known records").
//
// The search is the quick search's coarse one with each candidate's pattern for the sync pattern: the coarse
// rotations and aspect changes folded over the central square, plain magnifications over the whole grid, each fold
// correlated with every pattern (and its mirror image); the best pairs of candidate and geometry refined over the
// whole grid. A match is reported only when its whole-grid score reaches `threshold`, set over unmarked photographs
// and their transforms with decoy payloads (bench:watermark --match).

import type { Raster } from './codec.ts';
import { blockIdct } from './dct.ts';
import { correlationPeaksPair, correlationPeaksPairTwo, spectrum, type Spectrum, type SurfacePeak } from './fft.ts';
import { fold, foldAffine, sealGrid, type Affine } from './grid.ts';
import { LAYOUT, SLOTS, TILE, mirrorTile } from './layout.ts';
import { AspectFolds } from './aspect.ts';
import { CANDIDATES, COARSE_HALF, climb, foldCandidate, whiteGrid, EXTRACT_PARAMS, type Candidate, type WhiteGrid } from './extract.ts';
import { wantedSigns } from './embed.ts';

export const MATCH_PARAMS = {
  /** whole-grid score (peak over the RMS of the correlation surface) that reports a match */
  threshold: 8,
  /** pairs of candidate and coarse geometry refined over the whole grid (every candidate is scored at each) */
  refine: 2,
  /** at most this many candidate payloads are tried: each adds a chance of a false match (the threshold is set for this many) and cost */
  maxCandidates: 4,
  /** step between the plain magnifications (0.98–1.46) folded over the whole grid */
  wholeStep: 0.0125,
  /**
   * when no pair of candidate and coarse geometry scores this much, none is refined (the refinement is most of a
   * matching's time): measured (2026-12-05) over copies blind extraction missed (reshare, the squeeze and rotation
   * chains; 15 photographs × 3 payloads, each matched against its own payload among three decoys), the 32 matched
   * scored 7.44–16.04 at the coarse geometries and gained 0.0–4.7 in the refinement (reshares 0.0–1.4), the 31 not
   * matched 5.00–6.49; 228 unmarked images against four decoys 4.83–6.56 (median 5.27). As extraction's searchFloor.
   */
  refineFloor: 5.5,
};

export interface WatermarkMatch {
  /** index of the matching payload in the candidates given */
  index: number;
  /** its whole-grid score */
  z: number;
  /** the map (foldAffine's) under which it matched */
  m: Affine;
  mirrored: boolean;
}

/** What matchWatermark measured for each candidate, matched or not (benchmarks, diagnostics). */
export interface MatchScores {
  match: WatermarkMatch | null;
  /**
   * the best score of each candidate, in the order given: over the whole grid at the refined maps, or, where no pair
   * reached MATCH_PARAMS.refineFloor (nothing refined), at the coarse geometries
   */
  scores: number[];
  /** whether any pair was refined (some pair reached MATCH_PARAMS.refineFloor) */
  refined: boolean;
}

/** The spatial tile of a payload's coded slots as the embedder wants them (the sync slots left out), unit energy. */
export function payloadPattern(payload: Uint8Array): Float64Array {
  const want = wantedSigns(payload);
  const coef = new Float64Array(TILE * TILE);
  // the coded slots only: the sync slots are every mark's, so a copy strongly marked for another record would score
  // on them (a decoy scored 7.5 on a copy whose own mark scored 36 with them)
  for (let k = 0; k < SLOTS; k++) if (LAYOUT.bit[k]! >= 0) coef[LAYOUT.pos[k]!] = LAYOUT.sign[k]! * want[k]!;
  const p = blockIdct(coef, TILE);
  let e = 0;
  for (let i = 0; i < p.length; i++) e += p[i]! * p[i]!;
  e = Math.sqrt(e) || 1;
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / e;
  return p;
}

type Score = { z: number; mirrored: boolean };

const DEG = Math.PI / 180;
const mapOf = (c: Candidate): Affine => {
  const cs = Math.cos(c.angle);
  const sn = Math.sin(c.angle);
  return [c.sx * cs, -c.sx * sn, c.sy * sn, c.sy * cs];
};

const better = (a: SurfacePeak, m: SurfacePeak): Score => {
  const z = a.value / (a.rms || 1);
  const zm = m.value / (m.rms || 1);
  return zm > z ? { z: zm, mirrored: true } : { z, mirrored: false };
};

/**
 * A fold's best score against each of two patterns (spectra `p`, `q`), straight or mirrored: the tile and its mirror
 * image correlated with both in one call (a mirrored copy's tile mirrored back correlates with the pattern as the
 * tile does with the mirrored pattern, the same surface permuted).
 */
function scoreTwo(tile: Float64Array, p: Spectrum, q: Spectrum): [Score, Score] {
  const [ap, mp, aq, mq] = correlationPeaksPairTwo(tile, mirrorTile(tile), p, q, TILE);
  return [better(ap, mp), better(aq, mq)];
}

/** A fold's best score against one pattern (spectrum `p`), straight or mirrored. */
function scoreOne(tile: Float64Array, p: Spectrum): Score {
  const [a, m] = correlationPeaksPair(tile, mirrorTile(tile), p, TILE);
  return better(a, m);
}

/** Every pattern's best score on one fold, two patterns a call. */
function scoreAll(tile: Float64Array, patterns: readonly Spectrum[]): Score[] {
  const out: Score[] = [];
  for (let i = 0; i < patterns.length; i += 2) {
    const [a, b] = scoreTwo(tile, patterns[i]!, patterns[i + 1] ?? patterns[i]!);
    out.push(a);
    if (i + 1 < patterns.length) out.push(b);
  }
  return out;
}

/**
 * Which of `payloads` (at most MATCH_PARAMS.maxCandidates are tried) is marked in `img`, with every candidate's best
 * score. Candidates are tried in the order given, and a match is the best-scoring one at or over the threshold.
 */
export function matchWatermark(img: Raster, payloads: readonly Uint8Array[], opts: { luma?: Float32Array; grid?: WhiteGrid } = {}): MatchScores {
  const tried = payloads.slice(0, MATCH_PARAMS.maxCandidates);
  if (tried.length === 0 || Math.min(img.width, img.height) < EXTRACT_PARAMS.minSide) return { match: null, scores: tried.map(() => 0), refined: false };
  // the grid an extraction whitened already (readGrid), handed back to the WebAssembly folds, or this copy's own
  const { white, gw, gh } = opts.grid ? { ...opts.grid, white: sealGrid(opts.grid.white) } : whiteGrid(img, opts.luma);
  const patterns = tried.map((p) => spectrum(payloadPattern(p), TILE));

  // the coarse geometries, each fold scored against every candidate
  const aspect = new AspectFolds(white, gw, gh, TILE, COARSE_HALF);
  const pairs: { i: number; c: Candidate; z: number }[] = [];
  const tile = new Float64Array(TILE * TILE);
  const scoreCoarse = (c: Candidate): void =>
    scoreAll(tile, patterns).forEach(({ z }, i) => pairs.push({ i, c, z }));
  // rotations and aspect changes over the central square, as the quick search folds them
  for (const c of CANDIDATES) {
    if (c.sx === c.sy && c.angle === 0) continue;
    foldCandidate(white, gw, gh, c, aspect, tile);
    scoreCoarse(c);
  }
  // plain magnifications (a crop's, a reshare's: the common case) over the whole grid rather than the central square:
  // reshares of rocket.jpg, whose centre is sky, scored there under other geometries' noise and were missed
  for (let s = 0.98; s <= 1.46; s *= 1 + MATCH_PARAMS.wholeStep) {
    fold(white, gw, gh, TILE, s, 0, Infinity, tile);
    scoreCoarse({ sx: s, sy: s, angle: 0 });
  }

  // the copy has one geometry, whichever record it carries: the best pairs of candidate and geometry are refined
  // over the whole grid with their candidate's pattern, and every candidate is scored at the maps they end at
  pairs.sort((x, y) => y.z - x.z);
  const scores = patterns.map(() => 0);
  // nothing stands out of the noise: no refinement, and each candidate's best coarse score
  if (pairs[0]!.z < MATCH_PARAMS.refineFloor) {
    for (const { i, z } of pairs) scores[i] = Math.max(scores[i]!, z);
    return { match: null, scores, refined: false };
  }
  let match: WatermarkMatch | null = null;
  for (const { i, c } of pairs.slice(0, MATCH_PARAMS.refine)) {
    const m = refineMatch(white, gw, gh, c, patterns[i]!);
    scoreAll(foldAffine(white, gw, gh, TILE, m), patterns).forEach((s, j) => {
      if (s.z > scores[j]!) scores[j] = s.z;
      if (s.z >= MATCH_PARAMS.threshold && (!match || s.z > match.z)) match = { index: j, z: s.z, m, mirrored: s.mirrored };
    });
  }
  return { match, scores, refined: true };
}

/** Hill-climbs a coarse geometry's whole-grid score against one pattern: magnifications and rotation, finer each round. */
function refineMatch(white: Float32Array, gw: number, gh: number, start: Candidate, p: Spectrum): Affine {
  const score = (c: Candidate): { z: number; c: Candidate; m: Affine } => {
    const m = mapOf(c);
    return { z: scoreOne(foldAffine(white, gw, gh, TILE, m), p).z, c, m };
  };
  const steps = [[0.01, 0.5 * DEG], [0.005, 0.25 * DEG], [0.0025, 0.12 * DEG]] as const;
  const best = climb(score(start), steps, ({ c }, [ds, da]) =>
    [
      { ...c, sx: c.sx * (1 + ds), sy: c.sy * (1 + ds) },
      { ...c, sx: c.sx * (1 - ds), sy: c.sy * (1 - ds) },
      { ...c, sx: c.sx * (1 + ds) },
      { ...c, sx: c.sx * (1 - ds) },
      { ...c, sy: c.sy * (1 + ds) },
      { ...c, sy: c.sy * (1 - ds) },
      { ...c, angle: c.angle + da },
      { ...c, angle: c.angle - da },
    ].map((n) => () => score(n)),
  );
  return best.m;
}
