// Checks an audit log against itself and against its head checkpoint, one entry at a time (the log may be long).
//
// What each kind of tampering looks like here:
//   an entry edited in place      → its contents no longer hash to its `hash`               (changed)
//   an entry edited and rehashed  → the next entry's prev_hash no longer matches            (unlinked)
//                                   and, for a sealed entry, its signature fails            (bad_signature)
//   a whole suffix rewritten      → signatures fail without the vault key; the checkpoint's signed head differs
//   an entry removed from inside  → a gap in seq and a broken link                          (missing)
//   entries reordered             → seq is hashed, so each moved entry fails its own hash  (changed)
//   the newest entries removed    → the checkpoint names an entry that is no longer there  (truncated)
//   a signature stripped          → an unsigned entry before a signed one                  (unsealed)
// Trust is rooted in the first entry, which lists the desk keys of the time; a later key is trusted only
// through a key.created entry signed by a key trusted before it.
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import type { Checkpoint, CheckpointRead } from './checkpoint.ts';
import { GENESIS_ACTION, GENESIS_PREV_HASH, KEY_CREATED_ACTION, entryHash, entrySigningMessage, headSigningMessage, type AuditEntry } from './entry.ts';

export type AuditProblemKind =
  | 'changed'
  | 'unlinked'
  | 'missing'
  | 'bad_signature'
  | 'untrusted_key'
  | 'unsealed'
  | 'bad_genesis'
  | 'truncated'
  | 'checkpoint_missing'
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch';

export interface AuditProblem {
  /** The entry the problem is found at (for truncation, the first entry that was removed). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export interface TrustedKey {
  keyId: string;
  publicKey: string;
  /** The entry that introduced it. */
  since: number;
}

export interface AuditVerifyReport {
  ok: boolean;
  entries: number;
  sealed: number;
  /** Entries written while the vault was locked, chained but not yet signed: they are sealed at the next unlock. */
  pending: { from: number; to: number } | null;
  head: { seq: number; hash: string } | null;
  checkpoint: { seq: number; signedSeq: number | null } | null;
  keys: TrustedKey[];
  /** The first bad entry: what `custody audit verify` names. */
  firstBad: AuditProblem | null;
  /** Every problem found, in order of seq (capped). */
  problems: AuditProblem[];
}

const MAX_PROBLEMS = 100;

export class AuditChainVerifier {
  readonly #keys = new Map<string, TrustedKey>();
  readonly #problems: AuditProblem[] = [];
  readonly #trustKey: string | null;
  #expectedSeq = 1;
  #prevHash = GENESIS_PREV_HASH;
  #count = 0;
  #sealed = 0;
  #firstPending: number | null = null;
  #last: AuditEntry | null = null;
  readonly #checkpointRead: CheckpointRead;
  /** The entries the checkpoint names, as they were found in the log. */
  readonly #named = new Map<number, { hash: string; signed: boolean }>();

  /** trustKey: a public key (hex) the first entry must list, for an auditor who knows the org's key. */
  constructor(checkpoint: CheckpointRead, opts: { trustKey?: string | null } = {}) {
    this.#checkpointRead = checkpoint;
    this.#trustKey = opts.trustKey?.toLowerCase() ?? null;
  }

  #problem(seq: number, kind: AuditProblemKind, message: string): void {
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push({ seq, kind, message });
  }

  push(e: AuditEntry): void {
    this.#count++;
    if (e.seq !== this.#expectedSeq) {
      if (e.seq > this.#expectedSeq) {
        const range = e.seq - 1 === this.#expectedSeq ? `entry ${this.#expectedSeq} was` : `entries ${this.#expectedSeq}–${e.seq - 1} were`;
        this.#problem(this.#expectedSeq, 'missing', `expected entry ${this.#expectedSeq} next, got entry ${e.seq}: ${range} removed`);
      } else {
        this.#problem(e.seq, 'missing', `expected entry ${this.#expectedSeq} next, got entry ${e.seq} again or out of order`);
      }
    }
    const computed = entryHash(e);
    if (computed !== e.hash) {
      this.#problem(e.seq, 'changed', `entry ${e.seq} (${e.action}) was changed: expected its contents to hash to ${short(e.hash)}, got ${short(computed)}`);
    } else if (e.prevHash !== this.#prevHash) {
      const before = this.#last ? `entry ${this.#last.seq}` : 'the start of the log';
      this.#problem(e.seq, 'unlinked', `entry ${e.seq} does not follow ${before}: expected prev_hash ${short(this.#prevHash)}, got ${short(e.prevHash)} (an entry before it was changed, removed, inserted or moved)`);
    }

    if (e.seq === 1 || this.#count === 1) this.#genesis(e);
    this.#signature(e);
    if (e.action === KEY_CREATED_ACTION && e.signature !== null) this.#introduceKey(e);

    const c = this.#checkpointRead.status === 'ok' ? this.#checkpointRead.checkpoint : null;
    if (c && (e.seq === c.head.seq || e.seq === c.signed?.seq)) this.#named.set(e.seq, { hash: e.hash, signed: e.signature !== null });
    this.#prevHash = e.hash;
    this.#expectedSeq = e.seq + 1;
    this.#last = e;
  }

  #genesis(e: AuditEntry): void {
    if (e.seq !== 1 || e.action !== GENESIS_ACTION) {
      this.#problem(e.seq, 'bad_genesis', `expected the log to start with entry 1 (${GENESIS_ACTION}), got entry ${e.seq} (${e.action})`);
      return;
    }
    const keys = (e.details as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) {
      this.#problem(1, 'bad_genesis', 'expected entry 1 to list the desk keys, got no list');
      return;
    }
    for (const k of keys as { id?: unknown; publicKey?: unknown }[]) {
      if (typeof k?.id === 'string' && typeof k.publicKey === 'string') this.#keys.set(k.id, { keyId: k.id, publicKey: k.publicKey, since: 1 });
    }
    if (this.#trustKey && ![...this.#keys.values()].some((k) => k.publicKey === this.#trustKey)) {
      this.#problem(1, 'untrusted_key', `expected entry 1 to list the trusted key ${short(this.#trustKey)}, got ${[...this.#keys.keys()].join(', ') || 'no keys'}`);
    }
  }

  #signature(e: AuditEntry): void {
    if (e.signature === null) {
      this.#firstPending ??= e.seq;
      return;
    }
    this.#sealed++;
    if (this.#firstPending !== null) {
      this.#problem(this.#firstPending, 'unsealed', `entry ${this.#firstPending} is unsigned, but a later entry (${e.seq}) is signed: entries are sealed in order, so its signature was removed`);
      this.#firstPending = null;
    }
    const key = e.keyId ? this.#keys.get(e.keyId) : undefined;
    if (!key) {
      this.#problem(e.seq, 'untrusted_key', `entry ${e.seq}: expected a signature by a key introduced earlier in the log, got one by key ${e.keyId}, which was not`);
      return;
    }
    if (!verifyEd25519(Buffer.from(e.signature, 'hex'), entrySigningMessage(e.hash), Buffer.from(key.publicKey, 'hex'))) {
      this.#problem(e.seq, 'bad_signature', `entry ${e.seq} (${e.action}): expected a signature by key ${key.keyId} over its hash, got one that does not verify`);
    }
  }

  #introduceKey(e: AuditEntry): void {
    const d = e.details as { keyId?: unknown; publicKey?: unknown };
    if (typeof d.keyId === 'string' && typeof d.publicKey === 'string' && !this.#keys.has(d.keyId)) {
      this.#keys.set(d.keyId, { keyId: d.keyId, publicKey: d.publicKey, since: e.seq });
    }
  }

  #checkpoint(): Checkpoint | null {
    const read = this.#checkpointRead;
    const lastSeq = this.#last?.seq ?? 0;
    if (read.status === 'absent') {
      if (this.#count > 0) this.#problem(lastSeq, 'checkpoint_missing', `expected a head checkpoint beside the database, got none: removal of the newest entries (after ${lastSeq}) cannot be ruled out`);
      return null;
    }
    if (read.status === 'invalid') {
      this.#problem(lastSeq, 'checkpoint_invalid', `expected a valid head checkpoint, got one where ${read.problem}`);
      return null;
    }
    const c = read.checkpoint;
    const atHead = this.#named.get(c.head.seq);
    if (c.head.seq > lastSeq) {
      this.#problem(lastSeq + 1, 'truncated', `expected entries up to ${c.head.seq} (the head checkpoint), got entries up to ${lastSeq}: entries ${lastSeq + 1}–${c.head.seq} were removed`);
    } else if (atHead && atHead.hash !== c.head.hash) {
      this.#problem(c.head.seq, 'checkpoint_mismatch', `expected entry ${c.head.seq} to have hash ${short(c.head.hash)} (the head checkpoint), got ${short(atHead.hash)}`);
    }
    if (!c.signed && this.#sealed > 0) {
      // Every unlocked write signs the head and locked writes carry it over: only a replaced file lacks it.
      this.#problem(lastSeq, 'checkpoint_invalid', `expected the head checkpoint to carry a signed head, since ${this.#sealed} entries are signed, got none: it was replaced`);
    }
    if (c.signed) {
      const key = this.#keys.get(c.signed.keyId);
      if (!key || !verifyEd25519(Buffer.from(c.signed.signature, 'hex'), headSigningMessage(c.signed.seq, c.signed.hash), Buffer.from(key.publicKey, 'hex'))) {
        this.#problem(Math.min(c.signed.seq, lastSeq + 1), 'checkpoint_invalid', `expected the checkpoint's signed head to be signed by a trusted desk key, got ${key ? 'a signature that does not verify' : `unknown key ${c.signed.keyId}`}`);
      } else if (c.signed.seq > lastSeq) {
        this.#problem(lastSeq + 1, 'truncated', `expected entries up to ${c.signed.seq} (the signed head checkpoint), got entries up to ${lastSeq}: entries ${lastSeq + 1}–${c.signed.seq} were removed`);
      } else {
        const at = this.#named.get(c.signed.seq);
        if (at && (at.hash !== c.signed.hash || !at.signed)) {
          this.#problem(c.signed.seq, 'checkpoint_mismatch', `expected entry ${c.signed.seq} to be the signed entry with hash ${short(c.signed.hash)} (the signed head checkpoint), got ${at.signed ? short(at.hash) : 'an unsigned one'}`);
        }
      }
    }
    return c;
  }

  finish(): AuditVerifyReport {
    const c = this.#checkpoint();
    const problems = [...this.#problems].sort((a, b) => a.seq - b.seq);
    const lastSeq = this.#last?.seq ?? 0;
    return {
      ok: problems.length === 0,
      entries: this.#count,
      sealed: this.#sealed,
      pending: this.#firstPending !== null ? { from: this.#firstPending, to: lastSeq } : null,
      head: this.#last ? { seq: this.#last.seq, hash: this.#last.hash } : null,
      checkpoint: c ? { seq: c.head.seq, signedSeq: c.signed?.seq ?? null } : null,
      keys: [...this.#keys.values()],
      firstBad: problems[0] ?? null,
      problems,
    };
  }
}

/** Convenience for entries already in memory (an export, a test). */
export function verifyAuditEntries(entries: Iterable<AuditEntry>, checkpoint: CheckpointRead, opts: { trustKey?: string | null } = {}): AuditVerifyReport {
  const v = new AuditChainVerifier(checkpoint, opts);
  for (const e of entries) v.push(e);
  return v.finish();
}

const short = (h: string): string => `${h.slice(0, 12)}…`;
