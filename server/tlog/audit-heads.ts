// A desk pushes the head of its audit log (seq, hash, signed by one of its enrolled keys); the hub appends it to the
// organisation's transparency log. Once a checkpoint covering it is signed (and anchored), rewriting the desk's log
// before that head shows, even to someone who re-signs every entry with the desk's own keys.
import { z } from 'zod';
import { headSigningMessage } from '../../core/audit/entry.ts';
import { ed25519Verifier } from '../../core/crypto/ed25519.ts';
import { CustodyError } from '../../core/errors.ts';
import { leafHashOf, type AuditHeadLeaf } from '../../core/tlog/leaves.ts';
import type { Dialect, HubKysely } from '../db/schema.ts';
import type { IngestCaller } from '../ingest/ingest.ts';
import { lockTenant } from '../tenants/lock.ts';
import { appendLeaves } from './log-store.ts';

const hex = (n: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `expected ${what} as ${n} lowercase hex characters`);

export const AuditHeadPushSchema = z.strictObject({
  seq: z.int().min(1).max(2 ** 31 - 1),
  hash: hex(64, 'the head entry\'s SHA-256'),
  publicKey: hex(64, 'the Ed25519 key that signed the head'),
  signature: hex(128, 'an Ed25519 signature over custody-audit-head/v1:<seq>:<hash>'),
});
export type AuditHeadPush = z.infer<typeof AuditHeadPushSchema>;

export interface AuditHeadResult {
  index: number;
  status: 'accepted' | 'replayed';
  receivedAt: string;
  logSize: number;
}

export async function pushAuditHead(db: HubKysely, dialect: Dialect, caller: IngestCaller, head: AuditHeadPush, now = new Date()): Promise<AuditHeadResult> {
  const desk = await db.selectFrom('desks').select(['id', 'tenant_id', 'revoked_at']).where('id', '=', caller.deskId).executeTakeFirst();
  if (!desk || desk.tenant_id !== caller.tenantId) throw new CustodyError('NOT_PERMITTED', 'expected an API key issued to an enrolled desk of this tenant for an audit head');
  if (desk.revoked_at) throw new CustodyError('REVOKED', `expected an audit head from an enrolled desk, got one from desk ${desk.id}, revoked at ${desk.revoked_at}`, { subject: 'desk', deskId: desk.id });
  const key = await db.selectFrom('desk_keys').select('desk_id').where('public_key', '=', head.publicKey).executeTakeFirst();
  if (key?.desk_id !== desk.id) throw new CustodyError('NOT_PERMITTED', `expected an audit head signed by a key this desk enrolled, got key ${head.publicKey.slice(0, 16)}…`);
  if (!ed25519Verifier(Buffer.from(head.publicKey, 'hex'))(Buffer.from(head.signature, 'hex'), headSigningMessage(head.seq, head.hash))) {
    throw new CustodyError('SIGNATURE_INVALID', `expected an Ed25519 signature over custody-audit-head/v1:${head.seq}:${head.hash.slice(0, 16)}… that verifies with the head's key, got one that does not`);
  }
  const leaf: AuditHeadLeaf = { v: 1, type: 'audit-head', desk: desk.id, ...head };
  const receivedAt = now.toISOString();
  return db.transaction().execute(async (trx) => {
    await lockTenant(trx, dialect, caller.tenantId);
    const same = await trx.selectFrom('audit_heads').select(['hash', 'leaf_idx', 'received_at']).where('desk_id', '=', desk.id).where('seq', '=', head.seq).executeTakeFirst();
    const size = async () => (await trx.selectFrom('tlog_logs').select('size').where('tenant_id', '=', caller.tenantId).executeTakeFirstOrThrow()).size;
    if (same) {
      if (same.hash !== head.hash) throw new CustodyError('RECORD_CONFLICT', `expected head ${head.seq} of this desk's audit log to be ${same.hash.slice(0, 16)}… as pushed at ${same.received_at}, got ${head.hash.slice(0, 16)}…: the desk's log was rewritten`);
      return { index: same.leaf_idx, status: 'replayed' as const, receivedAt: same.received_at, logSize: await size() };
    }
    const newest = await trx.selectFrom('audit_heads').select((eb) => eb.fn.max('seq').as('seq')).where('desk_id', '=', desk.id).executeTakeFirst();
    if (newest?.seq != null && newest.seq > head.seq) throw new CustodyError('INVALID_ARGUMENT', `expected a head newer than the desk's last pushed head (seq ${newest.seq}), got seq ${head.seq}`);
    const { first, size: logSize } = await appendLeaves(trx, caller.tenantId, [{ kind: 'audit-head', ref: `${desk.id}:${head.seq}`, hash: leafHashOf(leaf) }], receivedAt);
    await trx.insertInto('audit_heads').values({ tenant_id: caller.tenantId, desk_id: desk.id, seq: head.seq, hash: head.hash, public_key: head.publicKey, signature: head.signature, leaf_idx: first, received_at: receivedAt }).execute();
    return { index: first, status: 'accepted' as const, receivedAt, logSize };
  });
}
