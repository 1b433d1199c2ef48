// The verdict in one sentence a picture editor understands: what this file is, who signed it, when, on which desk,
// and who approved its publication. Shared by the command line and the Verify screen (report.summary).
import { basename } from 'node:path';
import type { VerifyReport } from './checks.ts';

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
    case 'derived':
      return r.segments
        ? `A copy of the video signed as ${rec}: re-encoded or trimmed, every segment it has matches the signed footage.${signedBy(r)}`
        : `A copy of the picture signed as ${rec}: re-encoded, resized or cropped, its content unchanged.${signedBy(r)}`;
    case 'tampered':
      if (r.regions?.length) return `The picture signed as ${rec}, but part of it was changed after signing (${r.regions.length === 1 ? 'one area' : `${r.regions.length} areas`}).${signedBy(r)}`;
      if (r.changedRanges?.length) return `Footage of the video signed as ${rec}, but parts were changed, cut or added.${signedBy(r)}`;
      return rec ? `Linked to ${rec}, but its content or credentials no longer match what was signed.${signedBy(r)}` : 'Its credentials no longer match its content.';
    case 'unknown':
      return 'Nothing on this desk vouches for this file. It may be genuine, but it was not signed here.';
  }
}
