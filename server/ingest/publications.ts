// A desk pushes the publications it made (core/workflow/publish.ts): the publication statement exactly as it was
// signed, its Ed25519 signature and key. The hub takes one only from the desk that signed the record it publishes,
// under a key that desk enrolled, about a record it holds and made from that record's signed output; then the
// published file's SHA-256 finds the record in verification. An id is taken once (a replay answers the stored result).
import { z } from 'zod';
import { canonicalJson } from '../../core/audit/canonical-json.ts';
import { ed25519Verifier } from '../../core/crypto/ed25519.ts';
import { CustodyError } from '../../core/errors.ts';
import type { HubKysely } from '../db/schema.ts';
import type { IngestCaller } from './ingest.ts';

const hex = (n: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `expected ${what} as ${n} lowercase hex characters`);

export const PublicationPushSchema = z.strictObject({
  statement: z.string().min(2).max(64 * 1024),
  signature: hex(128, 'an Ed25519 signature over the statement'),
  publicKey: hex(64, 'the Ed25519 key that signed the statement'),
});
export type PublicationPush = z.infer<typeof PublicationPushSchema>;

/** The signed publication statement (core/workflow/publish.ts PublicationStatement), as far as the hub reads it. */
const StatementSchema = z.object({
  v: z.literal(1),
  type: z.literal('custody.publication'),
  id: z.string().min(1).max(100),
  itemId: z.string().min(1).max(100),
  source: hex(64, "the signed output's SHA-256"),
  sha256: hex(64, "the published file's SHA-256"),
  publishedAt: z.string().min(1).max(64),
  publishedBy: z.string().max(200),
});

export interface PublicationResult {
  id: string;
  recordId: string;
  status: 'accepted' | 'replayed';
  receivedAt: string;
}

export async function pushPublication(db: HubKysely, caller: IngestCaller, p: PublicationPush, now = new Date()): Promise<PublicationResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(p.statement);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the publication statement as JSON, got something else');
  }
  if (canonicalJson(parsed) !== p.statement) throw new CustodyError('INVALID_ARGUMENT', 'expected the publication statement in RFC 8785 canonical JSON, as it was signed, got another serialisation');
  const s = StatementSchema.safeParse(parsed);
  if (!s.success) throw new CustodyError('INVALID_ARGUMENT', `expected a custody.publication statement, got one where ${s.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const st = s.data;
  const desk = await db.selectFrom('desks').select(['id', 'tenant_id', 'revoked_at']).where('id', '=', caller.deskId).executeTakeFirst();
  if (!desk || desk.tenant_id !== caller.tenantId) throw new CustodyError('NOT_PERMITTED', 'expected an API key issued to an enrolled desk of this tenant for a publication');
  if (desk.revoked_at) throw new CustodyError('REVOKED', `expected a publication from an enrolled desk, got one from desk ${desk.id}, revoked at ${desk.revoked_at}`, { subject: 'desk', deskId: desk.id });
  const key = await db.selectFrom('desk_keys').select('desk_id').where('public_key', '=', p.publicKey).executeTakeFirst();
  if (key?.desk_id !== desk.id) throw new CustodyError('NOT_PERMITTED', `expected a publication signed by a key this desk enrolled, got key ${p.publicKey.slice(0, 16)}…`, { publicationId: st.id });
  if (!ed25519Verifier(Buffer.from(p.publicKey, 'hex'))(Buffer.from(p.signature, 'hex'), new TextEncoder().encode(p.statement))) {
    throw new CustodyError('SIGNATURE_INVALID', `expected an Ed25519 signature over publication ${st.id}'s statement that verifies with its key, got one that does not`, { publicationId: st.id });
  }
  const record = await db.selectFrom('records').select(['desk_id', 'output_sha256']).where('tenant_id', '=', caller.tenantId).where('id', '=', st.itemId).executeTakeFirst();
  if (!record) throw new CustodyError('NOT_FOUND', `expected the record publication ${st.id} publishes (${st.itemId}) on the hub, got none: push the record first`, { publicationId: st.id });
  if (record.desk_id !== desk.id) throw new CustodyError('NOT_PERMITTED', `expected a publication of a record this desk signed, got one of record ${st.itemId}, signed by desk ${record.desk_id}`, { publicationId: st.id });
  if (record.output_sha256 !== st.source) throw new CustodyError('INVALID_ARGUMENT', `expected publication ${st.id} to be made from record ${st.itemId}'s signed output (${String(record.output_sha256).slice(0, 16)}…), got source ${st.source.slice(0, 16)}…`, { publicationId: st.id });
  const receivedAt = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const same = await trx.selectFrom('publications').select(['statement', 'received_at']).where('tenant_id', '=', caller.tenantId).where('id', '=', st.id).executeTakeFirst();
    if (same) {
      if (same.statement !== p.statement) throw new CustodyError('RECORD_CONFLICT', `expected publication ${st.id} with the statement pushed at ${same.received_at}, got another`, { publicationId: st.id });
      return { id: st.id, recordId: st.itemId, status: 'replayed' as const, receivedAt: same.received_at };
    }
    await trx.insertInto('publications').values({
      tenant_id: caller.tenantId, id: st.id, record_id: st.itemId, desk_id: desk.id, sha256: st.sha256, source_sha256: st.source, published_at: st.publishedAt,
      published_by: st.publishedBy, statement: p.statement, signature: p.signature, public_key: p.publicKey, received_at: receivedAt,
    }).execute();
    return { id: st.id, recordId: st.itemId, status: 'accepted' as const, receivedAt };
  });
}
