// The segment chain and sampling schedule, without ffmpeg: known answers computed independently with node:crypto.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCustodyError } from '../core/errors.ts';
import { SEGMENT_SECONDS, buildChain, findChainBreak, linkHash, segmentOfFrame } from '../core/media/video/chain.ts';
import { frameTime, rational, sampleRateFor } from '../core/media/video/frames.ts';
import { framesOf, integerRatio, resampleFingerprint } from '../core/media/video/resample.ts';
import type { VideoFingerprint } from '../core/media/video/types.ts';
import { VIDEO_FINGERPRINT_ALGORITHM } from '../core/media/video/types.ts';

/** Deterministic pseudo-random 8-byte pHashes (xorshift32). */
function hashes(count: number, seed = 1): Uint8Array[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return Array.from({ length: count }, () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, next());
    new DataView(b.buffer).setUint32(4, next());
    return b;
  });
}

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function fingerprintOf(frames: Uint8Array[], rate: number, duration: number): VideoFingerprint {
  const { segments, chainHash } = buildChain(frames, rate, duration);
  return {
    algorithm: VIDEO_FINGERPRINT_ALGORITHM, sha256: '0'.repeat(64), durationSec: duration, fps: 25, codec: 'h264',
    width: 64, height: 64, sampleRate: rate, segments, chainHash,
  };
}

describe('sampling schedule (DESIGN: ≤5 min 1 fps, ≤30 min 0.5, ≤2 h 0.2, else 0.1)', () => {
  it.each([
    [0.04, 1], [300, 1], [300.001, 0.5], [1800, 0.5], [1800.5, 0.2], [7200, 0.2], [7200.01, 0.1], [36000, 0.1],
  ])('%s s → %s fps', (d, r) => {
    expect(sampleRateFor(d)).toBe(r);
  });

  it.each([-1, NaN])('refuses the duration %s', (d) => {
    expect(() => sampleRateFor(d)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('puts frame j at j/R, in segment ⌊j/R/5⌋, without float drift at 0.1 and 0.2 fps', () => {
    expect(frameTime(3, 0.1)).toBe(30);
    expect(frameTime(7, 0.2)).toBe(35);
    for (let j = 0; j < 5000; j++) {
      expect(segmentOfFrame(j, 1)).toBe(Math.floor(j / 5));
      expect(segmentOfFrame(j, 0.5)).toBe(Math.floor((2 * j) / 5));
      expect(segmentOfFrame(j, 0.2)).toBe(j);
      expect(segmentOfFrame(j, 0.1)).toBe(2 * j);
    }
  });

  it('writes rates as exact fractions for ffmpeg', () => {
    expect([1, 0.5, 0.2, 0.1, 0.4, 0.2 * 3, 4].map(rational)).toEqual(['1/1', '1/2', '1/5', '1/10', '2/5', '3/5', '4/1']);
    expect(() => rational(Math.PI)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('segment chain', () => {
  it('matches SHA-256(ph_0 ‖ … ‖ ph_k ‖ prev) from a zero seed, computed independently', () => {
    const f = hashes(12);
    const { segments, chainHash } = buildChain(f, 1, 12);
    expect(segments.map((s) => [s.start, s.end, s.frameHashes.length])).toEqual([[0, 5, 5], [5, 10, 5], [10, 12, 2]]);
    const h0 = sha(...f.slice(0, 5), new Uint8Array(32));
    const h1 = sha(...f.slice(5, 10), h0);
    const h2 = sha(...f.slice(10, 12), h1);
    expect(segments.map((s) => s.hash)).toEqual([h0, h1, h2].map((b) => b.toString('hex')));
    expect(chainHash).toBe(h2.toString('hex'));
    expect(segments[1]!.frameHashes[0]).toBe(Buffer.from(f[5]!).toString('hex'));
  });

  it('gives a segment without frames its own link, SHA-256(prev), as at 0.1 fps', () => {
    const f = hashes(3);
    const { segments } = buildChain(f, 0.1, 30); // frames at 0, 10, 20 s: segments 1, 3, 5 are empty
    expect(segments.map((s) => s.frameHashes.length)).toEqual([1, 0, 1, 0, 1, 0]);
    const h0 = sha(f[0]!, new Uint8Array(32));
    expect(segments[1]!.hash).toBe(sha(h0).toString('hex'));
  });

  it('has ⌈duration / 5⌉ segments, the last ending at the duration, and at least one', () => {
    expect(buildChain(hashes(1), 1, 0.04).segments.map((s) => [s.start, s.end])).toEqual([[0, 0.04]]);
    expect(buildChain(hashes(30), 1, 30).segments.length).toBe(30 / SEGMENT_SECONDS);
    expect(buildChain(hashes(31), 1, 30.5).segments.at(-1)).toMatchObject({ start: 30, end: 30.5 });
  });

  it('changes every later link when one frame changes, and only from there', () => {
    const f = hashes(20);
    const a = buildChain(f, 1, 20);
    const g = f.map((h) => h.slice());
    g[7]![3]! ^= 1;
    const b = buildChain(g, 1, 20);
    expect(a.segments.map((s, i) => s.hash === b.segments[i]!.hash)).toEqual([true, false, false, false]);
    expect(a.chainHash).not.toBe(b.chainHash);
  });

  it('finds where a stored chain was altered', () => {
    const fp = fingerprintOf(hashes(30), 1, 30);
    expect(findChainBreak(fp)).toBeNull();
    const edited = structuredClone(fp);
    edited.segments[3]!.frameHashes[2] = '0123456789abcdef';
    expect(findChainBreak(edited)).toBe(3);
    const relinked = structuredClone(fp);
    relinked.segments[4]!.hash = 'f'.repeat(64);
    expect(findChainBreak(relinked)).toBe(4);
    expect(findChainBreak({ ...fp, chainHash: '0'.repeat(64) })).toBe(5);
    const malformed = structuredClone(fp);
    malformed.segments[1]!.frameHashes[0] = 'XYZ';
    expect(findChainBreak(malformed)).toBe(1);
    expect(findChainBreak({ segments: [], chainHash: '' })).toBe(0);
  });

  it('refuses malformed links', () => {
    expect(() => linkHash([new Uint8Array(7)], new Uint8Array(32))).toThrow(/8-byte pHashes, got 7/);
    expect(() => linkHash([], new Uint8Array(31))).toThrow(/32-byte previous hash, got 31/);
  });
});

describe('resampling a dense fingerprint', () => {
  it('reproduces the chain of the lower rate from every m-th frame', () => {
    const f = hashes(120, 7); // 4 fps over 30 s
    const dense = fingerprintOf(f, 4, 30);
    const direct = fingerprintOf(f.filter((_, j) => j % 4 === 0), 1, 30);
    const down = resampleFingerprint(dense, 1);
    expect(down.chainHash).toBe(direct.chainHash);
    expect(down.segments).toEqual(direct.segments);
    expect(resampleFingerprint(dense, 4)).toBe(dense);
    expect(() => resampleFingerprint(dense, 3)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('reads frames back with their times and segments, and refuses bad hex', () => {
    const fp = fingerprintOf(hashes(6), 0.5, 12);
    expect(framesOf(fp).map((f) => [f.t, f.segment])).toEqual([[0, 0], [2, 0], [4, 0], [6, 1], [8, 1], [10, 2]]);
    const bad = structuredClone(fp);
    bad.segments[0]!.frameHashes[1] = 'ABCDEF0123456789';
    try {
      framesOf(bad, 'candidate');
      expect.unreachable();
    } catch (e) {
      expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
      expect((e as Error).message).toContain('"ABCDEF0123456789" in segment 0');
    }
  });

  it('knows whole-number rate ratios', () => {
    expect([integerRatio(4, 1), integerRatio(0.4, 0.1), integerRatio(1, 1), integerRatio(0.5, 0.2), integerRatio(0.1, 1)]).toEqual([
      4, 4, 1, null, null,
    ]);
  });
});
