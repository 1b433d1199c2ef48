// Aligning the sampled frames of a signed video with a candidate's, so that a trimmed, cut, spliced or padded copy
// is compared picture by picture rather than index by index.
//
// A global alignment (Needleman–Wunsch) on pHashes: pairing frames at Hamming distance d scores pairMax − d, leaving
// a signed frame unpaired costs gap, leaving a candidate frame unpaired costs gap / m when the candidate is sampled
// m times as densely (so one second of skipped footage costs the same on both sides, and the alignment is free to
// pick, for each signed frame, the nearest of the m candidate frames). Paired frames are anchors; between anchors
// the unpaired stretches are read by their durations: footage present on both sides was replaced (its frames are
// paired by time and compared), signed footage beyond the candidate's is missing, candidate footage beyond the
// signed footage is extra.
import { CustodyError } from '../../errors.ts';
import { popcount32 } from '../hash.ts';
import type { Frame } from './resample.ts';

export interface AlignParams {
  /** A pair at distance d scores pairMax − d: frames closer than pairMax attract, farther ones repel. */
  pairMax: number;
  /** Cost of one unpaired signed frame (one sampling interval of footage). */
  gap: number;
}

export type FrameLink =
  | { kind: 'paired' | 'replaced'; candidate: number; distance: number }
  | { kind: 'missing' };

export interface Alignment {
  /** For each signed frame, its counterpart in the candidate. */
  signed: FrameLink[];
  /** For each candidate frame, whether it is footage the signed video does not have. */
  extra: boolean[];
}

/** Largest alignment matrix accepted (cells); 10 h at 0.1 fps against 10 h at 0.4 fps is 5.2 M. */
export const MAX_ALIGN_CELLS = 200_000_000;

export function frameDistance(a: Frame, b: Frame): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

const DIAG = 0;
const UP = 1; // signed frame unpaired
const LEFT = 2; // candidate frame unpaired

/**
 * Aligns signed frames (every 1/R s) with candidate frames sampled m times as densely (every 1/(m·R) s).
 * Both lists must be in time order.
 */
export function alignFrames(signed: readonly Frame[], candidate: readonly Frame[], m: number, p: AlignParams): Alignment {
  const n = signed.length;
  const M = candidate.length;
  if ((n + 1) * (M + 1) > MAX_ALIGN_CELLS) {
    throw new CustodyError('INVALID_ARGUMENT', `expected at most ${MAX_ALIGN_CELLS} alignment cells, got ${n + 1} × ${M + 1} frames`);
  }
  const gapS = p.gap;
  const gapC = p.gap / m;
  const W = M + 1;
  const trace = new Uint8Array((n + 1) * W);
  let prev = new Float64Array(W);
  let cur = new Float64Array(W);
  for (let j = 1; j <= M; j++) {
    prev[j] = -j * gapC;
    trace[j] = LEFT;
  }
  for (let i = 1; i <= n; i++) {
    const s = signed[i - 1]!;
    cur[0] = -i * gapS;
    trace[i * W] = UP;
    for (let j = 1; j <= M; j++) {
      const diag = prev[j - 1]! + p.pairMax - frameDistance(s, candidate[j - 1]!);
      const up = prev[j]! - gapS;
      const left = cur[j - 1]! - gapC;
      let best = diag;
      let t = DIAG;
      if (up > best) {
        best = up;
        t = UP;
      }
      if (left > best) {
        best = left;
        t = LEFT;
      }
      cur[j] = best;
      trace[i * W + j] = t;
    }
    [prev, cur] = [cur, prev];
  }

  // Trace back into anchors (paired frames).
  const pairOf = new Int32Array(n).fill(-1);
  for (let i = n, j = M; i > 0 || j > 0; ) {
    const t = trace[i * W + j]!;
    if (t === DIAG) {
      pairOf[i - 1] = j - 1;
      i--;
      j--;
    } else if (t === UP) i--;
    else j--;
  }
  // Only close pairs anchor the reading of the gaps; a pair the alignment accepted at a large distance (cheaper
  // than two gaps) is footage replaced in place, and is found again by time.
  for (let i = 0; i < n; i++) {
    const k = pairOf[i]!;
    if (k >= 0 && frameDistance(signed[i]!, candidate[k]!) >= p.pairMax) pairOf[i] = -1;
  }
  return readGaps(signed, candidate, m, pairOf);
}

/** Turns the unpaired stretches between anchors into replaced, missing and extra footage. */
function readGaps(signed: readonly Frame[], candidate: readonly Frame[], m: number, pairOf: Int32Array): Alignment {
  const n = signed.length;
  const M = candidate.length;
  const links: FrameLink[] = new Array<FrameLink>(n);
  const extra = new Array<boolean>(M).fill(false);
  const candStep = M > 1 ? candidate[1]!.t - candidate[0]!.t : n > 1 ? (signed[1]!.t - signed[0]!.t) / m : 1;
  const signedStep = n > 1 ? signed[1]!.t - signed[0]!.t : candStep * m;
  const half = candStep / 2;
  // Footage shorter than half a signed sampling interval cannot be told from the alignment's choice among the m
  // candidate frames nearest to a signed one, so only longer excesses count as extra.
  const minExtra = signedStep / 2;
  const lastT = M > 0 ? candidate[M - 1]!.t : -Infinity;

  /** The candidate frame nearest to time t, within (lo, hi) exclusive; -1 when none. */
  const nearest = (t: number, lo: number, hi: number): number => {
    if (M === 0) return -1;
    const first = candidate[0]!.t;
    let k = Math.round((t - first) / candStep);
    k = Math.min(Math.max(k, lo + 1), hi - 1);
    return k > lo && k < hi && Math.abs(candidate[k]!.t - t) <= half + 1e-9 ? k : -1;
  };
  const link = (i: number, k: number, kind: 'paired' | 'replaced'): void => {
    links[i] = { kind, candidate: k, distance: frameDistance(signed[i]!, candidate[k]!) };
  };

  const anchors: number[] = [];
  for (let i = 0; i < n; i++) if (pairOf[i]! >= 0) anchors.push(i);

  if (anchors.length === 0) {
    // Nothing in common: compare by time from the start, the rest is missing or extra.
    for (let i = 0; i < n; i++) {
      const k = nearest(signed[i]!.t, -1, M);
      if (k >= 0) link(i, k, 'replaced');
      else links[i] = { kind: 'missing' };
    }
    const covered = n ? signed[n - 1]!.t + signedStep : 0;
    for (let k = 0; k < M; k++) if (candidate[k]!.t >= covered - 1e-9) extra[k] = true;
    return { signed: links, extra };
  }

  for (const i of anchors) link(i, pairOf[i]!, 'paired');

  // Leading stretch: read backwards from the first anchor.
  const a0 = anchors[0]!;
  const c0 = pairOf[a0]!;
  for (let i = 0; i < a0; i++) {
    const t = candidate[c0]!.t - (signed[a0]!.t - signed[i]!.t);
    const k = nearest(t, -1, c0);
    if (k >= 0) link(i, k, 'replaced');
    else links[i] = { kind: 'missing' };
  }
  const leadStart = candidate[c0]!.t - (signed[a0]!.t - signed[0]!.t);
  if (leadStart >= minExtra) for (let k = 0; k < c0; k++) if (candidate[k]!.t < leadStart - half) extra[k] = true;

  // Stretches between anchors, read forwards from the left anchor.
  for (let x = 0; x + 1 < anchors.length; x++) {
    const i0 = anchors[x]!;
    const i1 = anchors[x + 1]!;
    const j0 = pairOf[i0]!;
    const j1 = pairOf[i1]!;
    const offset = candidate[j0]!.t - signed[i0]!.t;
    for (let i = i0 + 1; i < i1; i++) {
      const k = nearest(signed[i]!.t + offset, j0, j1);
      if (k >= 0) link(i, k, 'replaced');
      else links[i] = { kind: 'missing' };
    }
    // Candidate time not accounted for by signed time is extra footage (its end, as the stretch is read forwards).
    const signedSpan = signed[i1]!.t - signed[i0]!.t;
    const candSpan = candidate[j1]!.t - candidate[j0]!.t;
    if (candSpan - signedSpan > minExtra) {
      const from = candidate[j1]!.t - (candSpan - signedSpan);
      for (let k = j0 + 1; k < j1; k++) if (candidate[k]!.t >= from - 1e-9 && !isLinked(links, k, i0, i1)) extra[k] = true;
    }
  }

  // Trailing stretch: read forwards from the last anchor.
  const aL = anchors[anchors.length - 1]!;
  const cL = pairOf[aL]!;
  for (let i = aL + 1; i < n; i++) {
    const t = candidate[cL]!.t + (signed[i]!.t - signed[aL]!.t);
    const k = t <= lastT + half ? nearest(t, cL, M) : -1;
    if (k >= 0) link(i, k, 'replaced');
    else links[i] = { kind: 'missing' };
  }
  // The last signed frame stands for one sampling interval of footage.
  const covered = candidate[cL]!.t + (signed[n - 1]!.t - signed[aL]!.t) + signedStep;
  if (lastT + candStep - covered >= minExtra - 1e-9) {
    for (let k = cL + 1; k < M; k++) if (candidate[k]!.t >= covered - 1e-9) extra[k] = true;
  }

  return { signed: links, extra };
}

function isLinked(links: FrameLink[], k: number, i0: number, i1: number): boolean {
  for (let i = i0 + 1; i < i1; i++) {
    const l = links[i];
    if (l && l.kind !== 'missing' && l.candidate === k) return true;
  }
  return false;
}
