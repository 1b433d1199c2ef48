// A verification answer in plain words, for people who have never heard of a pHash.
import { z } from 'zod';
import type { ImageSignals } from '../../core/provenance/image-signals.ts';
import type { VerifyAnswer } from '../verify/service.ts';

export const PublicAnswerSchema = z.object({
  verdict: z.enum(['authentic', 'derived', 'tampered', 'unknown']),
  headline: z.string(),
  confidence: z.number(),
  signedBy: z.object({ org: z.string(), desk: z.string(), signedAt: z.string(), recordId: z.string(), deskRevoked: z.boolean() }).nullable(),
  signals: z.array(z.object({ name: z.string(), status: z.enum(['pass', 'fail', 'absent', 'skipped']), words: z.string() })),
  file: z.object({ format: z.string(), width: z.number(), height: z.number(), kept: z.literal(false) }),
  deepSearched: z.boolean().meta({ description: 'The deep watermark search ran: asked for (?deep=1), or on its own because the photo looks like a signed one' }),
}).meta({ id: 'PublicAnswer' });

export type PublicAnswer = z.infer<typeof PublicAnswerSchema>;

const day = (iso: string): string => new Date(iso).toUTCString().replace(' GMT', ' UTC');

/** `matchSkipped`: the upload's mark was not read and records look like it, but the hub was too busy to match them. */
export function explain(s: ImageSignals, a: VerifyAnswer, opts: { matchSkipped?: boolean } = {}): PublicAnswer {
  const r = a.record;
  const who = r ? `${r.org} (desk “${r.desk.name}”)` : '';
  const headline = {
    authentic: `This is the exact file ${who} signed on ${r ? day(r.signedAt) : ''}.`,
    derived: `This is a copy of a photo ${who} signed on ${r ? day(r.signedAt) : ''}: re-saved, resized or cropped, but the same picture.`,
    tampered: `This photo carries signs of ${who || 'a signed record'}, but it does not match what was signed: it was altered, or a mark was copied onto another picture.`,
    unknown: 'No organisation on this hub signed this photo, as far as its fingerprints tell. That does not make it fake: it may come from elsewhere, or have changed beyond recognition.',
  }[a.verdict];

  const c = a.checks;
  const wm = s.watermark;
  const signals: PublicAnswer['signals'] = [
    {
      name: 'Exact file',
      status: c.sha256.status,
      words: c.sha256.status === 'pass' ? `Byte for byte the ${String(c.sha256['which'] ?? 'signed')} file.` : 'The bytes differ from every signed file, as they do for any copy that was saved again.',
    },
    {
      name: 'Invisible watermark',
      status: wm === null ? 'skipped' : c.watermark.status,
      words: wm === null
        ? 'The picture is too small to look for the invisible watermark in.'
        : !wm.detected ? (wm.deep ? 'No invisible watermark was found in the picture, by the deeper search either.' : 'No invisible watermark was found in the picture.') +
          (opts.matchSkipped ? ' Signed photos look like it, but the hub is too busy to match it against their watermarks now: try again in a minute.' : '')
          : c.watermark.status === 'pass' && wm.matched ? 'An invisible watermark too faint to read on its own was found by matching it against the signed record\'s: it is that record\'s mark.'
          : c.watermark.status === 'pass' ? `An invisible watermark was found and it names the signed record (${String(c.watermark['distance'])} of its 128 bits unreadable).`
            : c.watermark['copied'] ? 'An invisible watermark was found, but it belongs to a different picture: it was copied.'
              : 'An invisible watermark was found, but no organisation on this hub made it.',
    },
    {
      name: 'Looks the same',
      status: c.phash.status,
      words: c.phash.status === 'pass' ? `The picture looks like the signed one (${String(c.phash['distance'])} of 64 visual features differ; up to 10 is the same picture).`
        : c.phash.status === 'fail' ? `The picture looks different from the signed one (${String(c.phash['distance'])} of 64 visual features differ).`
          : 'No signed picture looks like this one.',
    },
    {
      name: 'Signature',
      status: c.signature.status,
      words: c.signature.status === 'pass' ? "The organisation's digital signature on what it recorded checks out." : 'There is no signed record to check.',
    },
  ];
  return {
    verdict: a.verdict,
    headline,
    confidence: a.confidence,
    signedBy: r ? { org: r.org, desk: r.desk.name, signedAt: r.signedAt, recordId: r.id, deskRevoked: r.desk.revokedAt !== null } : null,
    signals,
    file: { format: s.format, width: s.width, height: s.height, kept: false },
    deepSearched: s.watermark?.deep ?? false,
  };
}
