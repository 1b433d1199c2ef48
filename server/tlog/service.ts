// The hub's transparency logs (docs/anchoring.md): signs checkpoints on a timer or once enough leaves wait, never
// one that does not extend the previous; answers checkpoints, inclusion proofs (as proof files) and consistency
// proofs. Leaves are appended by ingest and the audit-head push, inside their own transactions.
import { sql } from 'kysely';
import { CustodyError } from '../../core/errors.ts';
import { signCheckpoint } from '../../core/tlog/checkpoint.ts';
import { leafHashOf, recordLeafOfBody, type Leaf } from '../../core/tlog/leaves.ts';
import { checkConsistency, consistencyProof, inclusionProof, ProofError, rootAt, rootFromInclusionProof, type NodeReader } from '../../core/tlog/merkle.ts';
import { formatVerifierKey } from '../../core/tlog/note.ts';
import { buildProofFile, type ChainRef, type ProofFile } from '../../core/tlog/proof-file.ts';
import type { HubDatabase } from '../db/connect.ts';
import type { Dialect, HubKysely } from '../db/schema.ts';
import type { LogKey } from './log-key.ts';
import { lockTenant } from '../tenants/lock.ts';
import { appendLeaves, CachingNodeReader, DbNodeReader, logEdge } from './log-store.ts';

/** One record's answer in a batch of proofs: the proof file, or the code and message a single request would give. */
export interface RecordProofAnswer {
  id: string;
  proof: ProofFile | null;
  code: string | null;
  message: string | null;
}

/** Where a checkpoint's root was anchored: the anchoring worker's answer (null until confirmed, or with no chain). */
export interface AnchorLookup {
  chainRefFor(tenantId: string, size: number): Promise<ChainRef | null>;
}
export const NO_CHAIN: AnchorLookup = { chainRefFor: async () => null };

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
export const DEFAULT_MAX_UNSIGNED = 1000;

export interface CheckpointView {
  origin: string;
  size: number;
  /** Base64, as in the note. */
  root: string;
  note: string;
  signedAt: string;
}

export interface TransparencyLogOptions {
  /** The checkpoint key; null: leaves are kept, nothing is signed (proofs answer PROOF_NOT_READY). */
  logKey: LogKey | null;
  anchors?: AnchorLookup;
  intervalMs?: number;
  /** Sign as soon as this many leaves wait, without waiting for the timer. */
  maxUnsigned?: number;
  onError?: (e: unknown) => void;
  /** Hears of every signing: the checkpoint signed, or the error that stopped it. */
  onSigning?: (outcome: { signed: CheckpointView } | { error: unknown }) => void;
  now?: () => Date;
}

type Row = { size: number; root: Uint8Array; note: string; signed_at: string };

export class TransparencyLog {
  readonly #db: HubKysely;
  readonly #dialect: Dialect;
  readonly #o: Required<Omit<TransparencyLogOptions, 'logKey'>> & { logKey: LogKey | null };
  #timer: NodeJS.Timeout | null = null;
  /** Per tenant: the signing in progress (one at a time in a process) and the last size signed. */
  readonly #signing = new Map<string, Promise<unknown>>();
  readonly #signed = new Map<string, number>();

  constructor(hub: HubDatabase, o: TransparencyLogOptions) {
    this.#db = hub.db;
    this.#dialect = hub.dialect;
    this.#o = { anchors: NO_CHAIN, intervalMs: DEFAULT_CHECKPOINT_INTERVAL_MS, maxUnsigned: DEFAULT_MAX_UNSIGNED, onError: () => {}, onSigning: () => {}, now: () => new Date(), ...o };
  }

  get anchors(): AnchorLookup {
    return this.#o.anchors;
  }

  /** The verifier key to pin, or null when this process has no checkpoint key. */
  verifierKey(): string | null {
    return this.#o.logKey ? formatVerifierKey(this.#o.logKey.key) : null;
  }

  origin(tenantId: string): string {
    return `${this.#requireKey().key.name}/${tenantId}`;
  }

  start(): void {
    if (!this.#o.logKey || this.#timer) return;
    this.#timer = setInterval(() => void this.signAll().catch(this.#o.onError), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.allSettled([...this.#signing.values()]);
  }

  /**
   * Appends records accepted before the log existed (a hub upgraded from before migration 0002), in tenant_seq
   * order, under the tenant lock. Ingest appends every new record itself, so this finds nothing to do after once.
   */
  async catchUp(): Promise<number> {
    let appended = 0;
    for (const { id, record_count } of await this.#db.selectFrom('tenants').select(['id', 'record_count']).execute()) {
      if (record_count === 0) continue;
      // Records enter the log in tenant_seq order, so the newest being there means all are.
      const newest = await this.#db.selectFrom('records as r').innerJoin('tlog_leaves as l', (j) => j.onRef('l.tenant_id', '=', 'r.tenant_id').onRef('l.ref', '=', 'r.id'))
        .select('l.idx').where('r.tenant_id', '=', id).where('r.tenant_seq', '=', record_count).where('l.kind', '=', 'record').executeTakeFirst();
      if (newest) continue;
      for (;;) {
        const n = await this.#db.transaction().execute(async (trx) => {
          const count = await lockTenant(trx, this.#dialect, id);
          const inLog = Number((await trx.selectFrom('tlog_leaves').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', id).where('kind', '=', 'record').executeTakeFirstOrThrow()).n);
          if (inLog >= count) return 0;
          const rows = await trx.selectFrom('records').select(['id', 'body', 'record_signature']).where('tenant_id', '=', id).where('tenant_seq', '>', inLog).orderBy('tenant_seq').limit(1000).execute();
          await appendLeaves(trx, id, rows.map((r) => ({ kind: 'record' as const, ref: r.id, hash: leafHashOf(recordLeafOfBody(r.body, r.record_signature)) })), this.#o.now().toISOString());
          return rows.length;
        });
        appended += n;
        if (n === 0) break;
      }
    }
    return appended;
  }

  /** Told by ingest and the audit-head push after they commit: signs at once when enough leaves wait. */
  appended(tenantId: string, size: number): void {
    if (!this.#o.logKey) return;
    void (async () => {
      let signed = this.#signed.get(tenantId);
      if (signed === undefined) {
        signed = (await latestRow(this.#db, tenantId))?.size ?? 0;
        this.#signed.set(tenantId, signed);
      }
      if (size - signed >= this.#o.maxUnsigned) await this.sign(tenantId);
    })().catch(this.#o.onError);
  }

  /** Signs a checkpoint for every tenant whose log grew since its last one. */
  async signAll(): Promise<void> {
    const due = await this.#db.selectFrom('tlog_logs as l')
      .select('l.tenant_id')
      .where('l.size', '>', (eb) => eb.fn.coalesce(eb.selectFrom('tlog_checkpoints as c').select((e) => e.fn.max('c.size').as('m')).whereRef('c.tenant_id', '=', 'l.tenant_id'), sql<number>`0`))
      .execute();
    for (const { tenant_id } of due) await this.sign(tenant_id);
  }

  /** Signs a checkpoint of the tenant's log at its current size, unless one of that size exists. One at a time per tenant. */
  sign(tenantId: string): Promise<CheckpointView | null> {
    const prev = this.#signing.get(tenantId) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.#sign(tenantId)).then(
      (view) => {
        if (view) this.#o.onSigning({ signed: view });
        return view;
      },
      (error: unknown) => {
        this.#o.onSigning({ error });
        throw error;
      },
    );
    this.#signing.set(tenantId, run);
    void run.finally(() => {
      if (this.#signing.get(tenantId) === run) this.#signing.delete(tenantId);
    }).catch(() => {});
    return run;
  }

  async #sign(tenantId: string): Promise<CheckpointView | null> {
    const { key, secretKey } = this.#requireKey();
    const origin = this.origin(tenantId);
    const view = await this.#db.transaction().execute(async (trx) => {
      // The log row's lock: appends wait, and another hub process signing the same log waits and then finds our row.
      if (this.#dialect === 'postgres') await trx.selectFrom('tlog_logs').select('size').where('tenant_id', '=', tenantId).forUpdate().execute();
      else await trx.updateTable('tlog_logs').set({ size: sql`size` }).where('tenant_id', '=', tenantId).execute();
      const edge = await logEdge(trx, tenantId);
      const last = await latestRow(trx, tenantId);
      if (edge.size === 0 || (last && last.size >= edge.size)) return null;
      const root = edge.root();
      const reader = new DbNodeReader(trx, tenantId);
      // The stored subtrees must give the same root as the edge, or proofs served later would not match it.
      if (!Buffer.from(await rootAt(reader, edge.size)).equals(Buffer.from(root))) {
        throw new CustodyError('INTEGRITY_FAILED', `expected the stored subtrees of tenant ${tenantId}'s log to give the root of its edge at size ${edge.size}, got another root`);
      }
      if (last) {
        try {
          checkConsistency(last.size, edge.size, await consistencyProof(reader, last.size, edge.size), new Uint8Array(last.root), root);
        } catch (e) {
          if (!(e instanceof ProofError)) throw e;
          throw new CustodyError('LOG_INCONSISTENT', `expected the log of tenant ${tenantId} at size ${edge.size} to extend its checkpoint at size ${last.size}, got: ${e.message}; refusing to sign`);
        }
      }
      const note = signCheckpoint({ origin, size: edge.size, root, extensions: [] }, key.name, secretKey);
      const signedAt = this.#o.now().toISOString();
      await trx.insertInto('tlog_checkpoints').values({ tenant_id: tenantId, size: edge.size, root, note, signed_at: signedAt }).execute();
      return viewOf(origin, { size: edge.size, root, note, signed_at: signedAt });
    });
    const size = view?.size ?? (await latestRow(this.#db, tenantId))?.size;
    if (size !== undefined) this.#signed.set(tenantId, size);
    return view;
  }

  async latest(tenantId: string): Promise<CheckpointView | null> {
    const row = await latestRow(this.#db, tenantId);
    return row ? viewOf(this.#originOf(row), row) : null;
  }

  async checkpointAt(tenantId: string, size: number): Promise<CheckpointView> {
    const row = await this.#db.selectFrom('tlog_checkpoints').select(['size', 'root', 'note', 'signed_at']).where('tenant_id', '=', tenantId).where('size', '=', size).executeTakeFirst();
    if (!row) throw new CustodyError('NOT_FOUND', `expected a size the log was checkpointed at, got ${size}`);
    return viewOf(this.#originOf(row), row);
  }

  /** The proof file of leaf `index` against the checkpoint of `size` (default: the newest). */
  async proofForLeaf(tenantId: string, index: number, size?: number): Promise<ProofFile> {
    const cp = size === undefined ? await this.latest(tenantId) : await this.checkpointAt(tenantId, size);
    if (!cp || cp.size <= index) {
      // Said only for a leaf that exists: an index past the log is NOT_FOUND.
      await this.#leafRow(tenantId, index);
      if (size !== undefined) throw new CustodyError('INVALID_ARGUMENT', `expected a checkpoint that covers leaf ${index}, got size ${size}`);
      throw new CustodyError('PROOF_NOT_READY', `expected a signed checkpoint covering leaf ${index}, got ${cp ? `the newest at size ${cp.size}` : 'none yet'}: retry after the next checkpoint`);
    }
    return this.#proofAt(tenantId, index, cp, new DbNodeReader(this.#db, tenantId), await this.#o.anchors.chainRefFor(tenantId, cp.size));
  }

  async #leafRow(tenantId: string, index: number): Promise<{ kind: 'record' | 'audit-head'; ref: string; leaf_hash: Uint8Array }> {
    const row = await this.#db.selectFrom('tlog_leaves').select(['kind', 'ref', 'leaf_hash']).where('tenant_id', '=', tenantId).where('idx', '=', index).executeTakeFirst();
    if (!row) throw new CustodyError('NOT_FOUND', `expected a leaf index of this organisation's log, got ${index}`);
    return row;
  }

  /** Leaf `index` (< cp.size) proven under `cp`, its leaf and path checked against the stored tree and the signed root. */
  async #proofAt(tenantId: string, index: number, cp: CheckpointView, reader: NodeReader, chain: ChainRef | null): Promise<ProofFile> {
    const row = await this.#leafRow(tenantId, index);
    const { leaf, record } = await this.#leaf(tenantId, row);
    if (!Buffer.from(leafHashOf(leaf)).equals(Buffer.from(row.leaf_hash))) {
      throw new CustodyError('INTEGRITY_FAILED', `expected leaf ${index} (${row.kind} ${row.ref}) to hash to its stored leaf hash, got another: the stored ${row.kind} was changed`);
    }
    const hashes = await inclusionProof(reader, index, cp.size);
    // A proof that does not lead to the signed root means the stored tree was changed: say so rather than serve it.
    if (!Buffer.from(rootFromInclusionProof(index, cp.size, row.leaf_hash, hashes)).equals(Buffer.from(cp.root, 'base64'))) {
      throw new CustodyError('INTEGRITY_FAILED', `expected the stored tree to prove leaf ${index} under the checkpoint of size ${cp.size}, got a path to another root: the log was changed in the database`);
    }
    return buildProofFile({ leaf, record, index, hashes, checkpoint: cp.note, chain });
  }

  async proofForRecord(tenantId: string, recordId: string, size?: number): Promise<ProofFile> {
    const row = await this.#db.selectFrom('tlog_leaves').select('idx').where('tenant_id', '=', tenantId).where('kind', '=', 'record').where('ref', '=', recordId).executeTakeFirst();
    if (!row) throw new CustodyError('NOT_FOUND', `expected a record this organisation pushed, got ${recordId}`);
    return this.proofForLeaf(tenantId, row.idx, size);
  }

  /**
   * Proof files for many records at once (the desk's catch-up), all against the newest checkpoint: each answer is the
   * proof, or why there is none (NOT_FOUND, PROOF_NOT_READY, or the error a single proof would have given).
   */
  async proofsForRecords(tenantId: string, ids: readonly string[]): Promise<{ size: number | null; proofs: RecordProofAnswer[] }> {
    const cp = await this.latest(tenantId);
    const unique = [...new Set(ids)];
    const rows = unique.length === 0 ? [] : await this.#db.selectFrom('tlog_leaves').select(['ref', 'idx']).where('tenant_id', '=', tenantId).where('kind', '=', 'record').where('ref', 'in', unique).execute();
    const at = new Map(rows.map((r) => [r.ref, r.idx]));
    // The proofs of a batch share one checkpoint, one chain reference and most of their subtrees (the ids of a
    // catch-up are neighbours in the log): complete subtrees never change, so each is read and hashed once here.
    const reader = new CachingNodeReader(new DbNodeReader(this.#db, tenantId));
    const chain = cp ? await this.#o.anchors.chainRefFor(tenantId, cp.size) : null;
    const proofs: RecordProofAnswer[] = [];
    for (const id of ids) {
      const idx = at.get(id);
      const none = (code: string, message: string) => proofs.push({ id, proof: null, code, message });
      if (idx === undefined) none('NOT_FOUND', `expected a record this organisation pushed, got ${id}`);
      else if (!cp || cp.size <= idx) none('PROOF_NOT_READY', `expected a signed checkpoint covering leaf ${idx}, got ${cp ? `the newest at size ${cp.size}` : 'none yet'}: retry after the next checkpoint`);
      else {
        try {
          proofs.push({ id, proof: await this.#proofAt(tenantId, idx, cp, reader, chain), code: null, message: null });
        } catch (e) {
          if (!(e instanceof CustodyError)) throw e;
          none(e.code, e.message);
        }
      }
    }
    return { size: cp?.size ?? null, proofs };
  }

  /** Consistency proof between two checkpointed sizes. */
  async consistency(tenantId: string, from: number, to: number): Promise<Uint8Array[]> {
    if (from > to) throw new CustodyError('INVALID_ARGUMENT', `expected from ≤ to, got ${from} > ${to}`);
    for (const s of from === 0 ? [to] : [from, to]) await this.checkpointAt(tenantId, s);
    return consistencyProof(new DbNodeReader(this.#db, tenantId), from, to);
  }

  async #leaf(tenantId: string, row: { kind: 'record' | 'audit-head'; ref: string }): Promise<{ leaf: Leaf; record: string | null }> {
    if (row.kind === 'record') {
      const r = await this.#db.selectFrom('records').select(['body', 'record_signature']).where('tenant_id', '=', tenantId).where('id', '=', row.ref).executeTakeFirstOrThrow();
      return { leaf: recordLeafOfBody(r.body, r.record_signature), record: r.body };
    }
    const [deskId, seq] = [row.ref.slice(0, row.ref.lastIndexOf(':')), Number(row.ref.slice(row.ref.lastIndexOf(':') + 1))];
    const h = await this.#db.selectFrom('audit_heads').selectAll().where('desk_id', '=', deskId).where('seq', '=', seq).executeTakeFirstOrThrow();
    return { leaf: { v: 1, type: 'audit-head', desk: h.desk_id, seq: h.seq, hash: h.hash, publicKey: h.public_key, signature: h.signature }, record: null };
  }

  #originOf(row: { note: string }): string {
    return row.note.slice(0, row.note.indexOf('\n'));
  }

  #requireKey(): LogKey {
    if (!this.#o.logKey) throw new CustodyError('KEY_LOCKED', 'expected the hub to hold its checkpoint key (start it with CUSTODY_HUB_PASSPHRASE), got none');
    return this.#o.logKey;
  }
}

async function latestRow(db: HubKysely, tenantId: string): Promise<Row | undefined> {
  return db.selectFrom('tlog_checkpoints').select(['size', 'root', 'note', 'signed_at']).where('tenant_id', '=', tenantId).orderBy('size', 'desc').limit(1).executeTakeFirst();
}

function viewOf(origin: string, row: Row): CheckpointView {
  return { origin, size: row.size, root: Buffer.from(row.root).toString('base64'), note: row.note, signedAt: row.signed_at };
}
