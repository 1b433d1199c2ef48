// The audit-log heads this desk pushed are leaves of the organisation's log (issue 16). Their inclusion proofs come
// back like the records' (proofs.ts) and are kept in hub_audit_proofs (migration 0013); the newest one held is the
// anchored head `custody audit verify` checks the local log against. Once the hub signed a checkpoint over a head,
// a log rewritten before it — even re-signed wholesale with the desk's own keys — no longer holds that head's hash
// at its seq, and the hub will not sign another story (its checkpoints must stay consistent).
import type { AnchoredHeadState } from '../audit/verify.ts';
import { isCustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getSetting } from '../store/settings.ts';
import type { AuditHeadLeaf } from '../tlog/leaves.ts';
import { parseVerifierKey } from '../tlog/note.ts';
import { parseProofFile, verifyProofFile, type ChainRef, type ProofFile, type VerifiedProof } from '../tlog/proof-file.ts';
import { HUB_LOG_KEY_SETTING, readHubLink } from './link.ts';
import type { AuditHead } from './outbox.ts';

/** A delivered head without a proof yet: the leaf index the hub gave it, and the head as signed. */
export interface HeadToProve {
  index: number;
  head: AuditHead;
}

/**
 * Delivered heads newer than the newest one proven, newest first: only the newest matters (it fixes everything
 * before it), the few behind it are asked for in case the newest is refused.
 */
export function headsToProve(db: ReadableDB, limit = 3): HeadToProve[] {
  const proven = db.get<{ s: number | null }>(sql`SELECT max(seq) AS s FROM hub_audit_proofs`)?.s ?? 0;
  return db
    .all<{ hub_seq: number; head: string }>(sql`SELECT hub_seq, head FROM outbox WHERE kind = 'audit_head' AND state = 'delivered' AND hub_seq IS NOT NULL
      AND CAST(ref AS INTEGER) > ${proven} ORDER BY CAST(ref AS INTEGER) DESC LIMIT ${limit}`)
    .map((r) => ({ index: r.hub_seq, head: JSON.parse(r.head) as AuditHead }));
}

/** The newest proven head not yet on chain, when its copy is older than `before` (asked again for its chain reference). */
export function headToReanchor(db: ReadableDB, before: string): HeadToProve | null {
  const r = db.get<{ seq: number; leaf_index: number; chain: string | null; received_at: string }>(sql`SELECT seq, leaf_index, chain, received_at FROM hub_audit_proofs ORDER BY seq DESC LIMIT 1`);
  if (!r || r.chain !== null || r.received_at >= before) return null;
  const o = db.get<{ head: string }>(sql`SELECT head FROM outbox WHERE kind = 'audit_head' AND ref = ${String(r.seq)}`);
  return o ? { index: r.leaf_index, head: JSON.parse(o.head) as AuditHead } : null;
}

/** The leaf the hub's log must hold for a head this desk pushed (null when the key that signed it is gone). */
export function expectedHeadLeaf(db: ReadableDB, head: AuditHead): AuditHeadLeaf | null {
  const link = readHubLink(db);
  const key = db.get<{ public_key: string }>(sql`SELECT public_key FROM signing_keys WHERE id = ${head.keyId}`);
  if (!link || !key) return null;
  return { v: 1, type: 'audit-head', desk: link.deskId, seq: head.seq, hash: head.hash, publicKey: key.public_key, signature: head.signature };
}

/** Keeps a head's proof (already verified by the caller against the expected leaf). */
export function keepHeadProof(db: WritableDB, head: AuditHead, file: ProofFile, verified: VerifiedProof, at: string): void {
  db.run(sql`INSERT INTO hub_audit_proofs (seq, hash, leaf_index, tree_size, proof, chain, received_at)
    VALUES (${head.seq}, ${head.hash}, ${verified.index}, ${verified.checkpoint.size}, ${JSON.stringify(file)}, ${file.chain ? JSON.stringify(file.chain) : null}, ${at})
    ON CONFLICT (seq) DO UPDATE SET leaf_index = excluded.leaf_index, tree_size = excluded.tree_size, proof = excluded.proof, chain = excluded.chain,
      chain_checked_at = CASE WHEN excluded.chain IS hub_audit_proofs.chain THEN hub_audit_proofs.chain_checked_at ELSE NULL END, received_at = excluded.received_at`);
}

export interface AnchoredHead {
  seq: number;
  hash: string;
  leafIndex: number;
  treeSize: number;
  /** Where the hub says the checkpoint was registered; null: signed by the hub, not on chain yet. */
  chain: ChainRef | null;
  receivedAt: string;
}

/** What the desk holds to check its audit log against (AnchoredHeadState, with the head's place in the log). */
export type AnchoredHeadCheck = Exclude<AnchoredHeadState, { state: 'held' }> | ({ state: 'held'; detail: string } & AnchoredHead);

/**
 * The newest head the desk holds a proof for, its proof checked again now with the pinned hub key (a proof row
 * edited in desk.db is not believed). The head's seq and hash are read from the verified leaf, not from the row.
 */
export function anchoredAuditHead(db: ReadableDB): AnchoredHeadCheck {
  const link = readHubLink(db);
  const r = db.get<{ seq: number; received_at: string; proof: string }>(sql`SELECT seq, received_at, proof FROM hub_audit_proofs ORDER BY seq DESC LIMIT 1`);
  if (!r) {
    const why = link ? `the hub at ${link.url} has not proven a head of this desk's audit log yet (custody sync)` : 'this desk is not connected to a hub';
    return { state: 'none', detail: `no anchored audit head held: ${why}; a wholesale rewrite of the log cannot be ruled out from outside the desk` };
  }
  const keyText = getSetting(db, HUB_LOG_KEY_SETTING);
  try {
    if (!keyText || !link) throw new Error("the hub's pinned log key or the hub link is missing");
    const key = parseVerifierKey(keyText);
    const verified = verifyProofFile(parseProofFile(r.proof), key, { origin: `${key.name}/${link.tenantId}` });
    const leaf = verified.leaf;
    if (leaf.type !== 'audit-head' || leaf.desk !== link.deskId || leaf.seq !== r.seq) {
      throw Object.assign(new Error(`expected the proof of audit head ${r.seq} of desk ${link.deskId}, got a proof of ${leaf.type === 'audit-head' ? `head ${leaf.seq} of desk ${leaf.desk}` : `record ${leaf.id}`}`), { code: 'PROOF_LEAF_MISMATCH' });
    }
    const chain = verified.chain;
    const head: AnchoredHead = { seq: leaf.seq, hash: leaf.hash, leafIndex: verified.index, treeSize: verified.checkpoint.size, chain, receivedAt: r.received_at };
    const where = `leaf ${head.leafIndex} of ${head.treeSize} in the organisation's log`;
    const on = chain ? `, its checkpoint registered on chain ${chain.chainId} in block ${chain.block}${chain.timestamp ? ` at ${chain.timestamp}` : ''}` : ', signed by the hub, not yet on chain';
    return { state: 'held', ...head, detail: `head ${head.seq} (${head.hash.slice(0, 12)}…) is ${where}${on}` };
  } catch (e) {
    const code = isCustodyError(e) ? e.code : typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'PROOF_MALFORMED';
    return { state: 'invalid', code, seq: r.seq, detail: `the log proof this desk holds for audit head ${r.seq} does not check out (${code}): ${(e as Error).message}` };
  }
}
