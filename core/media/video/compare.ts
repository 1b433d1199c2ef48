// Segment-by-segment comparison of a candidate video with a signed one, for verification (DESIGN "Verify": the
// time ranges that match, were re-encoded, or were changed).
import { CustodyError } from '../../errors.ts';
import type { AlignParams, FrameLink } from './align.ts';
import { alignFrames } from './align.ts';
import { SEGMENT_SECONDS } from './chain.ts';
import type { Frame } from './resample.ts';
import { framesOf, integerRatio, resampleFingerprint } from './resample.ts';
import type { SegmentComparison, SegmentStatus, VideoComparison, VideoFingerprint } from './types.ts';

export interface CompareThresholds extends AlignParams {
  /** A segment is 'similar' when the mean distance of its aligned frames is at most this… */
  similarMean: number;
  /** …and no aligned frame is farther than this. */
  similarMax: number;
}

/**
 * Per-frame Hamming distances measured on slideshows of photographs (test/fixtures/video.ts), signed at 1 fps,
 * candidates oversampled 4×, aligned: x264 CRF 30 re-encode mean 0.4 (max 4), 360p mean 1.3 (max 4), 480p VP9
 * mean 1.5 (max 12), 25↔30 fps mean 0.3–1.0 (max 12); unrelated frames mean 30.7 (min 20); the same clip 1 s
 * apart mean 26 (min 12). The maxima of 12 are the fast decode's one-picture shifts on a fast pan (frames.ts).
 * pairMax (16) and similarMax (18) sit between 12 and 20; similarMean (8) leaves room for a segment of shifts.
 */
export const DEFAULT_THRESHOLDS: CompareThresholds = { pairMax: 16, gap: 10, similarMean: 8, similarMax: 18 };

type Fp = Pick<VideoFingerprint, 'sampleRate' | 'segments' | 'chainHash' | 'durationSec'>;

/**
 * Compares a candidate's fingerprint with a signed one.
 *
 * Fingerprint the candidate at a whole multiple of the signed rate, preferably 4× (`oversample: 4`, or
 * `sampleRate: signed.sampleRate, oversample: 4` when the candidate's own duration gives another schedule): each
 * signed instant is then compared with the nearest of four candidate pictures, which absorbs trims that fall
 * between sampled instants and the one-picture shifts of the fast decode at scene cuts (frames.ts). At 1× a
 * re-encode with a cut on a sampled instant can show a 'changed' segment. Rates that are not whole multiples are
 * brought to the signed grid by nearest frame, which blurs fast-moving footage.
 */
export function compareVideo(signed: Fp, candidate: Fp, thresholds: CompareThresholds = DEFAULT_THRESHOLDS): VideoComparison {
  let S = framesOf(signed, 'signed fingerprint');
  let C = framesOf(candidate, 'candidate fingerprint');
  if (signed.segments.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'expected a signed fingerprint with segments, got none');

  let m = integerRatio(candidate.sampleRate, signed.sampleRate);
  const chainIntact = m !== null && resampleFingerprint(candidate as VideoFingerprint, signed.sampleRate).chainHash === signed.chainHash;
  if (m === null) {
    const k = integerRatio(signed.sampleRate, candidate.sampleRate);
    if (k !== null) S = S.filter((_, j) => j % k === 0); // the signed instants the candidate also sampled
    else C = onGrid(C, signed.sampleRate);
    m = 1;
  }

  const { signed: links, extra } = alignFrames(S, C, m, thresholds);
  const bySegment = new Map<number, FrameLink[]>();
  const cutInside = new Set<number>();
  const firstPresent = links.findIndex((l) => l.kind !== 'missing');
  const lastPresent = links.findLastIndex((l) => l.kind !== 'missing');
  S.forEach((f, i) => {
    const list = bySegment.get(f.segment) ?? [];
    list.push(links[i]!);
    bySegment.set(f.segment, list);
    // Footage gone from between two stretches that are there was cut out: even one sampled instant of it makes the
    // segment missing (a 3 s cut across a segment boundary leaves each side with a minority of its instants gone).
    // At either end, a copy that starts or stops inside a segment keeps it when most of its instants are there.
    if (links[i]!.kind === 'missing' && i > firstPresent && i < lastPresent) cutInside.add(f.segment);
  });

  const sameGrid = m === 1 && candidate.sampleRate === signed.sampleRate;
  const undecided = new Set<number>();
  const rows: SegmentComparison[] = signed.segments.map((seg, i) => {
    const row: SegmentComparison = { index: seg.index, start: seg.start, end: seg.end, status: 'missing' };
    const ls = bySegment.get(seg.index) ?? [];
    const present = ls.filter((l): l is Extract<FrameLink, { candidate: number }> => l.kind !== 'missing');
    if (present.length) {
      const ds = present.map((l) => l.distance);
      row.meanDistance = Math.round((ds.reduce((a, b) => a + b, 0) / ds.length) * 100) / 100;
      const ts = present.map((l) => C[l.candidate]!.t);
      row.candidateStart = Math.min(...ts);
      row.candidateEnd = Math.min(Math.max(...ts) + 1 / signed.sampleRate, Math.max(candidate.durationSec, Math.max(...ts)));
    }
    const status = cutInside.has(seg.index) ? 'missing' : classify(ls, present.map((l) => l.distance), thresholds);
    if (sameGrid && candidate.segments[seg.index]?.hash === seg.hash) row.status = 'match';
    else if (status) row.status = status;
    else undecided.add(i);
    return row;
  });
  inheritUndecided(rows, undecided);

  const total = signed.segments.reduce((a, s) => a + (s.end - s.start), 0);
  const traced = rows.reduce((a, r) => a + (r.status === 'match' || r.status === 'similar' ? r.end - r.start : 0), 0);
  return {
    chainIntact,
    segments: mergeExtras(rows, extraRows(C, extra, candidate)),
    tracedFraction: total > 0 ? Math.round((traced / total) * 1e6) / 1e6 : 0,
  };
}

/** null: no frame was sampled in this segment (0.1 fps, or a coarser candidate); decided by its neighbours. */
function classify(links: FrameLink[], ds: number[], t: CompareThresholds): SegmentStatus | null {
  if (links.length === 0) return null;
  const missing = links.length - ds.length;
  if (missing * 2 > links.length) return 'missing';
  if (missing === 0 && ds.every((d) => d === 0)) return 'match';
  const mean = ds.reduce((a, b) => a + b, 0) / ds.length;
  return mean <= t.similarMean && Math.max(...ds) <= t.similarMax ? 'similar' : 'changed';
}

/** A segment without a sampled frame takes the status of the nearest earlier decided one (else the next). */
function inheritUndecided(rows: SegmentComparison[], undecided: Set<number>): void {
  for (const i of undecided) {
    let from = -1;
    for (let b = i - 1; b >= 0 && from < 0; b--) if (!undecided.has(b)) from = b;
    for (let f = i + 1; f < rows.length && from < 0; f++) if (!undecided.has(f)) from = f;
    const row = rows[i]!;
    const src = from >= 0 ? rows[from]! : null;
    row.status = src?.status ?? 'missing';
    if (src && src.candidateStart !== undefined && row.status !== 'missing') {
      const shift = src.candidateStart - src.start;
      row.candidateStart = row.start + shift;
      row.candidateEnd = row.end + shift;
    }
  }
}

/** Extra candidate frames, reported per 5-second candidate segment, over the stretch they cover. */
function extraRows(C: Frame[], extra: boolean[], candidate: Fp): SegmentComparison[] {
  const step = C.length > 1 ? C[1]!.t - C[0]!.t : 1 / candidate.sampleRate;
  const bySeg = new Map<number, { from: number; to: number }>();
  C.forEach((f, k) => {
    if (!extra[k]) return;
    const seg = Math.floor(f.t / SEGMENT_SECONDS + 1e-9);
    const r = bySeg.get(seg);
    const end = Math.min(f.t + step, Math.max(candidate.durationSec, f.t), (seg + 1) * SEGMENT_SECONDS);
    if (r) r.to = Math.max(r.to, end);
    else bySeg.set(seg, { from: f.t, to: end });
  });
  return [...bySeg.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, r]) => ({ index, start: r.from, end: r.to, status: 'extra' as const, candidateStart: r.from, candidateEnd: r.to }));
}

/** Signed rows in order, each extra row placed where its footage sits in the candidate's timeline. */
function mergeExtras(rows: SegmentComparison[], extras: SegmentComparison[]): SegmentComparison[] {
  const out: SegmentComparison[] = [];
  let x = 0;
  for (const r of rows) {
    if (r.candidateStart !== undefined) {
      while (x < extras.length && extras[x]!.start < r.candidateStart) out.push(extras[x++]!);
    }
    out.push(r);
  }
  while (x < extras.length) out.push(extras[x++]!);
  return out;
}

/** Candidate frames brought onto the signed sampling grid by nearest time (rates that are not whole multiples). */
function onGrid(C: Frame[], rate: number): Frame[] {
  if (C.length === 0) return C;
  const out: Frame[] = [];
  const last = C[C.length - 1]!.t;
  for (let j = 0; j / rate <= last + 1e-9; j++) {
    const t = j / rate;
    let best = C[0]!;
    for (const f of C) if (Math.abs(f.t - t) < Math.abs(best.t - t)) best = f;
    out.push({ ...best, t });
  }
  return out;
}
