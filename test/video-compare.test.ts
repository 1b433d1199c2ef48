// compareVideo on synthetic fingerprints: footage is a random walk of 64-bit pHashes on a 0.25 s grid (3 bits
// change per step, so frames 1 s apart differ by ~12 bits and unrelated frames by ~32, as measured on real clips),
// and copies are made by editing that footage the way a re-encode, a cut, a splice or a trim would.
import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../core/errors.ts';
import { buildChain } from '../core/media/video/chain.ts';
import { DEFAULT_THRESHOLDS, compareVideo } from '../core/media/video/compare.ts';
import { decideVideoVerdict } from '../core/provenance/verdict.ts';
import type { SegmentStatus, VideoComparison, VideoFingerprint } from '../core/media/video/types.ts';
import { VIDEO_FINGERPRINT_ALGORITHM } from '../core/media/video/types.ts';

const STEP = 0.25;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Footage: one pHash per 0.25 s. */
type Footage = bigint[];

function footage(seconds: number, seed: number): Footage {
  const r = rng(seed);
  let h = (BigInt(r()) << 32n) | BigInt(r());
  const out: Footage = [];
  for (let i = 0; i < seconds / STEP; i++) {
    for (let k = 0; k < 3; k++) h ^= 1n << BigInt(r() % 64);
    out.push(h);
  }
  return out;
}

/** Footage that holds still for the first 1.5 s of every 4 (a photograph shown, then zoomed into), cut between. */
function heldFootage(seconds: number, seed: number): Footage {
  const walk = footage(seconds, seed);
  const r = rng(seed + 100);
  let cut = 0n;
  return walk.map((h, i) => {
    const inShot = (i * STEP) % 4;
    if (inShot === 0) cut = (BigInt(r()) << 32n) | BigInt(r());
    return inShot < 1.5 ? cut : h ^ cut;
  });
}

const at = (f: Footage, from: number, to: number): Footage => f.slice(Math.round(from / STEP), Math.round(to / STEP));

/** Flips `bits` random bits in a share of the frames: what a re-encode does to pHashes. */
function noisy(f: Footage, bits: number, seed: number): Footage {
  const r = rng(seed);
  return f.map((h) => {
    let x = h;
    for (let k = 0; k < (r() % (bits + 1)); k++) x ^= 1n << BigInt(r() % 64);
    return x;
  });
}

function fingerprint(f: Footage, rate = 1): VideoFingerprint {
  const every = Math.round(1 / rate / STEP);
  const frames = f
    .filter((_, i) => i % every === 0)
    .map((h) => new Uint8Array(Buffer.from(h.toString(16).padStart(16, '0'), 'hex')));
  const duration = f.length * STEP;
  const { segments, chainHash } = buildChain(frames, rate, duration);
  return {
    algorithm: VIDEO_FINGERPRINT_ALGORITHM, sha256: '0'.repeat(64), durationSec: duration, fps: 25, codec: 'h264',
    width: 1280, height: 720, sampleRate: rate, segments, chainHash,
  };
}

const statuses = (c: VideoComparison): string[] => c.segments.map((s) => `${s.index}:${s.status}`);
const signedStatuses = (c: VideoComparison): SegmentStatus[] => c.segments.filter((s) => s.status !== 'extra').map((s) => s.status);

const PASS = { status: 'pass' as const, detail: '' };
const verdictOf = (c: VideoComparison): string =>
  decideVideoVerdict({ sha256: PASS, signature: PASS, watermark: PASS, phash: PASS, c2pa: PASS, anchor: PASS }, c).verdict;

/** The same comparison for a copy whose bytes are not the signed ones (its exact-bytes check fails). */
const verdictOfOtherBytes = (c: VideoComparison): string =>
  decideVideoVerdict({ sha256: { status: 'fail', detail: '' }, signature: { status: 'absent', detail: '' }, watermark: PASS, phash: PASS, c2pa: PASS, anchor: PASS }, c).verdict;

const A = footage(60, 1);
const B = footage(60, 2);
const signed = fingerprint(A);

describe('compareVideo', () => {
  it('calls an identical copy intact, every segment a match: authentic only with the signed bytes, else derived', () => {
    const c = compareVideo(signed, fingerprint(A));
    expect([verdictOf(c), verdictOfOtherBytes(c)]).toEqual(['authentic', 'derived']);
    expect(c.chainIntact).toBe(true);
    expect(c.tracedFraction).toBe(1);
    expect(c.segments.every((s) => s.status === 'match' && s.candidateStart === s.start)).toBe(true);
  });

  it('calls a re-encode (a few bits off per frame) similar throughout, not intact', () => {
    const c = compareVideo(signed, fingerprint(noisy(A, 4, 9)));
    expect(c.chainIntact).toBe(false);
    expect(c.segments.map((s) => s.status)).not.toContain('changed');
    expect(c.segments.filter((s) => s.status === 'similar').length).toBeGreaterThan(6);
    expect(c.tracedFraction).toBe(1);
  });

  it('aligns footage that holds still without reading the holds as added or missing footage', () => {
    // Each held signed frame is as close to six candidate frames as to its own: the alignment's pick among them
    // used to place neighbouring anchors up to 1.25 s apart, read as sub-second "extra" footage.
    const held = heldFootage(40, 7);
    const c = compareVideo(fingerprint(held), fingerprint(noisy(held, 1, 4), 4));
    expect(statuses(c)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => expect.stringMatching(new RegExp(`^${i}:(match|similar)$`))));
    expect(c.segments.every((s) => s.candidateStart === s.start)).toBe(true);
    expect(verdictOf(c)).toBe('derived');
    // A 2 s insertion into such footage is still found, where it is.
    const inserted = compareVideo(fingerprint(held), fingerprint([...at(held, 0, 17), ...at(B, 0, 2), ...at(held, 17, 40)], 4));
    // The held picture shows on both sides of the insertion, so the added footage may be read from 16 s (one
    // held instant on the far side of it).
    const extra = inserted.segments.filter((s) => s.status === 'extra');
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatchObject({ end: 19, start: expect.toSatisfy((x: number) => x >= 16 && x <= 17) });
    expect(inserted.tracedFraction).toBe(1);
  });

  it('finds a 3 s cut that straddles a segment boundary (18–21 s): both segments missing, the copy tampered', () => {
    // Each side keeps a majority of its instants (3 of 5 and 4 of 5); footage cut from between two traced stretches
    // still makes its segments missing.
    const c = compareVideo(signed, fingerprint([...at(A, 0, 18), ...at(A, 21, 60)], 4));
    expect(signedStatuses(c)).toEqual(['match', 'match', 'match', 'missing', 'missing', ...Array(7).fill('match')]);
    expect(c.segments.some((s) => s.status === 'extra')).toBe(false);
    expect(verdictOf(c)).toBe('tampered');
  });

  it.each([
    ['start', 6.4, 60, ['missing', ...Array(11).fill('match')]],
    ['end', 0, 27.3, [...Array(6).fill('match'), ...Array(6).fill('missing')]],
    ['start and end', 12.5, 47.5, ['missing', 'missing', ...Array(8).fill('match'), 'missing', 'missing']],
  ] as const)('calls a copy trimmed at the %s derived: kept segments traced, the rest missing, nothing changed', (_l, from, to, want) => {
    const c = compareVideo(signed, fingerprint(at(A, from, to), 4));
    expect(signedStatuses(c).map((s) => (s === 'similar' ? 'match' : s))).toEqual(want);
    expect(c.segments.some((s) => s.status === 'extra' || s.status === 'changed')).toBe(false);
    expect(verdictOf(c)).toBe('derived');
  });

  it('calls a segment changed when one of its five frames is replaced', () => {
    const edited = A.slice();
    edited[Math.round(22 / STEP)] = B[0]!;
    const c = compareVideo(signed, fingerprint(edited));
    expect(signedStatuses(c)).toEqual(['match', 'match', 'match', 'match', 'changed', ...Array(7).fill('match')]);
  });

  it('finds footage replaced in the middle as changed, the rest matching', () => {
    const cand = [...at(A, 0, 20), ...at(B, 0, 10), ...at(A, 30, 60)];
    const c = compareVideo(signed, fingerprint(cand));
    expect(c.chainIntact).toBe(false);
    expect(statuses(c)).toEqual(['0:match', '1:match', '2:match', '3:match', '4:changed', '5:changed', ...[6, 7, 8, 9, 10, 11].map((i) => `${i}:match`)]);
    expect(c.tracedFraction).toBeCloseTo(50 / 60, 6);
  });

  it('finds a cut as missing segments, and aligns the footage after it', () => {
    const cand = [...at(A, 0, 20), ...at(A, 35, 60)];
    const c = compareVideo(signed, fingerprint(cand));
    expect(statuses(c)).toEqual(['0:match', '1:match', '2:match', '3:match', '4:missing', '5:missing', '6:missing', ...[7, 8, 9, 10, 11].map((i) => `${i}:match`)]);
    expect(c.segments[7]).toMatchObject({ start: 35, candidateStart: 20 });
  });

  it('finds inserted footage as extra, placed where it sits in the candidate', () => {
    const cand = [...at(A, 0, 25), ...at(B, 0, 10), ...at(A, 25, 60)];
    const c = compareVideo(signed, fingerprint(cand));
    expect(statuses(c)).toEqual([
      '0:match', '1:match', '2:match', '3:match', '4:match', '5:extra', '6:extra', ...[5, 6, 7, 8, 9, 10, 11].map((i) => `${i}:match`),
    ]);
    expect(c.segments[5]).toMatchObject({ status: 'extra', start: 25, end: 30 });
    expect(c.segments[7]).toMatchObject({ index: 5, start: 25, candidateStart: 35 });
    expect(c.tracedFraction).toBe(1);
  });

  it.each([1, 4])('finds footage added at either end as extra (candidate at %s×)', (rate) => {
    const c = compareVideo(signed, fingerprint([...at(B, 0, 2), ...A, ...at(B, 10, 11)], rate));
    const extra = c.segments.filter((s) => s.status === 'extra');
    expect(extra.map((s) => [s.index, s.start, s.end])).toEqual([[0, 0, 2], [12, 62, 63]]);
    expect(c.segments[0]!.status).toBe('extra');
    expect(c.segments.at(-1)!.status).toBe('extra');
    expect(c.tracedFraction).toBe(1);
  });

  it('aligns an excerpt that starts between two sampled instants when the candidate is sampled 4× as densely', () => {
    const cand = noisy(at(A, 12.5, 47.5), 2, 3);
    const sparse = compareVideo(signed, fingerprint(cand, 1));
    const dense = compareVideo(signed, fingerprint(cand, 4));
    expect(dense.chainIntact).toBe(false);
    // 12.5–47.5 s: segments 0–1 and 10–11 are outside; 2 and 9 have three of their five instants inside.
    expect(signedStatuses(dense).map((s) => (s === 'match' ? 'similar' : s))).toEqual([
      'missing', 'missing', ...Array(8).fill('similar'), 'missing', 'missing',
    ]);
    expect(dense.segments.find((s) => s.index === 4)).toMatchObject({ candidateStart: 7.5 });
    expect(dense.segments.some((s) => s.status === 'extra')).toBe(false);
    // Sampled at the signed rate, every frame is 0.5 s off: the walk has moved ~6 bits, still within the thresholds.
    expect(sparse.tracedFraction).toBeGreaterThan(0.5);
  });

  it('checks the chain through a 4× candidate, and aligns a 0.5× one on the instants both sampled', () => {
    expect(compareVideo(signed, fingerprint(A, 4)).chainIntact).toBe(true);
    const c = compareVideo(signed, fingerprint(A, 0.5));
    expect(c.chainIntact).toBe(false);
    expect(c.segments.every((s) => s.status === 'match')).toBe(true);
  });

  it('calls unrelated footage changed everywhere', () => {
    const c = compareVideo(signed, fingerprint(B));
    expect(c.tracedFraction).toBe(0);
    expect(c.segments.every((s) => s.status === 'changed')).toBe(true);
  });

  it('handles a candidate longer or shorter than the signed video with nothing in common', () => {
    const short = compareVideo(signed, fingerprint(at(B, 0, 20)));
    expect(signedStatuses(short)).toEqual([...Array(4).fill('changed'), ...Array(8).fill('missing')]);
    const long = compareVideo(fingerprint(at(A, 0, 20)), fingerprint(B));
    expect(statuses(long)).toEqual(['0:changed', '1:changed', '2:changed', '3:changed', ...[4, 5, 6, 7, 8, 9, 10, 11].map((i) => `${i}:extra`)]);
  });

  it('gives segments without a sampled frame (0.1 fps) the status of their neighbours', () => {
    const long = footage(200, 5);
    const s = fingerprint(long, 0.1);
    expect(s.segments.filter((x) => x.frameHashes.length === 0).length).toBe(20);
    const cand = long.slice();
    for (let i = Math.round(100 / STEP); i < Math.round(120 / STEP); i++) cand[i] = B[i % B.length]!;
    const c = compareVideo(s, fingerprint(cand, 0.1));
    const st = c.segments.map((x) => x.status);
    expect(st.slice(0, 20).every((x) => x === 'match')).toBe(true);
    expect(st.slice(20, 24)).toEqual(['changed', 'changed', 'changed', 'changed']);
    expect(st.slice(24).every((x) => x === 'match')).toBe(true);
  });

  it.each([
    ['no segments', { ...signed, segments: [] }],
    ['a zero sample rate', { ...signed, sampleRate: 0 }],
    ['a non-hex frame hash', { ...signed, segments: [{ ...signed.segments[0]!, frameHashes: ['zz'] }] }],
  ])('refuses a signed fingerprint with %s', (_label, bad) => {
    try {
      compareVideo(bad, signed);
      expect.unreachable();
    } catch (e) {
      expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('keeps its thresholds between measured re-encodes (≤ 12 bits) and unrelated frames (≥ 20)', () => {
    expect(DEFAULT_THRESHOLDS.similarMax).toBeGreaterThan(12);
    expect(DEFAULT_THRESHOLDS.similarMax).toBeLessThan(20);
    expect(DEFAULT_THRESHOLDS.pairMax).toBeGreaterThan(12);
    expect(DEFAULT_THRESHOLDS.pairMax).toBeLessThan(20);
  });
});
