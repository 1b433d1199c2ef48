// The verdict in one sentence a picture editor understands: what this file is, who signed it, when, on which desk,
// and who approved its publication. Shared by the command line and the Verify screen (report.summary).
import { basename } from 'node:path';
import type { VerifyReport } from './checks.ts';
import { isTrimmedCopy } from './verdict.ts';

const day = (iso: string): string => iso.replace('T', ' ').slice(0, 16) + ' UTC';

function signedBy(r: VerifyReport): string {
  const s = r.signed;
  if (!s) return '';
  // A verifier without an account is not told the original's file name (core/api/public-record.ts).
  return ` Signed by ${s.org || 'this desk'} on ${day(s.signedAt)} (desk key ${s.keyId})${s.input ? ` from ${s.input}` : ''}.`;
}

function approvedBy(r: VerifyReport): string {
  const p = r.publication;
  if (!p) return '';
  const who = p.approvals.map((a) => `${a.by} (${a.stage})`);
  return ` Published${p.publishedBy ? ` by ${p.publishedBy}` : ''} on ${day(p.publishedAt)}${who.length ? `, approved by ${who.join(', ')}` : ''}.`;
}

export function summary(r: VerifyReport): string {
  const rec = r.recordId ? `record ${r.recordId}` : '';
  switch (r.verdict) {
    case 'authentic':
      return `This is the file signed as ${rec}, unchanged.${signedBy(r)}${approvedBy(r)}`;
    case 'original': {
      const where = r.publication?.output
        ? ` The published version is ${basename(r.publication.output)}.`
        : r.signed?.output ? ` The signed version is ${basename(r.signed.output)}.` : '';
      return `This is the file ${rec} was signed from, not the signed version.${where}${signedBy(r)}`;
    }
    case 'published':
      return r.checks.sha256.status === 'pass'
        ? `This is the organisation's published version of ${rec}.${approvedBy(r)}${signedBy(r)}`
        : `A copy of the organisation's published version of ${rec} (re-encoded, resized or cropped; the picture is unchanged).${approvedBy(r)}${signedBy(r)}`;
    case 'derived': {
      if (!r.segments) return `A copy of the picture signed as ${rec}: re-encoded, resized or cropped, its content unchanged.${signedBy(r)}`;
      const kept = keptSpan(r.segments);
      return kept && r.segments.some((s) => s.status === 'missing')
        ? `An excerpt of the video signed as ${rec} (${clock(kept.start)}–${clock(kept.end)} of it): every segment in it matches the signed footage.${signedBy(r)}`
        : `A re-encoded copy of the video signed as ${rec}: every segment matches the signed footage visually.${signedBy(r)}`;
    }
    case 'tampered':
      if (r.regions?.length) return `The picture signed as ${rec}, but part of it was changed after signing (${r.regions.length === 1 ? 'one area' : `${r.regions.length} areas`}).${signedBy(r)}`;
      if (r.changedRanges?.length) return `Footage of the video signed as ${rec}, but parts were changed, cut or added.${signedBy(r)}`;
      return rec ? `Linked to ${rec}, but its content or credentials no longer match what was signed.${signedBy(r)}` : 'Its credentials no longer match its content.';
    case 'unknown':
      return 'Nothing on this desk vouches for this file. It may be genuine, but it was not signed here.';
  }
}

type Segments = NonNullable<VerifyReport['segments']>;

const clock = (sec: number): string => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

/** The stretch of the signed video a copy keeps: from its first traced segment to its last. */
function keptSpan(segments: Segments): { start: number; end: number } | null {
  const kept = segments.filter((s) => s.status === 'match' || s.status === 'similar');
  return kept.length ? { start: kept[0]!.start, end: kept.at(-1)!.end } : null;
}

/**
 * What happened to a video's footage, in words, for the line under the verdict (CLI) and the timeline (Verify
 * screen). A re-encode re-hashes differently, so its segment chain cannot be intact; that is no reason to say
 * "broken" when every segment matches the signed footage visually.
 */
export function footageWords(r: Pick<VerifyReport, 'segments' | 'chainIntact' | 'changedRanges'>): string | undefined {
  const segments = r.segments;
  if (!segments?.length) return undefined;
  const count = (st: Segments[number]['status']): number => segments.filter((s) => s.status === st).length;
  const signed = segments.length - count('extra');
  const traced = count('match') + count('similar');
  if (traced === signed && count('extra') === 0) {
    if (r.chainIntact && count('similar') === 0) return 'every segment is the signed footage, frame for frame and in order (segment chain intact)';
    return `re-encoded: every segment matches the signed footage visually (${traced} of ${signed}); the bytes differ, so the segment chain cannot be re-hashed to the signed one`;
  }
  const kept = keptSpan(segments);
  if (kept && isTrimmedCopy(segments)) {
    return `an excerpt: ${clock(kept.start)}–${clock(kept.end)} of the signed video, every segment in it matching the signed footage; the rest was cut`;
  }
  const what = { changed: 'changed', missing: 'cut', extra: 'added' } as const;
  const ranges = (r.changedRanges ?? []).map((g) => `${clock(g.start)}–${clock(g.end)} ${what[g.status]}`);
  return `changed: ${ranges.join('; ') || 'parts of the footage differ from the signed video'} (${traced} of ${signed} signed segments traced)`;
}
