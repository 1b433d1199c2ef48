// The durable outbox (DESIGN.md "Sync"): every change the hub must learn about is queued here by the transaction
// that makes the change (a signed record with its segments, a publication, a new signed audit-log head), so that a
// crash leaves both or neither. The sync worker (worker.ts) reads pending rows in order and marks them delivered
// or parked; nothing here talks to the network. Table: store/migrations/0010-hub-sync.ts.
import { readRawManifests, manifestStoreBytes } from '../c2pa/jumbf.ts';
import { detectC2paMime } from '../c2pa/media.ts';
import type { OutputContent } from '../provenance/output.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import { hubRecordOf, signHubRecord } from './hub-records.ts';

export type OutboxKind = 'record' | 'publication' | 'audit_head';
export type OutboxState = 'pending' | 'delivered' | 'parked';

/** A signed audit-log head as the desk pushes it (the audit_witness row's content). */
export interface AuditHead {
  seq: number;
  hash: string;
  keyId: string;
  signature: string;
}

export interface OutboxRow {
  seq: number;
  kind: OutboxKind;
  ref: string;
  manifest: { id: string; data: Uint8Array } | null;
  /** A record's whole-record signature, made when it was signed and queued; null for rows queued before that. */
  recordSignature: string | null;
  head: AuditHead | null;
  createdAt: string;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  hubSeq: number | null;
  parked: { code: string; reason: string } | null;
}

interface Row {
  seq: number;
  kind: OutboxKind;
  ref: string;
  manifest_id: string | null;
  manifest: Uint8Array | null;
  record_signature: string | null;
  head: string | null;
  created_at: string;
  state: OutboxState;
  attempts: number;
  last_error: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
  hub_seq: number | null;
  parked_code: string | null;
  parked_reason: string | null;
}

const fromRow = (r: Row): OutboxRow => ({
  seq: r.seq,
  kind: r.kind,
  ref: r.ref,
  manifest: r.manifest_id !== null && r.manifest !== null ? { id: r.manifest_id, data: new Uint8Array(r.manifest) } : null,
  recordSignature: r.record_signature,
  head: r.head === null ? null : (JSON.parse(r.head) as AuditHead),
  createdAt: r.created_at,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  deliveredAt: r.delivered_at,
  hubSeq: r.hub_seq,
  parked: r.parked_code === null ? null : { code: r.parked_code, reason: r.parked_reason ?? '' },
});

/**
 * The active C2PA manifest of a signed output held in memory: its label and the whole store (JUMBF), cut from the
 * container without c2pa-wasm (it runs inside the record's synchronous transaction). Null for a copied file or bytes
 * without a store.
 */
export function manifestOfOutput(content: OutputContent): { id: string; data: Uint8Array } | null {
  if (!(content instanceof Uint8Array)) return null;
  const mime = detectC2paMime(content);
  if (!mime) return null;
  const data = manifestStoreBytes(content, mime);
  const label = readRawManifests(content, mime)?.at(-1)?.label;
  return data && label ? { id: label, data } : null;
}

/**
 * Queues a signed record and its segments (parent first: the hub takes a segment only after its video), each with
 * its whole-record signature made now by `sign` (the key that signed its fingerprint), over the record as the hub
 * will receive it: the sync sends that signature, so an edit of the row before the push is caught, not signed.
 */
export function enqueueRecords(db: WritableDB, parent: SignedRecord, children: readonly SignedRecord[], manifest: { id: string; data: Uint8Array } | null, sign: (message: Uint8Array) => Uint8Array): void {
  const signed = (r: SignedRecord, m: typeof manifest) => signHubRecord(hubRecordOf(r, m), sign).recordSignature;
  db.run(sql`INSERT INTO outbox (kind, ref, manifest_id, manifest, record_signature, created_at) VALUES ('record', ${parent.id}, ${manifest?.id ?? null}, ${manifest?.data ?? null}, ${signed(parent, manifest)}, ${parent.signedAt})`);
  for (const c of children) db.run(sql`INSERT INTO outbox (kind, ref, record_signature, created_at) VALUES ('record', ${c.id}, ${signed(c, null)}, ${c.signedAt})`);
}

export function enqueuePublication(db: WritableDB, publicationId: string, at: string): void {
  db.run(sql`INSERT INTO outbox (kind, ref, created_at) VALUES ('publication', ${publicationId}, ${at})`);
}

/**
 * Queues a new signed audit-log head. Only the newest head matters to the hub (it fixes everything before it), so a
 * head still waiting is replaced rather than joined.
 */
export function enqueueAuditHead(db: WritableDB, head: AuditHead, at: string): void {
  db.transaction(() => {
    db.run(sql`DELETE FROM outbox WHERE kind = 'audit_head' AND state = 'pending' AND CAST(ref AS INTEGER) < ${head.seq}`);
    db.run(sql`INSERT INTO outbox (kind, ref, head, created_at) VALUES ('audit_head', ${String(head.seq)}, ${JSON.stringify(head)}, ${at})
      ON CONFLICT (kind, ref) DO NOTHING`);
  });
}

/** The oldest pending rows of the given kinds, in queue order. */
export function pendingRows(db: ReadableDB, kinds: readonly OutboxKind[], limit: number, afterSeq = 0): OutboxRow[] {
  if (kinds.length === 0) return [];
  const [a, b, c] = [kinds[0], kinds[1] ?? kinds[0], kinds[2] ?? kinds[0]];
  return db.all<Row>(sql`SELECT * FROM outbox WHERE state = 'pending' AND seq > ${afterSeq} AND kind IN (${a}, ${b}, ${c}) ORDER BY seq LIMIT ${limit}`).map(fromRow);
}

export function outboxRow(db: ReadableDB, seq: number): OutboxRow | null {
  const r = db.get<Row>(sql`SELECT * FROM outbox WHERE seq = ${seq}`);
  return r ? fromRow(r) : null;
}

/** The queue entry of a record, or null (a record of an older desk queued by the migration has one too). */
export function outboxOfRecord(db: ReadableDB, recordId: string): OutboxRow | null {
  const r = db.get<Row>(sql`SELECT * FROM outbox WHERE kind = 'record' AND ref = ${recordId}`);
  return r ? fromRow(r) : null;
}

/** Rows the hub took (accepted now, or answered as already held), with the position it gave each. */
export function markDelivered(db: WritableDB, delivered: readonly { seq: number; hubSeq: number | null; status: string }[], at: string): void {
  db.transaction(() => {
    for (const d of delivered) {
      db.run(sql`UPDATE outbox SET state = 'delivered', delivered_at = ${at}, hub_seq = ${d.hubSeq}, hub_status = ${d.status}, last_error = NULL
        WHERE seq = ${d.seq} AND state = 'pending'`);
    }
  });
}

/** A row the hub refused: set aside with the hub's code and reason, so the rows after it go on. */
export function parkRow(db: WritableDB, seq: number, code: string, reason: string, at: string): void {
  db.run(sql`UPDATE outbox SET state = 'parked', parked_code = ${code}, parked_reason = ${reason}, last_error = ${`${code}: ${reason}`}, last_attempt_at = ${at}
    WHERE seq = ${seq} AND state = 'pending'`);
}

/** Counts an attempt that did not get an answer (the hub unreachable, a 5xx): the rows stay pending. */
export function noteAttempt(db: WritableDB, seqs: readonly number[], error: string, at: string): void {
  db.transaction(() => {
    for (const s of seqs) db.run(sql`UPDATE outbox SET attempts = attempts + 1, last_error = ${error}, last_attempt_at = ${at} WHERE seq = ${s} AND state = 'pending'`);
  });
}

/** Puts parked rows back in the queue (after the cause was fixed on the hub); all of them when no seq is given. */
export function unparkRows(db: WritableDB, seq?: number): number {
  const q = seq === undefined
    ? sql`UPDATE outbox SET state = 'pending', parked_code = NULL, parked_reason = NULL WHERE state = 'parked'`
    : sql`UPDATE outbox SET state = 'pending', parked_code = NULL, parked_reason = NULL WHERE state = 'parked' AND seq = ${seq}`;
  return db.run(q).changes;
}

export interface OutboxStats {
  pending: number;
  delivered: number;
  parked: number;
  /** The oldest row not yet delivered. */
  oldestPending: { seq: number; kind: OutboxKind; ref: string; createdAt: string; attempts: number; lastError: string | null } | null;
  byKind: Record<OutboxKind, { pending: number; delivered: number; parked: number }>;
}

export function outboxStats(db: ReadableDB): OutboxStats {
  const byKind: OutboxStats['byKind'] = {
    record: { pending: 0, delivered: 0, parked: 0 },
    publication: { pending: 0, delivered: 0, parked: 0 },
    audit_head: { pending: 0, delivered: 0, parked: 0 },
  };
  for (const r of db.all<{ kind: OutboxKind; state: OutboxState; n: number }>(sql`SELECT kind, state, count(*) AS n FROM outbox GROUP BY kind, state`)) {
    byKind[r.kind][r.state] = r.n;
  }
  const sum = (s: OutboxState) => Object.values(byKind).reduce((n, k) => n + k[s], 0);
  const o = db.get<Row>(sql`SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1`);
  return {
    pending: sum('pending'),
    delivered: sum('delivered'),
    parked: sum('parked'),
    oldestPending: o ? { seq: o.seq, kind: o.kind, ref: o.ref, createdAt: o.created_at, attempts: o.attempts, lastError: o.last_error } : null,
    byKind,
  };
}

export function parkedRows(db: ReadableDB, limit = 100): OutboxRow[] {
  return db.all<Row>(sql`SELECT * FROM outbox WHERE state = 'parked' ORDER BY seq LIMIT ${limit}`).map(fromRow);
}
