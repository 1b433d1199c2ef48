// Records as verification answers name them: the record, its organisation and desk. Read by (tenant, seq) for
// index hits and by hash for exact matches.
import type { HubKysely } from '../db/schema.ts';

export interface RecordSummary {
  id: string;
  kind: 'image' | 'video' | 'segment';
  tenantId: string;
  org: string;
  desk: { id: string; name: string; revokedAt: string | null };
  signedAt: string;
  receivedAt: string;
  publicKey: string;
  sha256: string;
  outputSha256: string | null;
  phash: string;
  payload: string | null;
  parentId: string | null;
  segmentIndex: number | null;
  manifestId: string | null;
  seq: number;
}

function base(db: HubKysely) {
  return db.selectFrom('records as r')
    .innerJoin('desks as d', 'd.id', 'r.desk_id')
    .innerJoin('tenants as t', 't.id', 'r.tenant_id')
    .select(['r.id', 'r.kind', 'r.tenant_id', 't.name as org', 'd.id as desk_id', 'd.name as desk_name', 'd.revoked_at', 'r.signed_at', 'r.received_at', 'r.public_key',
      'r.sha256', 'r.output_sha256', 'r.phash', 'r.payload', 'r.parent_id', 'r.segment_index', 'r.manifest_id', 'r.tenant_seq']);
}

type Row = Awaited<ReturnType<ReturnType<typeof base>['execute']>>[number];

const summary = (r: Row): RecordSummary => ({
  id: r.id,
  kind: r.kind,
  tenantId: r.tenant_id,
  org: r.org,
  desk: { id: r.desk_id, name: r.desk_name, revokedAt: r.revoked_at },
  signedAt: r.signed_at,
  receivedAt: r.received_at,
  publicKey: r.public_key,
  sha256: r.sha256,
  outputSha256: r.output_sha256,
  phash: r.phash,
  payload: r.payload,
  parentId: r.parent_id,
  segmentIndex: r.segment_index,
  manifestId: r.manifest_id,
  seq: r.tenant_seq,
});

export async function recordsBySeq(db: HubKysely, tenantId: string, seqs: readonly number[]): Promise<Map<number, RecordSummary>> {
  const out = new Map<number, RecordSummary>();
  for (let i = 0; i < seqs.length; i += 500) {
    const rows = await base(db).where('r.tenant_id', '=', tenantId).where('r.tenant_seq', 'in', seqs.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.tenant_seq, summary(r));
  }
  return out;
}

/**
 * Image and video records whose original or signed output has this SHA-256 (null tenants: every tenant). The
 * original's SHA-256 is in the fingerprint its desk signed; the output's only in the whole-record signature, so a
 * record stored before desks signed whole records (record_signature null) is not found by its output's SHA-256: its
 * desk never vouched for that field, and whoever held an ingest key could have set it.
 */
export async function recordsBySha256(db: HubKysely, tenantIds: readonly string[] | null, sha256: string, limit = 10): Promise<RecordSummary[]> {
  if (tenantIds?.length === 0) return [];
  let q = base(db).where('r.kind', '!=', 'segment')
    .where((eb) => eb.or([eb('r.sha256', '=', sha256), eb.and([eb('r.output_sha256', '=', sha256), eb('r.record_signature', 'is not', null)])]));
  if (tenantIds) q = q.where('r.tenant_id', 'in', tenantIds);
  return (await q.orderBy('r.received_at').limit(limit).execute()).map(summary);
}

/** A publication pushed by a desk, as verification names it. */
export interface PublicationSummary {
  id: string;
  recordId: string;
  publishedAt: string;
  publishedBy: string;
}

/** Records one of whose publications has exactly this SHA-256 (null tenants: every tenant), with the publication. */
export async function publicationsBySha256(db: HubKysely, tenantIds: readonly string[] | null, sha256: string, limit = 10): Promise<{ record: RecordSummary; publication: PublicationSummary }[]> {
  if (tenantIds?.length === 0) return [];
  let q = db.selectFrom('publications').select(['tenant_id', 'id', 'record_id', 'published_at', 'published_by']).where('sha256', '=', sha256);
  if (tenantIds) q = q.where('tenant_id', 'in', tenantIds);
  const out: { record: RecordSummary; publication: PublicationSummary }[] = [];
  for (const p of await q.orderBy('received_at').limit(limit).execute()) {
    const record = await recordById(db, p.tenant_id, p.record_id);
    if (record) out.push({ record, publication: { id: p.id, recordId: p.record_id, publishedAt: p.published_at, publishedBy: p.published_by } });
  }
  return out;
}

export async function recordById(db: HubKysely, tenantId: string, id: string): Promise<RecordSummary | null> {
  const r = await base(db).where('r.tenant_id', '=', tenantId).where('r.id', '=', id).executeTakeFirst();
  return r ? summary(r) : null;
}

export async function segmentsOf(db: HubKysely, tenantId: string, parentId: string): Promise<RecordSummary[]> {
  return (await base(db).where('r.tenant_id', '=', tenantId).where('r.parent_id', '=', parentId).orderBy('r.segment_index').execute()).map(summary);
}
