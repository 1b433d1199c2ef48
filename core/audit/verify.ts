// Checks an audit log against itself, against the signed heads kept outside it, and — what makes the check worth
// anything — against the organisation's keys as the vault knows them (or as an auditor names them with
// --trust-key). A key that appears only inside the log is never a trust root: whoever can write the database can
// write a log that names their own key.
//
// What each kind of tampering looks like here:
//   an entry edited in place      → its contents no longer hash to its `hash`               (changed)
//   an entry edited and rehashed  → the next entry's prev_hash no longer matches            (unlinked)
//                                   and, for a sealed entry, its signature fails            (bad_signature)
//   the whole log rewritten       → signed by a key that is not the org's                   (untrusted_key)
//   an entry removed from inside  → a gap in seq and a broken link                          (missing)
//   entries reordered             → seq is hashed, so each moved entry fails its own hash  (changed)
//   the newest entries removed    → a signed head (file, database, auditor) names an entry that is gone (truncated)
//   a signature stripped          → an unsigned entry before a signed one                  (unsealed)
//   a pending entry forged        → its ratchet seal fails (checked at unlock, or here with the vault) (forged_pending)
import { keyId as keyIdOf, verify as verifyEd25519 } from '../crypto/ed25519.ts';
import type { Checkpoint, CheckpointRead } from './checkpoint.ts';
import { GENESIS_ACTION, GENESIS_PREV_HASH, KEY_CREATED_ACTION, PENDING_REJECTED_ACTION, entryHash, entrySigningMessage, headSigningMessage, type AuditEntry } from './entry.ts';
import { checkPending, type PendingKeyRow } from './pending.ts';

export type AuditProblemKind =
  | 'changed'
  | 'unlinked'
  | 'missing'
  | 'bad_signature'
  | 'untrusted_key'
  | 'unpinned'
  | 'unsealed'
  | 'forged_pending'
  | 'bad_genesis'
  | 'truncated'
  | 'checkpoint_missing'
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch'
  /** The newest head the organisation's log holds for this desk is no longer in the log: rewritten after it. */
  | 'anchored_head_mismatch'
  /** The proof the desk keeps for its newest anchored head does not verify with the pinned hub key. */
  | 'anchored_head_invalid';

export interface AuditProblem {
  /** The entry the problem is found at (for truncation, the first entry that was removed; 0: the log as a whole). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export interface TrustedKey {
  keyId: string;
  publicKey: string;
}

/** A head signed by a desk key: the checkpoint file's, or the copy in the database. */
export interface SignedHead {
  seq: number;
  hash: string;
  keyId: string;
  signature: string;
}

export interface AuditVerifyOptions {
  /** The org's signing keys whose private halves the vault holds (null while it is locked). */
  pinned?: readonly TrustedKey[] | null;
  /** Public keys (hex) the auditor knows to be the org's: they narrow the accepted keys, never add to the vault's. */
  trustKeys?: readonly string[];
  /** The signed head kept in the database (audit_witness), a second place beside the file. */
  witness?: SignedHead | null;
  /** With the vault open: the ratchet state and the epoch's first key, to check entries written while locked. */
  pending?: { row: PendingKeyRow | null; key0: Uint8Array | null; epochExpected?: boolean } | null;
  /** A head the auditor recorded earlier, outside the desk: the log must still hold it. */
  knownHead?: { seq: number; hash: string } | null;
  /** The newest head of this desk the organisation's log holds, from the proof the desk keeps (core/sync/audit-proofs.ts). */
  anchoredHead?: AnchoredHeadState | null;
}

/** What the desk holds from its hub about its own audit log: nothing, a head proven in the hub's log, or a proof that fails. */
export type AnchoredHeadState =
  | { state: 'none'; detail: string }
  | { state: 'held'; seq: number; hash: string; detail: string }
  | { state: 'invalid'; seq: number; code: string; detail: string };

export interface AuditVerifyReport {
  ok: boolean;
  entries: number;
  sealed: number;
  /** Entries written while the vault was locked, chained and ratchet-sealed, not yet signed. */
  pending: { from: number; to: number; checked: boolean } | null;
  head: { seq: number; hash: string } | null;
  checkpoint: { seq: number; signedSeq: number | null } | null;
  /** Where the accepted keys come from; 'none' is never ok. */
  pinnedTo: 'vault' | 'trust-key' | 'none';
  /** The keys signatures are checked against. */
  keys: TrustedKey[];
  /** The first bad entry: what `custody audit verify` names. */
  firstBad: AuditProblem | null;
  /** Every problem found, in order of seq (capped). */
  problems: AuditProblem[];
  /** The anchored head the log was checked against, as given; null when none was given (an export checked alone). */
  anchored: AnchoredHeadState | null;
}

const MAX_PROBLEMS = 100;

export class AuditChainVerifier {
  /** The accepted keys, by id; null when nothing outside the log pins them. */
  readonly #accepted: Map<string, TrustedKey> | null;
  readonly #pinnedTo: AuditVerifyReport['pinnedTo'];
  /** Keys the log names for itself: used only to say more when nothing pins them, never to pass a log. */
  readonly #logKeys = new Map<string, TrustedKey>();
  readonly #problems: AuditProblem[] = [];
  readonly #opts: AuditVerifyOptions;
  #expectedSeq = 1;
  #prevHash = GENESIS_PREV_HASH;
  #count = 0;
  #sealed = 0;
  /** The unsigned entries since the last signed one. */
  #tail: { seq: number; hash: string; pendingMac: string | null }[] = [];
  #last: AuditEntry | null = null;
  readonly #checkpointRead: CheckpointRead;
  /** Entries some head names, as they were found in the log. */
  readonly #watched = new Set<number>();
  readonly #named = new Map<number, { hash: string; signed: boolean }>();

  constructor(checkpoint: CheckpointRead, opts: AuditVerifyOptions = {}) {
    this.#checkpointRead = checkpoint;
    this.#opts = opts;
    const trust = (opts.trustKeys ?? []).map((k) => k.toLowerCase());
    if (opts.pinned) {
      this.#accepted = new Map(opts.pinned.filter((k) => trust.length === 0 || trust.includes(k.publicKey.toLowerCase())).map((k) => [k.keyId, k]));
      this.#pinnedTo = 'vault';
    } else if (trust.length > 0) {
      this.#accepted = new Map(trust.filter((k) => /^[0-9a-f]{64}$/.test(k)).map((k) => [keyIdOf(Buffer.from(k, 'hex')), { keyId: keyIdOf(Buffer.from(k, 'hex')), publicKey: k }]));
      this.#pinnedTo = 'trust-key';
    } else {
      this.#accepted = null;
      this.#pinnedTo = 'none';
    }
    const c = checkpoint.status === 'ok' ? checkpoint.checkpoint : null;
    const anchored = opts.anchoredHead?.state === 'held' ? opts.anchoredHead.seq : undefined;
    for (const s of [c?.head.seq, c?.signed?.seq, opts.witness?.seq, opts.knownHead?.seq, anchored]) if (s !== undefined) this.#watched.add(s);
  }

  #problem(seq: number, kind: AuditProblemKind, message: string): void {
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push({ seq, kind, message });
  }

  #key(id: string | null): TrustedKey | undefined {
    if (id === null) return undefined;
    return this.#accepted ? this.#accepted.get(id) : this.#logKeys.get(id);
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
    if (e.signature !== null) {
      if (e.action === KEY_CREATED_ACTION) this.#keyCreated(e);
      if (e.action === PENDING_REJECTED_ACTION) this.#pendingRejected(e);
    }
    if (this.#watched.has(e.seq)) this.#named.set(e.seq, { hash: e.hash, signed: e.signature !== null });
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
      if (typeof k?.id !== 'string' || typeof k.publicKey !== 'string') continue;
      this.#logKeys.set(k.id, { keyId: k.id, publicKey: k.publicKey });
      if (this.#accepted && this.#accepted.get(k.id)?.publicKey !== k.publicKey.toLowerCase()) {
        this.#problem(1, 'untrusted_key', `entry 1 names key ${k.id} (${short(k.publicKey)}) as a desk key, but it is not one of the org's keys (${this.#source()}): a key that appears only inside the log is never trusted`);
      }
    }
  }

  #source(): string {
    return this.#pinnedTo === 'vault' ? `those the vault holds${(this.#opts.trustKeys ?? []).length ? ' and --trust-key names' : ''}` : 'those --trust-key names';
  }

  #signature(e: AuditEntry): void {
    if (e.signature === null) {
      this.#tail.push({ seq: e.seq, hash: e.hash, pendingMac: e.pendingMac });
      return;
    }
    this.#sealed++;
    if (this.#tail.length > 0 && e.action !== PENDING_REJECTED_ACTION) {
      this.#problem(this.#tail[0]!.seq, 'unsealed', `entry ${this.#tail[0]!.seq} is unsigned, but a later entry (${e.seq}) is signed: entries are sealed in order, so its signature was removed`);
    }
    this.#tail = [];
    const key = this.#key(e.keyId);
    if (!key) {
      const which = this.#accepted ? `not one of the org's keys (${this.#source()})` : 'not introduced earlier in the log';
      this.#problem(e.seq, 'untrusted_key', `entry ${e.seq}: expected a signature by one of the org's keys, got one by key ${e.keyId}, which is ${which}`);
      return;
    }
    if (!verifyEd25519(Buffer.from(e.signature, 'hex'), entrySigningMessage(e.hash), Buffer.from(key.publicKey, 'hex'))) {
      this.#problem(e.seq, 'bad_signature', `entry ${e.seq} (${e.action}): expected a signature by key ${key.keyId} over its hash, got one that does not verify`);
    }
  }

  #keyCreated(e: AuditEntry): void {
    const d = e.details as { keyId?: unknown; publicKey?: unknown };
    if (typeof d.keyId !== 'string' || typeof d.publicKey !== 'string') return;
    if (!this.#logKeys.has(d.keyId)) this.#logKeys.set(d.keyId, { keyId: d.keyId, publicKey: d.publicKey });
    if (this.#accepted && this.#accepted.get(d.keyId)?.publicKey !== d.publicKey.toLowerCase()) {
      this.#problem(e.seq, 'untrusted_key', `entry ${e.seq} introduces key ${d.keyId}, but it is not one of the org's keys (${this.#source()})`);
    }
  }

  /** A signed entry in which an unlock refused to seal entries written while locked: they were forged. */
  #pendingRejected(e: AuditEntry): void {
    const d = e.details as { from?: unknown; problem?: unknown };
    const from = typeof d.from === 'number' ? d.from : e.seq;
    this.#problem(from, 'forged_pending', `entry ${from}: the unlock of ${e.at} refused to sign what was written while the vault was locked: ${typeof d.problem === 'string' ? d.problem : 'its seals did not check out'}`);
  }

  #checkSignedHead(where: string, h: SignedHead, lastSeq: number): void {
    const key = this.#key(h.keyId);
    if (!key || !verifyEd25519(Buffer.from(h.signature, 'hex'), headSigningMessage(h.seq, h.hash), Buffer.from(key.publicKey, 'hex'))) {
      this.#problem(Math.min(h.seq, lastSeq + 1), 'checkpoint_invalid', `expected ${where} to be signed by one of the org's keys, got ${key ? 'a signature that does not verify' : `key ${h.keyId}, which is not one of them`}`);
    } else if (h.seq > lastSeq) {
      this.#problem(lastSeq + 1, 'truncated', `expected entries up to ${h.seq} (${where}), got entries up to ${lastSeq}: entries ${lastSeq + 1}–${h.seq} were removed`);
    } else {
      const at = this.#named.get(h.seq);
      if (at && (at.hash !== h.hash || !at.signed)) {
        this.#problem(h.seq, 'checkpoint_mismatch', `expected entry ${h.seq} to be the signed entry with hash ${short(h.hash)} (${where}), got ${at.signed ? short(at.hash) : 'an unsigned one'}`);
      }
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
    if (c.signed) this.#checkSignedHead('the signed head checkpoint', c.signed, lastSeq);
    return c;
  }

  finish(): AuditVerifyReport {
    const c = this.#checkpoint();
    const lastSeq = this.#last?.seq ?? 0;
    const { witness, knownHead, pending } = this.#opts;
    if (witness) this.#checkSignedHead("the database's copy of the signed head", witness, lastSeq);
    else if (witness === null && this.#sealed > 0) {
      this.#problem(lastSeq, 'checkpoint_missing', `expected the database's copy of the signed head, since ${this.#sealed} entries are signed, got none: it was removed`);
    }
    if (knownHead) {
      const at = this.#named.get(knownHead.seq);
      if (knownHead.seq > lastSeq) this.#problem(lastSeq + 1, 'truncated', `expected entries up to ${knownHead.seq} (the head you recorded), got entries up to ${lastSeq}: entries ${lastSeq + 1}–${knownHead.seq} were removed`);
      else if (at && at.hash !== knownHead.hash.toLowerCase()) this.#problem(knownHead.seq, 'checkpoint_mismatch', `expected entry ${knownHead.seq} to have hash ${short(knownHead.hash)} (the head you recorded), got ${short(at.hash)}: the log was rewritten since`);
    }
    this.#checkAnchored(lastSeq);
    if (pending) {
      // Also with no unsigned tail: an epoch emptied and its count set back still has a key that moved on.
      const check = checkPending(this.#tail, pending.key0, pending.row, pending.epochExpected ?? false);
      if (check.problem) this.#problem(this.#tail[check.valid]?.seq ?? lastSeq + 1, 'forged_pending', check.problem);
    }
    if (!this.#accepted) {
      this.#problem(0, 'unpinned', "expected the org's signing keys from the vault (unlock it) or from --trust-key, got neither: a log checked only against keys it names itself proves nothing");
    }
    const problems = [...this.#problems].sort((a, b) => a.seq - b.seq);
    return {
      ok: problems.length === 0,
      entries: this.#count,
      sealed: this.#sealed,
      pending: this.#tail.length > 0 ? { from: this.#tail[0]!.seq, to: this.#tail.at(-1)!.seq, checked: !!pending } : null,
      head: this.#last ? { seq: this.#last.seq, hash: this.#last.hash } : null,
      checkpoint: c ? { seq: c.head.seq, signedSeq: c.signed?.seq ?? null } : null,
      pinnedTo: this.#pinnedTo,
      keys: [...(this.#accepted ?? this.#logKeys).values()],
      firstBad: problems[0] ?? null,
      problems,
      anchored: this.#opts.anchoredHead ?? null,
    };
  }

  /**
   * The head the hub's log holds fixes every entry up to it (each entry hashes the one before): a log rewritten
   * wholesale — every entry re-hashed and re-signed with the desk's own keys — still differs at that seq.
   */
  #checkAnchored(lastSeq: number): void {
    const a = this.#opts.anchoredHead;
    if (a?.state === 'invalid') {
      this.#problem(Math.min(a.seq, lastSeq + 1), 'anchored_head_invalid', a.detail);
      return;
    }
    if (a?.state !== 'held') return;
    const at = this.#named.get(a.seq);
    if (a.seq > lastSeq) {
      this.#problem(lastSeq + 1, 'truncated', `expected entries up to ${a.seq} (the head anchored in the organisation's log: ${a.detail}), got entries up to ${lastSeq}: entries ${lastSeq + 1}–${a.seq} were removed`);
    } else if (!at || at.hash !== a.hash) {
      this.#problem(a.seq, 'anchored_head_mismatch', `expected entry ${a.seq} to have hash ${short(a.hash)}, as the organisation's log holds it (${a.detail}), got ${at ? short(at.hash) : 'no such entry'}: the log was rewritten after that head was anchored`);
    }
  }
}

/** Convenience for entries already in memory (an export, a test). */
export function verifyAuditEntries(entries: Iterable<AuditEntry>, checkpoint: CheckpointRead, opts: AuditVerifyOptions = {}): AuditVerifyReport {
  const v = new AuditChainVerifier(checkpoint, opts);
  for (const e of entries) v.push(e);
  return v.finish();
}

const short = (h: string): string => `${h.slice(0, 12)}…`;
