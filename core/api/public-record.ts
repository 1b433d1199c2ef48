// What a verifier without an account may see of a record: the facts a verdict rests on (which organisation and
// desk signed it, when, with which key, what kind of file, whether it is in the public log and on chain, whether
// it was published) and nothing of the newsroom's work on it (no comments, no workflow stages or approvers, no
// file paths, no user names). The signed picture itself only once the item is published: before that the picture
// may be embargoed, or be the unredacted original of a copy that was blurred to protect someone.
import { z } from 'zod';
import { publicPicture } from '../authz/policy.ts';
import type { Desk } from '../desk.ts';
import { summary } from '../provenance/verdict-words.ts';
import { anchorState } from '../sync/proofs.ts';
import type { HubVerification } from '../sync/hub-verify.ts';
import type { SignedRecord } from '../store/records.ts';

export const publicRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(['image', 'video']),
  format: z.string(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  org: z.string(),
  /** The desk's name at the organisation's hub; null when this desk is not connected to one. */
  desk: z.string().nullable(),
  keyId: z.string(),
  signedAt: z.string(),
  /** When the organisation published it; null: not published (or not yet). */
  publishedAt: z.string().nullable(),
  anchor: z.object({
    state: z.enum(['local', 'pending', 'logged', 'anchored', 'refused']),
    at: z.string().nullable(),
    chain: z.object({ chainId: z.number(), tx: z.string(), block: z.number() }).nullable(),
  }),
  /** The signed picture, small; null unless the item is published (or the caller is one of the desk's users). */
  thumbnail: z.string().nullable(),
});
export type PublicRecord = z.infer<typeof publicRecordSchema>;

export async function publicRecord(desk: Desk, record: SignedRecord, viewer: { user: boolean }, thumbnail: (r: SignedRecord) => Promise<string | null>): Promise<PublicRecord> {
  const publication = desk.workflow.status(null, record.id).publication;
  const a = anchorState(desk.store, record.id, desk.hub.link !== null);
  return {
    id: record.id,
    kind: record.kind === 'video' ? 'video' : 'image',
    format: record.format,
    width: record.width,
    height: record.height,
    org: typeof record.details.org === 'string' ? record.details.org : desk.info.org,
    desk: desk.hub.link?.deskName || null,
    keyId: record.keyId,
    signedAt: record.signedAt,
    publishedAt: publication?.publishedAt ?? null,
    // The hub's reason for a refusal is the newsroom's business; a verifier learns only that it is not in the log.
    anchor: {
      state: a.state,
      at: a.state === 'logged' || a.state === 'anchored' ? a.at : null,
      chain: a.state === 'anchored' ? { chainId: a.chain.chainId, tx: a.chain.tx, block: a.chain.block } : null,
    },
    thumbnail: publicPicture({ published: publication !== null, user: viewer.user }) ? await thumbnail(record) : null,
  };
}

type Report = Awaited<ReturnType<Desk['verify']>>;

function publicHub(h: HubVerification): HubVerification {
  if (!h.reached) return { reached: false, url: null, reason: 'not reached', summary: 'the hub was not reached: this answer is this desk\'s alone' };
  const record = h.record ? { ...h.record, desk: { id: '', name: '', revokedAt: null } } : null;
  return {
    ...h,
    url: '',
    record,
    matches: [],
    otherDesk: false,
    sent: {},
    summary: record ? `${h.verdict}: signed by ${record.org} at ${record.signedAt}` : `${h.verdict}: no desk of the organisation signed this copy`,
  };
}

/**
 * A verify report as a caller without an account receives it: the verdict, the checks and the regions stay (they
 * describe the copy the caller holds); the desk's file paths, the original's file name, who published and who
 * approved at which stage go, and so do the record's IPTC fields of an item not published (the copy's own stay).
 */
export function publicReport(r: Report): Report {
  const out: Report = { ...r, file: r.file.split(/[\\/]/).pop() ?? '' };
  if (r.signed) out.signed = { ...r.signed, input: '', output: null };
  if (r.publication) out.publication = { ...r.publication, output: '', publishedBy: '', approvals: [] };
  // IPTC fields from the record (not from the copy in hand) are work not yet public until the item is published.
  if (r.metadata?.source === 'record' && !r.publication) delete out.metadata;
  // What the hub said, as a verifier may hear it: its verdict and the organisation, not the hub's address, its reason
  // for not answering, or which records and desks matched (found in review: all three went to visitors).
  if (r.hub) out.hub = publicHub(r.hub);
  // The sentence again, from what is left (it named the original's file, the publisher and the approvers).
  if (r.summary !== undefined) out.summary = summary(out);
  return out;
}
