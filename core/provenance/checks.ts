// The shape of a verification report: every signal computed and reported on its own (DESIGN.md, "Verify").
import type { PublicationSummary, SignedSummary } from './file-kind.ts';
import type { HubVerification } from '../sync/hub-verify.ts';
import type { MetadataSignal } from './metadata-signal.ts';

export type CheckStatus = 'pass' | 'fail' | 'absent' | 'skipped';

export interface Check {
  status: CheckStatus;
  /** A sentence saying what was found, for people. */
  detail: string;
  [evidence: string]: unknown;
}

/**
 * authentic: the signed file, unchanged; original: the unsigned file a record was signed from; published: the
 * organisation's published version, or a copy of an item that was published; derived: a re-encoded, resized or
 * cropped copy; tampered: content changed; unknown: nothing here vouches for it.
 */
export type Verdict = BaseVerdict | 'original' | 'published';
/** What the signals alone decide (the hub's verdicts); which file of a record it is refines it on the desk. */
export type BaseVerdict = 'authentic' | 'derived' | 'tampered' | 'unknown';

export interface Checks {
  sha256: Check;
  signature: Check;
  watermark: Check;
  phash: Check;
  c2pa: Check;
  anchor: Check;
  /** Images: the copy laid over the signed picture's layout; fails when part of the content changed. */
  layout?: Check;
}

export interface VideoSegmentReport {
  index: number;
  /** Seconds; for 'extra' footage, where it sits in the checked file. */
  start: number;
  end: number;
  status: 'match' | 'similar' | 'changed' | 'missing' | 'extra';
}

/** A changed area, in the signed original's pixels. */
export interface ChangedRegion {
  x: number;
  y: number;
  w: number;
  h: number;
  kind: 'changed' | 'smoothed' | 'global';
}

export interface VerifyReport {
  file: string;
  format: string;
  verdict: Verdict;
  confidence: number;
  recordId: string | null;
  checks: Checks;
  /** Video: every sampled frame identical and in place (the segment chain recomputes to the signed one). */
  chainIntact?: boolean;
  /** The verdict in one sentence for people (verdict-words.ts). */
  summary?: string;
  /** Who signed the record, when, with which desk key. */
  signed?: SignedSummary;
  /** The record's publication (the published file, who approved it and when), when it was published. */
  publication?: PublicationSummary;
  /** Images: the areas whose content changed, in the signed original's pixels (empty: only global transforms). */
  regions?: ChangedRegion[];
  /** Images: the signed original's size, for drawing `regions`. */
  original?: { width: number; height: number };
  /** Images: the part of the original the copy shows (a crop), in the original's pixels. */
  footprint?: { x: number; y: number; w: number; h: number };
  /** Video: each signed segment's fate in the checked file, with 'extra' footage where it was inserted. */
  segments?: VideoSegmentReport[];
  /** Video: the time ranges (signed time; 'extra' in the checked file's time) that are not traced, merged. */
  changedRanges?: { start: number; end: number; status: 'changed' | 'missing' | 'extra' }[];
  /** Images: the IPTC fields (headline, caption, byline, …) and whether they come signed (metadata-signal.ts). */
  metadata?: MetadataSignal;
  /** The organisation's hub, asked with the copy's fingerprints when the desk is connected (core/sync/hub-verify.ts). */
  hub?: HubVerification;
}

/** Thresholds from DESIGN.md: watermark payload within Hamming 6 of 128 bits, pHash within 10 of 64. */
export const WATERMARK_MAX_DISTANCE = 6;
export const PHASH_MAX_DISTANCE = 10;
/**
 * Beyond this pHash distance a matching watermark cannot belong to the same picture: different photos are ≥ 20
 * bits apart (BENCHMARKS.md), while a 25 % crop of the same photo reaches 26; past 26 the watermark was copied.
 */
export const PHASH_COPIED_WATERMARK = 26;
