// Entries written while the vault is locked cannot be signed, but they must not be rewritable either. Each is
// sealed with an HMAC under a key that moves forward after every use (a one-way ratchet, Schneier & Kelsey,
// "Secure audit logs to support computer forensics", 1999): K(i+1) = HMAC(K(i), "ratchet"), the old key is
// overwritten in the same transaction. The first key of an epoch, K(0), is also stored in the vault; the next
// unlock recomputes the ratchet from it, checks every pending entry and the count, signs the entries that check
// out, and starts a new epoch.
//
// What that buys against someone who can write the database while the vault is locked: the key they find is
// K(n), from which K(0)…K(n-1) cannot be computed, so entries already written can be neither changed nor removed
// (removal leaves the stored key ahead of the count, and setting the count back leaves the key ahead of K(0)); a
// deleted or replaced epoch row shows too (checkPending; docs/tamper.md says what it cannot see). What it does not: whoever reads the database during an epoch
// can seal entries of their own from that point on, as the locked desk itself does; and whoever read K(0) earlier
// in the same epoch can redo the epoch (README, "What the audit log proves").
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';

export interface PendingKeyRow {
  epoch: string;
  nextIndex: number;
  key: Uint8Array;
}

const ratchet = (k: Uint8Array): Buffer => createHmac('sha256', k).update('custody-audit-ratchet/v1').digest();

export function pendingMac(k: Uint8Array, epoch: string, index: number, hash: string): string {
  return createHmac('sha256', k).update(`custody-audit-pending/v1:${epoch}:${index}:${hash}`).digest('hex');
}

export const epochSecretName = (epoch: string): string => `audit-pending:${epoch}`;

export function readPendingKey(db: ReadableDB): PendingKeyRow | null {
  const r = db.get<{ epoch: string; next_index: number; key: Uint8Array }>(sql`SELECT epoch, next_index, key FROM audit_pending_key WHERE id = 1`);
  return r ? { epoch: r.epoch, nextIndex: r.next_index, key: r.key } : null;
}

/** The MAC for the next pending entry, and the ratchet moved on (call inside the entry's transaction). */
export function macNextPending(db: WritableDB, hash: string): string | null {
  const row = readPendingKey(db);
  if (!row) return null; // a desk without an epoch yet: the entry is unverifiable, and the next unlock says so
  const mac = pendingMac(row.key, row.epoch, row.nextIndex, hash);
  db.run(sql`UPDATE audit_pending_key SET next_index = ${row.nextIndex + 1}, key = ${ratchet(row.key)} WHERE id = 1`);
  return mac;
}

/** A new epoch: its first key, which the caller also stores in the vault under epochSecretName(epoch). */
export function startEpoch(db: WritableDB): { epoch: string; key: Uint8Array } {
  const epoch = randomBytes(12).toString('hex');
  const key = randomBytes(32);
  db.run(sql`INSERT INTO audit_pending_key (id, epoch, next_index, key) VALUES (1, ${epoch}, 0, ${key})
             ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, next_index = 0, key = excluded.key`);
  return { epoch, key: Buffer.from(key) };
}

export interface PendingCheck {
  /** How many of the pending entries, from the first, carry the MAC the ratchet gives them. */
  valid: number;
  /** Why the rest (or the count) does not check out; null when everything does. */
  problem: string | null;
}

/**
 * Checks the pending entries (the unsigned tail, in order) against the epoch's first key from the vault and the
 * ratchet state in the database. The key is compared even when there are no entries and the count says none: a
 * count reset to 0 leaves the key at K(n), which is not K(0) once the epoch has had entries, so removing every
 * entry of an epoch shows as surely as removing the newest. `epochExpected`: the desk has started an epoch before
 * (an unlock since migration 8 left evidence of one), so a missing epoch row was deleted, not never made.
 */
export function checkPending(pending: readonly { seq: number; hash: string; pendingMac: string | null }[], key0: Uint8Array | null, row: PendingKeyRow | null, epochExpected = false): PendingCheck {
  if (!row) {
    if (pending.length > 0) {
      return { valid: 0, problem: `expected entries ${pending[0]!.seq}–${pending.at(-1)!.seq} to be sealed under the vault's audit key, got no audit key epoch at all` };
    }
    return epochExpected
      ? { valid: 0, problem: 'expected the audit key epoch the last unlock started, got no epoch at all: it was deleted, and with it any entries written while the vault was locked' }
      : { valid: 0, problem: null };
  }
  if (!key0) {
    return pending.length === 0
      ? { valid: 0, problem: `expected the audit key epoch the last unlock started, got epoch ${row.epoch}, which the vault does not know: the epoch was replaced, and with it any entries written while the vault was locked` }
      : { valid: 0, problem: `expected entries ${pending[0]!.seq}–${pending.at(-1)!.seq} to be sealed under the vault's audit key, got an epoch the vault does not know` };
  }
  let k: Uint8Array = key0;
  for (const [i, e] of pending.entries()) {
    const want = pendingMac(k, row.epoch, i, e.hash);
    if (e.pendingMac === null || e.pendingMac.length !== want.length || !timingSafeEqual(Buffer.from(e.pendingMac), Buffer.from(want))) {
      return { valid: i, problem: `expected entry ${e.seq} to carry the seal of pending entry ${i} of the epoch, got ${e.pendingMac === null ? 'none' : 'a seal that does not match'}: it was written or changed by someone without the desk's audit key` };
    }
    k = ratchet(k);
  }
  if (row.nextIndex > pending.length) {
    return { valid: pending.length, problem: `expected ${row.nextIndex} entries written while the vault was locked, got ${pending.length}: the newest were removed` };
  }
  if (row.nextIndex < pending.length || k.length !== row.key.length || !timingSafeEqual(Buffer.from(k), Buffer.from(row.key))) {
    const why = row.nextIndex === pending.length ? ': the key moved on further, so entries were removed and the count set back' : '';
    return { valid: pending.length, problem: `expected ${row.nextIndex} entries written while the vault was locked, got ${pending.length} and an audit key that does not follow from them${why}` };
  }
  return { valid: pending.length, problem: null };
}
