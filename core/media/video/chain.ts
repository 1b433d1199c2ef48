// The segment chain (DESIGN "Sign (video)"): 5-second segments,
// segment_hash[i] = SHA-256(ph_0 ‖ … ‖ ph_k ‖ segment_hash[i-1]) over the raw 8-byte pHashes of the frames sampled
// in segment i, starting from 32 zero bytes. A segment without a sampled frame (every other one at 0.1 fps) still
// takes a link: SHA-256(segment_hash[i-1]).
import { createHash } from 'node:crypto';
import { CustodyError } from '../../errors.ts';
import { frameTime } from './frames.ts';
import type { VideoSegment } from './types.ts';

export const SEGMENT_SECONDS = 5;
export const CHAIN_SEED: Uint8Array = new Uint8Array(32);

/** The segment that frame j (sampled at j / sampleRate s) falls in. */
export function segmentOfFrame(j: number, sampleRate: number): number {
  // The epsilon keeps 0.1-fps times like 30.000000000000004 from landing one segment late.
  return Math.floor(j / sampleRate / SEGMENT_SECONDS + 1e-9);
}

export function segmentCount(durationSec: number, frameCount: number, sampleRate: number): number {
  const byDuration = Math.ceil(durationSec / SEGMENT_SECONDS - 1e-9);
  const byFrames = frameCount > 0 ? segmentOfFrame(frameCount - 1, sampleRate) + 1 : 0;
  return Math.max(1, byDuration, byFrames);
}

/** One link: SHA-256 of the segment's pHashes followed by the previous link. */
export function linkHash(frameHashes: readonly Uint8Array[], previous: Uint8Array): Uint8Array {
  if (previous.length !== 32) throw new CustodyError('INVALID_ARGUMENT', `expected a 32-byte previous hash, got ${previous.length} bytes`);
  const h = createHash('sha256');
  for (const ph of frameHashes) {
    if (ph.length !== 8) throw new CustodyError('INVALID_ARGUMENT', `expected 8-byte pHashes, got ${ph.length} bytes`);
    h.update(ph);
  }
  h.update(previous);
  return new Uint8Array(h.digest());
}

/** Groups per-frame pHashes (frame j at j / sampleRate s) into chained 5-second segments. */
export function buildChain(
  frameHashes: readonly Uint8Array[],
  sampleRate: number,
  durationSec: number,
): { segments: VideoSegment[]; chainHash: string } {
  const n = segmentCount(durationSec, frameHashes.length, sampleRate);
  const groups: Uint8Array[][] = Array.from({ length: n }, () => []);
  frameHashes.forEach((ph, j) => groups[segmentOfFrame(j, sampleRate)]!.push(ph));
  const end = Math.max(durationSec, frameHashes.length ? frameTime(frameHashes.length - 1, sampleRate) : 0);
  let prev = CHAIN_SEED;
  const segments = groups.map((g, index): VideoSegment => {
    prev = linkHash(g, prev);
    return {
      index,
      start: index * SEGMENT_SECONDS,
      end: index === n - 1 ? roundUs(end) : (index + 1) * SEGMENT_SECONDS,
      frameHashes: g.map((ph) => Buffer.from(ph).toString('hex')),
      hash: Buffer.from(prev).toString('hex'),
    };
  });
  return { segments, chainHash: Buffer.from(prev).toString('hex') };
}

const roundUs = (s: number): number => Math.round(s * 1e6) / 1e6;

const HEX16 = /^[0-9a-f]{16}$/;

/**
 * Recomputes the chain of a stored fingerprint from its frame hashes. Returns the first segment whose stored hash
 * disagrees (or whose data is malformed), or null when every link and the chain hash check out.
 */
export function findChainBreak(fp: { segments: readonly VideoSegment[]; chainHash: string }): number | null {
  let prev = CHAIN_SEED;
  for (let i = 0; i < fp.segments.length; i++) {
    const s = fp.segments[i]!;
    if (s.index !== i || !s.frameHashes.every((h) => HEX16.test(h))) return i;
    prev = linkHash(s.frameHashes.map((h) => new Uint8Array(Buffer.from(h, 'hex'))), prev);
    if (Buffer.from(prev).toString('hex') !== s.hash) return i;
  }
  if (fp.segments.length === 0) return 0;
  return Buffer.from(prev).toString('hex') === fp.chainHash ? null : fp.segments.length - 1;
}
