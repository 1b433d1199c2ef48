// The audit log: every security-relevant act appends an entry in the act's own transaction.
//
// Signing. Entries are signed by the desk's current org key, which lives in the vault. Appends made while the
// vault is locked (a `custody verify` by anyone, a failed login, an approval by a user who does not hold the
// passphrase) are hash-chained at once and left unsigned; the next unlock seals them, in order, and until then
// `custody audit verify` reports them as pending. A key that could sign without the passphrase would have to
// sit in clear beside the database, so its signature would prove nothing against whoever can edit the database.
import { listSigningKeys, type Signer } from '../crypto/keyring.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { canonicalJson } from './canonical-json.ts';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';
import { GENESIS_ACTION, GENESIS_PREV_HASH, entryHash, entrySigningMessage, headSigningMessage, type AuditEntry } from './entry.ts';
import { AuditChainVerifier, type AuditVerifyReport } from './verify.ts';

export interface AppendInput {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  at: string;
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

export class AuditLog {
  readonly #db: WritableDB;
  readonly #checkpointPath: string | null;
  #signer: Signer | null = null;

  /** checkpointPath: where the head checkpoint lives (CUSTODY_HOME/audit-head.json); null for a scratch log. */
  constructor(db: WritableDB, opts: { checkpointPath: string | null }) {
    this.#db = db;
    this.#checkpointPath = opts.checkpointPath;
  }

  get checkpointPath(): string | null {
    return this.#checkpointPath;
  }

  /** From now on entries are signed as they are written; call seal() to sign what was written before. */
  attachSigner(signer: Signer): void {
    this.#signer = signer;
  }

  get signing(): boolean {
    return this.#signer !== null;
  }

  /**
   * Appends an entry. Call it inside the act's transaction; it opens its own (a savepoint when nested), so that
   * on its own it is atomic too. The first entry of a log is a genesis entry naming the desk keys it trusts.
   */
  append(input: AppendInput, opts: { signer?: Signer } = {}): AuditEntry {
    return this.#db.transaction(() => {
      let prev = lastAuditEntry(this.#db);
      if (!prev) {
        const keys = listSigningKeys(this.#db).map((k) => ({ id: k.id, publicKey: k.publicKey }));
        prev = this.#insert({ actor: 'system', action: GENESIS_ACTION, subject: null, details: { keys }, at: input.at }, null, opts.signer);
      } else if (this.#signer && prev.signature === null) {
        this.#sealPending();
      }
      return this.#insert(input, prev, opts.signer);
    });
  }

  #insert(input: AppendInput, prev: AuditEntry | null, signerOverride?: Signer): AuditEntry {
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
    const signer = signerOverride ?? this.#signer;
    const signature = signer ? Buffer.from(signer.sign(entrySigningMessage(hash))).toString('hex') : null;
    const keyId = signer ? signer.keyId : null;
    this.#db.run(sql`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature)
      VALUES (${body.seq}, ${body.at}, ${body.actor}, ${body.action}, ${body.subject}, ${canonicalJson(body.details)}, ${body.prevHash},
              ${hash}, ${keyId}, ${signature})`);
    return { ...body, hash, keyId, signature };
  }

  #sealPending(): number {
    const signer = this.#signer;
    if (!signer) return 0;
    const pending = this.#db.all<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_log WHERE signature IS NULL ORDER BY seq`);
    for (const p of pending) {
      const signature = Buffer.from(signer.sign(entrySigningMessage(p.hash))).toString('hex');
      this.#db.run(sql`UPDATE audit_log SET key_id = ${signer.keyId}, signature = ${signature} WHERE seq = ${p.seq} AND signature IS NULL`);
    }
    return pending.length;
  }

  /** Runs an act and the entries it appends in one transaction, then moves the head checkpoint on. */
  act<T>(fn: () => T): T {
    const result = this.#db.transaction(fn);
    this.writeCheckpoint();
    return result;
  }

  /** Signs the entries written while the vault was locked. Needs attachSigner() first; returns how many. */
  seal(): number {
    return this.#db.transaction(() => this.#sealPending());
  }

  /**
   * Records the current head outside the database. Call it after the act's transaction has committed; it reads
   * the head from the database, so calling it more often than needed is harmless.
   */
  writeCheckpoint(): void {
    if (!this.#checkpointPath) return;
    const head = lastAuditEntry(this.#db);
    if (!head) return;
    let signed: Checkpoint['signed'] = null;
    if (this.#signer && head.signature !== null) {
      signed = {
        seq: head.seq,
        hash: head.hash,
        keyId: this.#signer.keyId,
        signature: Buffer.from(this.#signer.sign(headSigningMessage(head.seq, head.hash))).toString('hex'),
      };
    } else {
      // Locked: keep the last signed head (only the vault can make a new one) and move the plain head on.
      const previous = readCheckpoint(this.#checkpointPath);
      if (previous.status === 'ok') signed = previous.checkpoint.signed;
    }
    writeCheckpoint(this.#checkpointPath, { version: 1, head: { seq: head.seq, hash: head.hash, at: head.at }, signed });
  }

  verify(opts: { trustKey?: string | null } = {}): AuditVerifyReport {
    const checkpoint = this.#checkpointPath ? readCheckpoint(this.#checkpointPath) : { status: 'absent' as const };
    const v = new AuditChainVerifier(checkpoint, opts);
    for (const e of auditEntries(this.#db)) v.push(e);
    return v.finish();
  }
}
