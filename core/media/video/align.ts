// Aligning the sampled frames of a signed video with a candidate's, so that a trimmed, cut, spliced or padded copy
// is compared picture by picture rather than index by index.
//
// A benign copy (re-encoded, rescaled, another codec, GOP or frame rate, remuxed, trimmed) shows the signed footage
// at one constant offset: candidate time = signed time + offset. An edit changes that offset (footage cut out or
// inserted) or leaves a stretch without a counterpart (footage replaced). So the alignment tracks the offset, a
// Viterbi pass over signed frames whose states are offsets on the candidate's grid (k = m·i + δ when the candidate
// is sampled m times as densely): pairing signed frame i with candidate frame k at Hamming distance d scores
// pairMax − d, leaving it without a counterpart costs gap, moving the offset by one candidate interval costs
// JITTER_COST (the fast decode can shift a picture by a frame), and any other change of offset costs JUMP_COST.
// A global alignment that charged only for unpaired frames (Needleman–Wunsch, used before) was free to place each
// pair anywhere among equally close candidate frames and to stretch time on slow footage: a picture held still read
// as sub-second "extra" footage, and a 3 s cut could be absorbed by pairing frames a fraction of a second off.
//
// Paired frames are anchors; between anchors the unpaired stretches are read by their durations: footage present
// on both sides was replaced (its frames are paired by time and compared), signed footage beyond the candidate's is
// missing, candidate footage beyond the signed footage is extra.
import { CustodyError } from '../../errors.ts';
import { popcount32 } from '../hash.ts';
import type { Frame } from './resample.ts';

export interface AlignParams {
  /** A pair at distance d scores pairMax − d: frames closer than pairMax attract, farther ones repel. */
  pairMax: number;
  /** Cost of one unpaired signed frame (one sampling interval of footage). */
  gap: number;
}

/** Moving the offset by one candidate interval: worth it only for a pair that is this many bits closer. */
const JITTER_COST = 4;
/** Any other change of offset (a cut, an insertion, a re-ordering): about two unpaired signed frames. */
const JUMP_COST = 20;

export type FrameLink =
  | { kind: 'paired' | 'replaced'; candidate: number; distance: number }
  | { kind: 'missing' };

export interface Alignment {
  /** For each signed frame, its counterpart in the candidate. */
  signed: FrameLink[];
  /** For each candidate frame, whether it is footage the signed video does not have. */
  extra: boolean[];
}

/** Largest alignment matrix accepted (signed frames × offsets); 10 h at 0.1 fps against 10 h at 0.4 fps is 104 M. */
export const MAX_ALIGN_CELLS = 200_000_000;

export function frameDistance(a: Frame, b: Frame): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

// Trace bits per (signed frame, offset): how the paired state was reached (2 bits), how the unpaired state was
// reached (1 bit), and which of the two is the better (1 bit).
const FROM_SAME = 0;
const FROM_BELOW = 1; // offset δ − 1
const FROM_ABOVE = 2; // offset δ + 1
const FROM_JUMP = 3; // the best state of the previous frame
const UNPAIRED_JUMPED = 4;
const UNPAIRED_BEST = 8;

/**
 * Aligns signed frames (every 1/R s) with candidate frames sampled m times as densely (every 1/(m·R) s).
 * Both lists must be in time order.
 */
export function alignFrames(signed: readonly Frame[], candidate: readonly Frame[], m: number, p: AlignParams): Alignment {
  const n = signed.length;
  const M = candidate.length;
  const lo = -m * Math.max(0, n - 1);
  const D = M - lo; // offsets lo … M − 1
  if (n * D > MAX_ALIGN_CELLS) {
    throw new CustodyError('INVALID_ARGUMENT', `expected at most ${MAX_ALIGN_CELLS} alignment cells, got ${n} frames × ${D} offsets`);
  }
  const pairOf = new Int32Array(n).fill(-1);
  if (n === 0 || M === 0) return readGaps(signed, candidate, m, pairOf);

  const trace = new Uint8Array(n * D);
  // Where a jump into frame i comes from. A paired state may only jump from an offset whose pair lies earlier in the
  // candidate (δ' ≤ δ + m − 1): the best among a prefix of the previous row, kept as the offsets at which that
  // prefix maximum changes (few per row). An unpaired state may take the best of the whole row: a stretch cut out
  // resumes earlier than where the unpaired frames' offset put them.
  const rowBest = new Int32Array(n);
  const rises: number[] = [];
  const risesFrom = new Int32Array(n + 1);
  const prefix = new Float64Array(D);
  let prev = new Float64Array(D); // best score of frames 0 … i − 1 ending at each offset (0 before the first)
  let cur = new Float64Array(D);
  let prevBest = 0;
  let prevArg = 0;
  for (let i = 0; i < n; i++) {
    const s = signed[i]!;
    const base = i * D;
    rowBest[i] = prevArg;
    risesFrom[i] = rises.length;
    let run = -Infinity;
    for (let y = 0; y < D; y++) {
      if (prev[y]! > run) {
        run = prev[y]!;
        rises.push(y);
      }
      prefix[y] = run;
    }
    const jumpAny = prevBest - JUMP_COST;
    let best = -Infinity;
    let arg = 0;
    for (let x = 0; x < D; x++) {
      const stay = prev[x]!;
      let un = stay;
      let bits = 0;
      if (i > 0 && jumpAny > un) {
        un = jumpAny;
        bits = UNPAIRED_JUMPED;
      }
      un -= p.gap;
      let score = un;
      const k = m * i + x + lo;
      if (k >= 0 && k < M) {
        let from = stay;
        let code = FROM_SAME;
        if (x > 0 && prev[x - 1]! - JITTER_COST > from) {
          from = prev[x - 1]! - JITTER_COST;
          code = FROM_BELOW;
        }
        // With m = 1 a step up would pair two signed frames with one candidate frame.
        if (m > 1 && x + 1 < D && prev[x + 1]! - JITTER_COST > from) {
          from = prev[x + 1]! - JITTER_COST;
          code = FROM_ABOVE;
        }
        const jump = i === 0 ? 0 : prefix[Math.min(x + m - 1, D - 1)]! - JUMP_COST;
        if (jump > from) {
          from = jump;
          code = FROM_JUMP;
        }
        const paired = from + p.pairMax - frameDistance(s, candidate[k]!);
        bits |= code;
        if (paired >= un) score = paired;
        else bits |= UNPAIRED_BEST;
      } else {
        bits |= UNPAIRED_BEST;
      }
      cur[x] = score;
      trace[base + x] = bits;
      if (score > best) {
        best = score;
        arg = x;
      }
    }
    prevBest = best;
    prevArg = arg;
    [prev, cur] = [cur, prev];
  }
  risesFrom[n] = rises.length;
  /** The offset of frame i − 1 that a paired state at offset x of frame i jumped from. */
  const jumpedFrom = (i: number, x: number): number => {
    const q = Math.min(x + m - 1, D - 1);
    let a = risesFrom[i]!;
    let b = risesFrom[i + 1]! - 1; // rises[a] = 0 ≤ q always
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (rises[mid]! <= q) a = mid;
      else b = mid - 1;
    }
    return rises[a]!;
  };

  // Trace back from the best final offset.
  let x = prevArg;
  for (let i = n - 1; i >= 0; i--) {
    const bits = trace[i * D + x]!;
    if (bits & UNPAIRED_BEST) {
      if (bits & UNPAIRED_JUMPED) x = rowBest[i]!;
      continue;
    }
    pairOf[i] = m * i + x + lo;
    const code = bits & 3;
    if (code === FROM_BELOW) x--;
    else if (code === FROM_ABOVE) x++;
    else if (code === FROM_JUMP && i > 0) x = jumpedFrom(i, x);
  }
  // Only close pairs anchor the reading of the gaps; a pair accepted at a large distance (cheaper than a jump) is
  // footage replaced in place, and is found again by time.
  for (let i = 0; i < n; i++) {
    const k = pairOf[i]!;
    if (k >= 0 && frameDistance(signed[i]!, candidate[k]!) >= p.pairMax) pairOf[i] = -1;
  }
  keepInOrder(pairOf);
  settleAnchors(signed, candidate, pairOf);
  keepInOrder(pairOf);
  return readGaps(signed, candidate, m, pairOf);
}

/**
 * Anchors must advance through the candidate: footage moved earlier (two stretches swapped) is paired where it
 * first appears, and the signed frames that would go back in the candidate are left unpaired (read as missing, the
 * other stretch as extra).
 */
function keepInOrder(pairOf: Int32Array): void {
  let floor = -1;
  for (let i = 0; i < pairOf.length; i++) {
    const k = pairOf[i]!;
    if (k < 0) continue;
    if (k <= floor) pairOf[i] = -1;
    else floor = k;
  }
}

/** Candidate frames within this many bits of an anchor's own distance are as good a counterpart as it. */
const PLATEAU_BITS = 2;

/**
 * Moves anchors that could equally well sit elsewhere to where the footage around them says they are.
 *
 * Where the picture holds still (a static shot, a photograph before it is zoomed into, a slow fade), a signed frame
 * is as close to each of several consecutive candidate frames, and the alignment's choice among them is arbitrary:
 * two neighbouring anchors can land up to the length of the hold apart in the candidate while one second apart in
 * the signed video, which read literally is inserted or missing footage. Each anchor's plateau (the consecutive
 * candidate frames within PLATEAU_BITS of its distance) says how well its time is known; an anchor whose plateau is
 * at most one candidate frame either side is distinctive, and the others are moved, within their plateau, to the
 * offset (candidate time − signed time) of the nearest distinctive anchor.
 */
function settleAnchors(signed: readonly Frame[], candidate: readonly Frame[], pairOf: Int32Array): void {
  const anchors: number[] = [];
  for (let i = 0; i < pairOf.length; i++) if (pairOf[i]! >= 0) anchors.push(i);
  const lo = new Int32Array(anchors.length);
  const hi = new Int32Array(anchors.length);
  const distinctive: boolean[] = [];
  anchors.forEach((i, a) => {
    const k = pairOf[i]!;
    const limit = frameDistance(signed[i]!, candidate[k]!) + PLATEAU_BITS;
    let l = k;
    let h = k;
    while (l > 0 && frameDistance(signed[i]!, candidate[l - 1]!) <= limit) l--;
    while (h + 1 < candidate.length && frameDistance(signed[i]!, candidate[h + 1]!) <= limit) h++;
    lo[a] = l;
    hi[a] = h;
    distinctive.push(h - l <= 2);
  });
  if (!distinctive.some(Boolean)) return;
  const offset = (a: number): number => candidate[pairOf[anchors[a]!]!]!.t - signed[anchors[a]!]!.t;
  const prev = new Int32Array(anchors.length).fill(-1);
  const next = new Int32Array(anchors.length).fill(-1);
  for (let a = 0, last = -1; a < anchors.length; a++) {
    if (distinctive[a]) last = a;
    prev[a] = last;
  }
  for (let a = anchors.length - 1, last = -1; a >= 0; a--) {
    if (distinctive[a]) last = a;
    next[a] = last;
  }
  let floor = -1; // the candidate frame of the anchor before, which the next must come after
  anchors.forEach((i, a) => {
    if (!distinctive[a]) {
      const p = prev[a]!;
      const q = next[a]!;
      const src = p < 0 ? q : q < 0 ? p : i - anchors[p]! <= anchors[q]! - i ? p : q;
      const want = signed[i]!.t + offset(src);
      let best = -1;
      for (let c = Math.max(lo[a]!, floor + 1); c <= hi[a]!; c++) {
        if (best < 0 || Math.abs(candidate[c]!.t - want) < Math.abs(candidate[best]!.t - want)) best = c;
      }
      if (best >= 0) pairOf[i] = best;
    }
    floor = Math.max(floor, pairOf[i]!);
  });
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
  // An anchor's time is known to a candidate interval either way (and the fast decode can shift a picture by a
  // frame or two), so two anchors' spans can disagree by half a signed interval without any footage added; only
  // longer excesses count as extra.
  const minExtra = (signedStep * 3) / 4;
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
