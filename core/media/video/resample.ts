// Frame lists out of fingerprints, and a fingerprint's chain recomputed at a lower sampling rate.
//
// At rate m·R, frame m·j is the picture on screen at j/R, exactly the picture frame j holds at rate R (frames.ts),
// so a fingerprint taken at m·R carries the rate-R fingerprint inside it: verification can sample a candidate
// densely once (for a precise alignment) and still check the signed chain bit for bit.
import { CustodyError } from '../../errors.ts';
import { buildChain } from './chain.ts';
import { frameTime } from './frames.ts';
import type { VideoFingerprint } from './types.ts';

export interface Frame {
  /** Seconds from the first video frame. */
  t: number;
  /** The segment of the fingerprint the frame came from. */
  segment: number;
  /** The 64-bit pHash as two 32-bit halves, for a fast Hamming distance. */
  hi: number;
  lo: number;
}

const HEX16 = /^[0-9a-f]{16}$/;

/** The sampled frames of a fingerprint in time order (frame j at j / sampleRate). */
export function framesOf(fp: Pick<VideoFingerprint, 'segments' | 'sampleRate'>, which = 'fingerprint'): Frame[] {
  if (!(fp.sampleRate > 0)) throw new CustodyError('INVALID_ARGUMENT', `expected the ${which}'s sampleRate > 0, got ${fp.sampleRate}`);
  const out: Frame[] = [];
  for (const s of fp.segments) {
    for (const h of s.frameHashes) {
      if (!HEX16.test(h)) {
        throw new CustodyError('INVALID_ARGUMENT', `expected 16 lowercase hex digits per frame hash in the ${which}, got "${h}" in segment ${s.index}`);
      }
      const t = frameTime(out.length, fp.sampleRate);
      out.push({ t, segment: s.index, hi: parseInt(h.slice(0, 8), 16), lo: parseInt(h.slice(8), 16) });
    }
  }
  return out;
}

/** Integer k with a = k·b (to 1e-6), or null. */
export function integerRatio(a: number, b: number): number | null {
  const k = Math.round(a / b);
  return k >= 1 && Math.abs(a - k * b) <= 1e-6 * Math.max(a, b) ? k : null;
}

/**
 * The fingerprint that sampling at `rate` would have given, from one taken at an integer multiple of it. The frames
 * are exactly those of a direct run, so segment and chain hashes agree with it bit for bit.
 */
export function resampleFingerprint(fp: VideoFingerprint, rate: number): VideoFingerprint {
  const m = integerRatio(fp.sampleRate, rate);
  if (m === null) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a rate that divides the fingerprint's ${fp.sampleRate} fps by a whole number, got ${rate}`);
  }
  if (m === 1) return fp;
  const frames = fp.segments.flatMap((s) => s.frameHashes).filter((_, j) => j % m === 0);
  const { segments, chainHash } = buildChain(
    frames.map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
    rate,
    fp.durationSec,
  );
  return { ...fp, sampleRate: rate, segments, chainHash };
}
