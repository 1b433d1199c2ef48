// The audit log: every security-relevant act appends an entry in the act's own transaction.
//
// Signing. Entries are signed by the desk's current org key, which lives in the vault. Appends made while the
// vault is locked (a `custody verify` by anyone, a failed login, an approval by a user who does not hold the
// passphrase) are hash-chained at once and sealed with a ratchet HMAC (core/audit/pending.ts); the next unlock
// checks those seals and signs only what checks out. A key that could sign without the passphrase would have to
// sit in clear beside the database, so its signature would prove nothing against whoever can edit the database.
//
// Heads. After each act the newest entry is recorded outside the log: audit-head.json beside the database and the
// audit_witness row inside it, both signed while the vault is open. Removing the newest entries then needs both
// rolled back (README, "What the audit log proves").
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { canonicalJson } from './canonical-json.ts';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';
import { GENESIS_ACTION, GENESIS_PREV_HASH, PENDING_REJECTED_ACTION, entryHash, entrySigningMessage, headSigningMessage, type AuditEntry } from './entry.ts';
import { checkPending, epochSecretName, macNextPending, readPendingKey, startEpoch } from './pending.ts';
import { AuditChainVerifier, type AuditVerifyOptions, type AuditVerifyReport, type SignedHead, type TrustedKey } from './verify.ts';
import type { Signer } from '../crypto/keyring.ts';
import { listSigningKeys } from '../crypto/keyring.ts';
import { anchoredAuditHead } from '../sync/audit-proofs.ts';
import { enqueueAuditHead } from '../sync/outbox.ts';

export interface AppendInput {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  at: string;
}

/** What the audit log needs from an open vault. */
export interface AuditVault {
  signer: Signer;
  /** A secret the vault holds, or null. */
  findSecret(name: string): Uint8Array | null;
  putSecret(name: string, secret: Uint8Array): void;
  deleteSecret(name: string): void;
  /** The org signing keys whose private halves the vault holds: the trust roots of verification. */
  orgKeys(): TrustedKey[];
}

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  key_id: string | null;
  signature: string | null;
  pending_mac: string | null;
}

const fromRow = (r: Row): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  subject: r.subject,
  details: JSON.parse(r.details) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
  keyId: r.key_id,
  signature: r.signature,
  pendingMac: r.pending_mac,
});

export function lastAuditEntry(db: ReadableDB): AuditEntry | null {
  const r = db.get<Row>(sql`SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1`);
  return r ? fromRow(r) : null;
}

export function getAuditEntry(db: ReadableDB, seq: number): AuditEntry | null {
  const r = db.get<Row>(sql`SELECT * FROM audit_log WHERE seq = ${seq}`);
  return r ? fromRow(r) : null;
}

/** Entries in seq order, a page at a time. */
export function* auditEntries(db: ReadableDB, opts: { from?: number; subject?: string; pageSize?: number } = {}): Generator<AuditEntry> {
  const page = opts.pageSize ?? 1000;
  let after = (opts.from ?? 1) - 1;
  for (;;) {
    const rows = opts.subject === undefined
      ? db.all<Row>(sql`SELECT * FROM audit_log WHERE seq > ${after} ORDER BY seq LIMIT ${page}`)
      : db.all<Row>(sql`SELECT * FROM audit_log WHERE seq > ${after} AND subject = ${opts.subject} ORDER BY seq LIMIT ${page}`);
    for (const r of rows) yield fromRow(r);
    if (rows.length < page) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/** A record's `record.signed` entry: who signed it and when (the record itself names the key, not the person). */
export function signedEntry(db: ReadableDB, recordId: string): AuditEntry | null {
  for (const e of auditEntries(db, { subject: recordId, pageSize: 50 })) if (e.action === 'record.signed') return e;
  return null;
}

function readWitness(db: ReadableDB): SignedHead | null {
  const r = db.get<{ seq: number; hash: string; key_id: string; signature: string }>(sql`SELECT seq, hash, key_id, signature FROM audit_witness WHERE id = 1`);
  return r ? { seq: r.seq, hash: r.hash, keyId: r.key_id, signature: r.signature } : null;
}

/**
 * Every desk unlocked by code that keeps epochs (migration 8, committed 3 Dec 2026 21:21 UTC) has had one since: an
 * entry signed after this instant (inside its signed hash, so it cannot be moved) was signed by a vault that
 * started one, as layout-signature.ts dates layouts.
 */
export const AUDIT_EPOCHS_SINCE = '2026-12-03T22:00:00.000Z';

/**
 * Whether this desk has started an audit key epoch before, so that a missing epoch row was deleted rather than never
 * made: an entry signed since AUDIT_EPOCHS_SINCE, the database's copy of the signed head (written only after an
 * unlock has started an epoch), or an entry sealed under an earlier epoch. Without any, this is a desk upgraded from
 * before migration 8 and not unlocked since.
 */
function epochExpected(db: ReadableDB): boolean {
  return readWitness(db) !== null
    || db.get<{ one: number }>(sql`SELECT 1 AS one FROM audit_log WHERE pending_mac IS NOT NULL OR (signature IS NOT NULL AND at >= ${AUDIT_EPOCHS_SINCE}) LIMIT 1`) !== undefined;
}

export class AuditLog {
  readonly #db: WritableDB;
  readonly #checkpointPath: string | null;
  #vault: AuditVault | null = null;

  /** checkpointPath: where the head checkpoint lives (CUSTODY_HOME/audit-head.json); null for a scratch log. */
  constructor(db: WritableDB, opts: { checkpointPath: string | null }) {
    this.#db = db;
    this.#checkpointPath = opts.checkpointPath;
  }

  get checkpointPath(): string | null {
    return this.#checkpointPath;
  }

  /** From now on entries are signed as they are written; call seal() to check and sign what was written before. */
  attachVault(vault: AuditVault): void {
    this.#vault = vault;
  }

  get signing(): boolean {
    return this.#vault !== null;
  }

  /**
   * Appends an entry. Call it inside the act's transaction; it opens its own (a savepoint when nested), so that
   * on its own it is atomic too. The first entry of a log is a genesis entry naming the desk keys of the time.
   */
  append(input: AppendInput): AuditEntry {
    return this.#db.transaction(() => {
      let prev = lastAuditEntry(this.#db);
      if (!prev) {
        const keys = listSigningKeys(this.#db).map((k) => ({ id: k.id, publicKey: k.publicKey }));
        prev = this.#insert({ actor: 'system', action: GENESIS_ACTION, subject: null, details: { keys }, at: input.at }, null);
      } else if (this.#vault && prev.signature === null) {
        this.#sealPending(input.at);
        prev = lastAuditEntry(this.#db)!;
      }
      return this.#insert(input, prev);
    });
  }

  #insert(input: AppendInput, prev: AuditEntry | null): AuditEntry {
    const body = {
      seq: (prev?.seq ?? 0) + 1,
      at: input.at,
      actor: input.actor,
      action: input.action,
      subject: input.subject ?? null,
      // Stored as canonical JSON and read back with JSON.parse: the same value hashes the same both ways.
      details: JSON.parse(canonicalJson(input.details ?? {})) as Record<string, unknown>,
      prevHash: prev?.hash ?? GENESIS_PREV_HASH,
    };
    const hash = entryHash(body);
    const signer = this.#vault?.signer ?? null;
    const signature = signer ? Buffer.from(signer.sign(entrySigningMessage(hash))).toString('hex') : null;
    const keyId = signer ? signer.keyId : null;
    const pendingMac = signer ? null : macNextPending(this.#db, hash);
    this.#db.run(sql`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, pending_mac)
      VALUES (${body.seq}, ${body.at}, ${body.actor}, ${body.action}, ${body.subject}, ${canonicalJson(body.details)}, ${body.prevHash},
              ${hash}, ${keyId}, ${signature}, ${pendingMac})`);
    return { ...body, hash, keyId, signature, pendingMac };
  }

  /**
   * Checks the entries written while the vault was locked against the ratchet (pending.ts) and signs those that
   * check out, in order. Never signs one that does not: instead a signed audit.pending_rejected entry names them,
   * and they stay unsigned, reported by every verification from then on. Then a new epoch begins, also when nothing
   * was pending: a K(0) read from the database before this unlock (a backup) is of no use after it.
   */
  #sealPending(at: string): number {
    const vault = this.#vault!;
    const lastSigned = this.#db.get<{ s: number | null }>(sql`SELECT max(seq) AS s FROM audit_log WHERE signature IS NOT NULL`)?.s ?? 0;
    const pending = this.#db.all<{ seq: number; hash: string; pending_mac: string | null }>(sql`SELECT seq, hash, pending_mac FROM audit_log WHERE seq > ${lastSigned} ORDER BY seq`);
    const row = readPendingKey(this.#db);
    const key0 = row ? vault.findSecret(epochSecretName(row.epoch)) : null;
    // Checked even when nothing is pending: an epoch whose entries were all removed and its count set back to 0
    // still has a key that moved on, and a deleted or replaced epoch row is itself the removal (pending.ts).
    const check = checkPending(pending.map((p) => ({ seq: p.seq, hash: p.hash, pendingMac: p.pending_mac })), key0, row, epochExpected(this.#db));
    for (const p of pending.slice(0, check.valid)) {
      const signature = Buffer.from(vault.signer.sign(entrySigningMessage(p.hash))).toString('hex');
      this.#db.run(sql`UPDATE audit_log SET key_id = ${vault.signer.keyId}, signature = ${signature} WHERE seq = ${p.seq} AND signature IS NULL`);
    }
    if (check.problem) {
      const rejected = pending.slice(check.valid);
      const prev = lastAuditEntry(this.#db)!;
      this.#insert({
        actor: 'desk',
        action: PENDING_REJECTED_ACTION,
        subject: null,
        details: { from: rejected[0]?.seq ?? null, to: rejected.at(-1)?.seq ?? null, problem: check.problem },
        at,
      }, prev);
    }
    const next = startEpoch(this.#db);
    vault.putSecret(epochSecretName(next.epoch), next.key);
    if (row) vault.deleteSecret(epochSecretName(row.epoch));
    return check.valid;
  }

  /** Runs an act and the entries it appends in one transaction, then moves the head checkpoint on. */
  act<T>(fn: () => T): T {
    const result = this.#db.transaction(fn);
    this.writeCheckpoint();
    return result;
  }

  /** Checks and signs the entries written while the vault was locked. Needs attachVault() first; returns how many were signed. */
  seal(at = new Date().toISOString()): number {
    return this.#db.transaction(() => this.#sealPending(at));
  }

  /**
   * Records the current head outside the log. Call it after the act's transaction has committed; it reads the
   * head from the database, so calling it more often than needed is harmless.
   */
  writeCheckpoint(): void {
    const head = lastAuditEntry(this.#db);
    if (!head) return;
    // A head that the log no longer holds is evidence (the newest entries were removed or rewritten): it is kept
    // as it is, so that every later verification still shows it, rather than moved onto the rewritten log.
    const holds = (seq: number, hash: string) => getAuditEntry(this.#db, seq)?.hash === hash;
    const signer = this.#vault?.signer ?? null;
    let signed: Checkpoint['signed'] = null;
    if (signer && head.signature !== null) {
      signed = { seq: head.seq, hash: head.hash, keyId: signer.keyId, signature: Buffer.from(signer.sign(headSigningMessage(head.seq, head.hash))).toString('hex') };
      const witness = readWitness(this.#db);
      if (!witness || holds(witness.seq, witness.hash)) {
        // Only ever forward: a process that lags behind must not move the database's copy back.
        const head = signed;
        this.#db.transaction(() => {
          const moved = this.#db.run(sql`INSERT INTO audit_witness (id, seq, hash, key_id, signature) VALUES (1, ${head.seq}, ${head.hash}, ${head.keyId}, ${head.signature})
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, key_id = excluded.key_id, signature = excluded.signature
            WHERE excluded.seq >= audit_witness.seq`);
          // A head that moved forward is for the hub too (its log makes it unrewritable), in the same transaction.
          if (moved.changes > 0 && (!witness || head.seq > witness.seq)) enqueueAuditHead(this.#db, head, new Date().toISOString());
        });
      }
    }
    if (!this.#checkpointPath) return;
    const previous = readCheckpoint(this.#checkpointPath);
    if (previous.status === 'ok') {
      const p = previous.checkpoint;
      if (!holds(p.head.seq, p.head.hash) || (p.signed && !holds(p.signed.seq, p.signed.hash))) return;
      // Locked: keep the last signed head (only the vault can make a new one) and move the plain head on.
      signed ??= p.signed;
    }
    writeCheckpoint(this.#checkpointPath, { version: 1, head: { seq: head.seq, hash: head.hash, at: head.at }, signed });
  }

  /**
   * Verifies the log. With the vault open, the accepted keys are the ones it holds and the entries written while
   * locked are checked against the ratchet; without it, only `trustKeys` can pin the keys (else the report says
   * the log is unpinned, which is never ok).
   */
  verify(opts: Pick<AuditVerifyOptions, 'trustKeys' | 'knownHead'> = {}): AuditVerifyReport {
    // The newest head of this desk the hub's log holds (issue 16): checked whenever a proof of one is kept.
    const anchoredHead = anchoredAuditHead(this.#db);
    const checkpoint = this.#checkpointPath ? readCheckpoint(this.#checkpointPath) : { status: 'absent' as const };
    const vault = this.#vault;
    const row = readPendingKey(this.#db);
    const v = new AuditChainVerifier(checkpoint, {
      ...opts,
      anchoredHead,
      pinned: vault ? vault.orgKeys() : null,
      witness: readWitness(this.#db),
      pending: vault ? { row, key0: row ? vault.findSecret(epochSecretName(row.epoch)) : null, epochExpected: epochExpected(this.#db) } : null,
    });
    for (const e of auditEntries(this.#db)) v.push(e);
    return v.finish();
  }
}
