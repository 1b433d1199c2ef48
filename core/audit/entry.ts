// One audit entry and what makes it tamper-evident: a SHA-256 over the canonical JSON (RFC 8785) of its fields
// and the previous entry's hash, and an Ed25519 signature by a desk key over that hash.
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJson } from './canonical-json.ts';

export interface AuditEntry {
  seq: number;
  /** ISO-8601 UTC instant. */
  at: string;
  /** A user name, or `desk` (whoever holds the vault passphrase), or `anonymous` (an unauthenticated check). */
  actor: string;
  /** Dotted, e.g. record.signed, workflow.approve, auth.login_failed. */
  action: string;
  /** What the act was about: a record id, a user name, a template name; null when nothing in particular. */
  subject: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** Null until the entry is sealed (written while the vault was locked; signed at the next unlock). */
  keyId: string | null;
  signature: string | null;
  /** For an entry written while the vault was locked: its ratchet seal (core/audit/pending.ts); null otherwise. */
  pendingMac: string | null;
}

export type AuditEntryBody = Omit<AuditEntry, 'hash' | 'keyId' | 'signature' | 'pendingMac'>;

/** The prev_hash of entry 1. */
export const GENESIS_PREV_HASH = '0'.repeat(64);

/** The first entry of every log: it names the keys that may sign the entries after it. */
export const GENESIS_ACTION = 'audit.started';
/** A new org key. It is trusted because the vault holds it, not because the log says so. */
export const KEY_CREATED_ACTION = 'key.created';
/** Written (signed) by an unlock that refused to sign entries written while locked, because their seals failed. */
export const PENDING_REJECTED_ACTION = 'audit.pending_rejected';

/** The bytes that are hashed: every field but the hash and the signature, prev_hash included. */
export function entryPreimage(e: AuditEntryBody): string {
  return canonicalJson({ v: 1, seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject, details: e.details, prev_hash: e.prevHash });
}

export function entryHash(e: AuditEntryBody): string {
  return Buffer.from(sha256(new TextEncoder().encode(entryPreimage(e)))).toString('hex');
}

/** What a desk key signs for an entry: its hash, under a label so the signature means nothing anywhere else. */
export function entrySigningMessage(hash: string): Uint8Array {
  return new TextEncoder().encode(`custody-audit-entry/v1:${hash}`);
}

/** What a desk key signs for the head checkpoint. */
export function headSigningMessage(seq: number, hash: string): Uint8Array {
  return new TextEncoder().encode(`custody-audit-head/v1:${seq}:${hash}`);
}
