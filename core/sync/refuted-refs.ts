// The chain references the desk's chain check refuted (chain-check.ts), kept in hub_refuted_refs (migration 0016). A
// hub that keeps serving a forged reference would otherwise have it dropped, asked for again and refuted again about
// once a minute, each time a new alarm. The first refutation is the alarm (an audit entry, as before); afterwards the
// same reference (member for member) for the same proof raises none: for the same batch (the proof's checkpoint size)
// it is not kept at all, since the chain already refuted exactly that claim; for another batch (the log grew, and the
// hub's proof is against a newer checkpoint) it is kept and checked, since a transaction may register that batch, and
// if refuted again it is dropped without a new alarm. Either way it is counted and stands as an alarm in the hub
// status. Any other reference is checked as any: another forgery is a new alarm; one confirmed on the chain
// supersedes the proof's standing refutations (an audit head's: those of the heads up to it too, since the newest
// head fixes everything before it).
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import type { ChainRef } from '../tlog/proof-file.ts';

/** Whose proof carried the reference: a record's, or an audit head's (by seq). */
export type RefProof = { recordId: string } | { seq: number };

/** A refuted reference, as the hub status shows it; standing while supersededAt is null. */
export interface RefutedRef {
  recordId: string | null;
  seq: number | null;
  /** The batch the reference was last claimed for: the proof's checkpoint size. */
  treeSize: number;
  chain: ChainRef;
  code: string;
  message: string;
  /** When the chain refuted it (the alarm's time). */
  refutedAt: string;
  /** How often the hub served the same claim again since, and the last time. */
  servedAgain: number;
  lastServedAt: string | null;
  /** When a reference for the same proof was confirmed on the chain, and that reference. */
  supersededAt: string | null;
  supersededBy: ChainRef | null;
}

/** The reference member by member in one order: the same claim is the same text however the hub ordered its JSON. */
export function chainKey(c: ChainRef): string {
  return JSON.stringify({ chainId: c.chainId, contract: c.contract, tx: c.tx, block: c.block, timestamp: c.timestamp });
}

const keyOf = (p: RefProof) => ('recordId' in p ? { kind: 'record', ref: p.recordId } : { kind: 'audit_head', ref: String(p.seq) });

/** Remembers a reference the chain refuted, standing (in the caller's transaction, with the alarm). */
export function rememberRefuted(db: WritableDB, p: RefProof, r: { treeSize: number; chain: ChainRef; code: string; message: string; at: string }): void {
  const k = keyOf(p);
  db.run(sql`INSERT INTO hub_refuted_refs (kind, ref, tree_size, chain, code, message, refuted_at) VALUES (${k.kind}, ${k.ref}, ${r.treeSize}, ${chainKey(r.chain)}, ${r.code}, ${r.message}, ${r.at})
    ON CONFLICT (kind, ref, chain) DO UPDATE SET tree_size = excluded.tree_size, code = excluded.code, message = excluded.message, refuted_at = excluded.refuted_at,
      served_again = 0, last_served_at = NULL, superseded_at = NULL, superseded_by = NULL`);
}

/**
 * The chain refuted a reference it had refuted before for this proof, and that alarm stands: counted, and the batch
 * it was claimed for noted, instead of a new alarm (true); false when the refutation is new (or its alarm was
 * superseded since), which the caller alarms about and remembers.
 */
export function refutedAgain(db: WritableDB, p: RefProof, treeSize: number, chain: ChainRef, at: string): boolean {
  const k = keyOf(p);
  return db.run(sql`UPDATE hub_refuted_refs SET tree_size = ${treeSize}, served_again = served_again + 1, last_served_at = ${at}
    WHERE kind = ${k.kind} AND ref = ${k.ref} AND chain = ${chainKey(chain)} AND superseded_at IS NULL`).changes > 0;
}

/**
 * Whether a proof just received carries exactly a claim the chain refuted before (this reference for this batch),
 * its alarm still standing: then it is counted (and the held row's received_at set, so it is asked for again no more
 * than once a minute, as one not on chain), and the caller keeps nothing of it. A claim whose refutation a confirmed
 * reference superseded is kept and checked again: a hub going back to a claim the chain refuted is a new alarm.
 */
export function servedAgain(db: WritableDB, p: RefProof, treeSize: number, chain: ChainRef, at: string): boolean {
  const k = keyOf(p);
  const again = db.run(sql`UPDATE hub_refuted_refs SET served_again = served_again + 1, last_served_at = ${at}
    WHERE kind = ${k.kind} AND ref = ${k.ref} AND tree_size = ${treeSize} AND chain = ${chainKey(chain)} AND superseded_at IS NULL`).changes > 0;
  if (!again) return false;
  if ('recordId' in p) db.run(sql`UPDATE hub_proofs SET received_at = ${at} WHERE record_id = ${p.recordId}`);
  else db.run(sql`UPDATE hub_audit_proofs SET received_at = ${at} WHERE seq = ${p.seq}`);
  return true;
}

/** A reference for the proof confirmed on the chain: its standing refutations are superseded by it. */
export function supersedeRefuted(db: WritableDB, p: RefProof, chain: ChainRef, at: string): void {
  const by = chainKey(chain);
  if ('recordId' in p) db.run(sql`UPDATE hub_refuted_refs SET superseded_at = ${at}, superseded_by = ${by} WHERE kind = 'record' AND ref = ${p.recordId} AND superseded_at IS NULL`);
  else db.run(sql`UPDATE hub_refuted_refs SET superseded_at = ${at}, superseded_by = ${by} WHERE kind = 'audit_head' AND CAST(ref AS INTEGER) <= ${p.seq} AND superseded_at IS NULL`);
}

interface Row { kind: string; ref: string; tree_size: number; chain: string; code: string; message: string; refuted_at: string; served_again: number; last_served_at: string | null; superseded_at: string | null; superseded_by: string | null }

/** Every standing refutation (newest first), then the `superseded` newest superseded ones. */
export function refutedRefs(db: ReadableDB, superseded = 10): RefutedRef[] {
  const rows = [
    ...db.all<Row>(sql`SELECT * FROM hub_refuted_refs WHERE superseded_at IS NULL ORDER BY refuted_at DESC`),
    ...db.all<Row>(sql`SELECT * FROM hub_refuted_refs WHERE superseded_at IS NOT NULL ORDER BY superseded_at DESC, refuted_at DESC LIMIT ${superseded}`),
  ];
  return rows.map((r) => ({
    recordId: r.kind === 'record' ? r.ref : null,
    seq: r.kind === 'audit_head' ? Number(r.ref) : null,
    treeSize: r.tree_size,
    chain: JSON.parse(r.chain) as ChainRef,
    code: r.code,
    message: r.message,
    refutedAt: r.refuted_at,
    servedAgain: r.served_again,
    lastServedAt: r.last_served_at,
    supersededAt: r.superseded_at,
    supersededBy: r.superseded_by ? (JSON.parse(r.superseded_by) as ChainRef) : null,
  }));
}
