// The video verify pipeline: exact bytes first; otherwise the checked file is fingerprinted (4× as densely as
// the schedule, so that trimmed copies align to a quarter interval) and compared segment by segment with the
// signed videos it shares footage with. Reports chainIntact, each segment's status and the changed time ranges.
import { readFile, stat } from 'node:fs/promises';
import { hammingHex, sha256File } from '../media/hash.ts';
import { forwardOnly, within, type ProgressListener } from '../media/progress.ts';
import type { VideoFormat } from '../media/detect.ts';
import { compareVideo } from '../media/video/compare.ts';
import { fingerprintVideo } from '../media/video/fingerprint.ts';
import { resampleFingerprint } from '../media/video/resample.ts';
import type { VideoComparison, VideoFingerprint } from '../media/video/types.ts';
import { vouchesFor } from './record-binding.ts';
import { findBySha256, getRecord, type SignedRecord } from '../store/records.ts';
import { latestPublication, publicationByBytes, signedSummary, verdictForFile } from './file-kind.ts';
import { PHASH_MAX_DISTANCE, type Checks, type VerifyReport } from './checks.ts';
import { C2PA_VIDEO_MAX_BYTES, MAX_VIDEO_BYTES } from './sign-video.ts';
import { anchorCheck } from './anchor-check.ts';
import { decideVideoVerdict, isTrimmedCopy } from './verdict.ts';
import { c2paCheck, exactBytesCheck, signatureCheck, type VerifyContext } from './verify-common.ts';
import { signedFingerprint, videoParents } from './video-records.ts';

const OVERSAMPLE = 4;
/** A signed video is compared in full only when this share of the checked file's frames has a near twin in it. */
const PREFILTER_SHARE = 0.1;

export interface VideoVerifyOptions {
  /** How far the check has got, 0 to 100 % (core/media/progress.ts): mostly fingerprinting the copy. */
  onProgress?: ProgressListener;
}

function sharesFootage(signed: VideoFingerprint, candidate: VideoFingerprint): boolean {
  const signedFrames = signed.segments.flatMap((s) => s.frameHashes);
  const frames = candidate.segments.flatMap((s) => s.frameHashes);
  if (frames.length === 0 || signedFrames.length === 0) return false;
  let near = 0;
  for (const f of frames) if (signedFrames.some((g) => hammingHex(f, g) <= PHASH_MAX_DISTANCE)) near++;
  return near / frames.length >= PREFILTER_SHARE;
}

/** Merges consecutive untraced segments into time ranges. */
function changedRanges(cmp: VideoComparison): NonNullable<VerifyReport['changedRanges']> {
  const out: NonNullable<VerifyReport['changedRanges']> = [];
  for (const s of cmp.segments) {
    if (s.status === 'match' || s.status === 'similar') continue;
    const last = out.at(-1);
    if (last && last.status === s.status && Math.abs(last.end - s.start) < 1e-6) last.end = s.end;
    else out.push({ start: s.start, end: s.end, status: s.status });
  }
  return out;
}

export async function verifyVideo(ctx: VerifyContext, path: string, format: VideoFormat, opts: VideoVerifyOptions = {}): Promise<VerifyReport> {
  const { size } = await stat(path);
  const sha256 = await sha256File(path);
  const exact = findBySha256(ctx.db, sha256).find((r) => r.kind === 'video' && vouchesFor(ctx.db, r, sha256)) ?? null;
  // A published MP4 carries its own manifest, so its bytes are not the signed output's; its statement names them.
  const publishedBytes = exact ? null : publicationByBytes(ctx.db, sha256);
  const publishedItem = publishedBytes ? getRecord(ctx.db, publishedBytes.itemId) : null;
  const whole = exact ?? (publishedItem?.kind === 'video' ? publishedItem : null);
  const c2pa = format === 'mp4' && size <= C2PA_VIDEO_MAX_BYTES
    ? await c2paCheck(await readFile(path), 'video/mp4', format, ctx)
    : { check: { status: 'skipped' as const, reason: format === 'mp4' ? 'VIDEO_TOO_LARGE_FOR_C2PA' : 'FORMAT_NOT_SUPPORTED_BY_C2PA', detail: `Content Credentials are not read from this ${format.toUpperCase()} file` }, recordId: null, manifest: null };

  let record: SignedRecord | null = whole;
  let comparison: VideoComparison | null = null;
  if (whole) {
    // The signed (or published) bytes themselves: every segment is in place without decoding a frame.
    const signed = signedFingerprint(ctx.db, whole);
    comparison = { chainIntact: true, tracedFraction: 1, segments: signed.segments.map((s) => ({ index: s.index, start: s.start, end: s.end, status: 'match' })) };
  } else {
    // The first fingerprint is the figure; one at another signed rate (rare) runs on at 95 %, which never goes back.
    const listener = opts.onProgress ? forwardOnly(opts.onProgress) : null;
    const progress = listener ? { onProgress: within(listener, 0, 95) } : {};
    const byRate = new Map<number, VideoFingerprint>();
    const candidateAt = async (rate: number | null): Promise<VideoFingerprint> => {
      const key = rate ?? 0;
      let fp = byRate.get(key);
      if (!fp) {
        fp = await fingerprintVideo(path, { maxBytes: MAX_VIDEO_BYTES, maxDurationSec: ctx.limits.maxVideoSeconds, oversample: OVERSAMPLE, sha256, ...(rate ? { sampleRate: rate } : {}), ...progress });
        byRate.set(key, fp);
        byRate.set(fp.sampleRate / OVERSAMPLE, fp);
      }
      return fp;
    };
    const first = await candidateAt(null);
    const parents = videoParents(ctx.db);
    // A manifest naming its record is checked first; then every signed video sharing footage, best traced wins.
    parents.sort((a, b) => Number(b.id === c2pa.recordId) - Number(a.id === c2pa.recordId));
    for (const parent of parents) {
      const signed = signedFingerprint(ctx.db, parent);
      const candidate = signed.sampleRate * OVERSAMPLE === first.sampleRate ? first : await candidateAt(signed.sampleRate);
      if (parent.id !== c2pa.recordId && !sharesFootage(resampleFingerprint(candidate, signed.sampleRate), signed)) continue;
      const cmp = compareVideo(signed, candidate);
      if (!comparison || cmp.tracedFraction > comparison.tracedFraction) {
        comparison = cmp;
        record = parent;
      }
    }
    if (comparison && comparison.tracedFraction === 0 && record?.id !== c2pa.recordId) {
      comparison = null;
      record = null;
    }
  }

  const counts = { match: 0, similar: 0, changed: 0, missing: 0, extra: 0 };
  for (const s of comparison?.segments ?? []) counts[s.status]++;
  const signedSegments = counts.match + counts.similar + counts.changed + counts.missing;
  const traced = counts.match + counts.similar;
  const trimmed = counts.missing > 0 && comparison !== null && isTrimmedCopy(comparison.segments);
  const checks: Checks = {
    sha256: exactBytesCheck(exact, record, sha256, publishedBytes),
    signature: signatureCheck(ctx.db, record, { sha256, c2pa, phashDistance: null, published: publishedBytes }),
    watermark: { status: 'skipped', reason: 'NOT_APPLICABLE_TO_VIDEO', detail: 'videos are traced by their frames, not by a watermark' },
    phash: comparison && record
      ? {
          status: counts.changed + counts.missing + counts.extra === 0 || trimmed ? 'pass' : 'fail',
          recordId: record.id,
          tracedFraction: Math.round(comparison.tracedFraction * 1000) / 1000,
          chainIntact: comparison.chainIntact,
          segments: counts,
          detail: `${traced} of ${signedSegments} segments of record ${record.id} traced (${counts.match} identical, ${counts.similar} re-encoded)` +
            (trimmed
              ? `; ${counts.missing} missing at the start or end (a trimmed excerpt)`
              : counts.changed + counts.missing + counts.extra ? `; ${counts.changed} changed, ${counts.missing} missing, ${counts.extra} added` : ''),
        }
      : { status: 'absent', detail: 'no signed video on this desk shares footage with this one' },
    c2pa: c2pa.check,
    anchor: anchorCheck(ctx.db, record?.id ?? null),
  };
  const publication = record ? latestPublication(ctx.db, record.id) : null;
  const { verdict, confidence } = verdictForFile(decideVideoVerdict(checks, comparison), { sha256, record, publication });
  const report: VerifyReport = {
    file: path, format, verdict, confidence, recordId: record?.id ?? null, checks,
    ...(record ? { signed: signedSummary(record) } : {}),
    ...(publication ? { publication } : {}),
  };
  if (comparison) {
    report.chainIntact = comparison.chainIntact;
    report.segments = comparison.segments.map((s) => ({ index: s.index, start: s.start, end: s.end, status: s.status }));
    report.changedRanges = changedRanges(comparison);
  }
  return report;
}
