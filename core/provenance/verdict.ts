// The verdict: one word and a confidence, read off the independent checks.
import { PHASH_MAX_DISTANCE, WATERMARK_MAX_DISTANCE, type BaseVerdict, type Checks } from './checks.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function decideVerdict(c: Checks): { verdict: BaseVerdict; confidence: number } {
  // Credentials that contradict the content, or a record whose signature fails, mean tampering. (Valid
  // credentials from a signer this desk does not trust fail the c2pa check without meaning tampering.)
  if (c.signature.status === 'fail') return { verdict: 'tampered', confidence: 0.9 };
  if (c.c2pa.status === 'fail' && (c.c2pa.valid === false || c.c2pa.pqSignature === 'fail')) return { verdict: 'tampered', confidence: 0.9 };
  if (c.watermark.status === 'fail' && c.watermark.copied === true) return { verdict: 'tampered', confidence: 0.8 };
  // Part of the picture's content differs from the signed picture's, beyond what re-encoding, resizing, cropping or
  // a global colour change explain.
  if (c.layout?.status === 'fail') return { verdict: 'tampered', confidence: 0.85 };

  if (c.sha256.status === 'pass' && c.signature.status === 'pass') return { verdict: 'authentic', confidence: 1 };

  const wm = c.watermark.status === 'pass';
  const ph = c.phash.status === 'pass';
  if (wm || ph) {
    // Each surviving signal adds evidence, scaled by how close it came to its threshold.
    // a mark matched against its record (too weak to read blind) counts as a reading at the largest distance taken
    const wmScore = wm ? 1 - (c.watermark.matched === true ? WATERMARK_MAX_DISTANCE : num(c.watermark.distance)) / (WATERMARK_MAX_DISTANCE * 4) : 0;
    const phScore = ph ? 1 - num(c.phash.distance) / (PHASH_MAX_DISTANCE * 2) : 0;
    const confidence = wm && ph ? 0.75 + 0.24 * Math.min(wmScore, phScore) : wm ? 0.6 + 0.2 * wmScore : 0.45 + 0.2 * phScore;
    return { verdict: 'derived', confidence: Math.round(confidence * 100) / 100 };
  }
  return { verdict: 'unknown', confidence: 0 };
}

/**
 * Whether a copy is a trimmed excerpt: every segment it has is traced, nothing was changed or added, and the
 * missing segments are only at the start and the end (nothing cut out of the middle).
 */
export function isTrimmedCopy(segments: readonly { status: string }[]): boolean {
  const signed = segments.filter((s) => s.status !== 'extra');
  if (signed.length !== segments.length || signed.some((s) => s.status === 'changed')) return false;
  const first = signed.findIndex((s) => s.status !== 'missing');
  const last = signed.findLastIndex((s) => s.status !== 'missing');
  return first >= 0 && signed.slice(first, last + 1).every((s) => s.status === 'match' || s.status === 'similar');
}

/**
 * A video's verdict: authentic only for the signed bytes themselves (the exact-bytes and signature checks pass), as
 * for a photo; derived when every signed segment is traced (identical at the sampled instants, re-encoded or
 * rescaled), or when the copy is a trimmed excerpt whose every segment is traced; tampered when footage was changed,
 * cut out of the middle or added. Segments identical at their sampled instants do not make other bytes authentic:
 * the frames between the samples and the audio are compared with nothing signed (a copy with its sound replaced,
 * or frames changed between the samples, matches every segment). The confidence is the traced share of the signed
 * duration (of the segments kept, for an excerpt).
 */
export function decideVideoVerdict(c: Checks, cmp: { chainIntact: boolean; tracedFraction: number; segments: { status: string }[] } | null): { verdict: BaseVerdict; confidence: number } {
  if (c.signature.status === 'fail') return { verdict: 'tampered', confidence: 0.9 };
  if (c.c2pa.status === 'fail' && (c.c2pa.valid === false || c.c2pa.pqSignature === 'fail')) return { verdict: 'tampered', confidence: 0.9 };
  if (!cmp) return { verdict: 'unknown', confidence: 0 };
  const confidence = Math.round(cmp.tracedFraction * 100) / 100;
  const untraced = cmp.segments.some((s) => s.status === 'changed' || s.status === 'missing' || s.status === 'extra');
  if (untraced && isTrimmedCopy(cmp.segments)) return { verdict: 'derived', confidence: 1 };
  if (untraced) return { verdict: 'tampered', confidence };
  if (cmp.chainIntact && cmp.segments.every((s) => s.status === 'match') && c.sha256.status === 'pass' && c.signature.status === 'pass') return { verdict: 'authentic', confidence: 1 };
  return { verdict: 'derived', confidence };
}
