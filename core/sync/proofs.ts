// Pulling back what the hub's transparency log says about the desk's records (docs/anchoring.md): an inclusion
// proof per delivered record, checked here with the hub's pinned log key against the leaf the desk computes from its
// own record, and kept with the record; every checkpoint seen is checked to extend the last one kept (a consistency
// proof from the hub, verified here). A proof that does not verify, or a checkpoint that does not extend what the
// desk saw before, is an alarm: an audit entry and the status, never a silent update; nothing of it is stored.
import type { AuditLog } from '../audit/log.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getRecord } from '../store/records.ts';
import { getSetting, setSetting } from '../store/settings.ts';
import { parseLeaf, recordLeafOf, type Leaf, type RecordLeaf } from '../tlog/leaves.ts';
import { verifyConsistency } from '../tlog/merkle.ts';
import { parseVerifierKey, type NoteKey } from '../tlog/note.ts';
import { parseProofFile, verifyProofFile, type ChainRef, type ProofFile, type VerifiedProof } from '../tlog/proof-file.ts';
import { expectedHeadLeaf, headToReanchor, headsToProve, keepHeadProof } from './audit-proofs.ts';
import type { HubClient, HubOutcome } from './hub-client.ts';
import { hubRecordOf } from './hub-records.ts';
import { HUB_LOG_KEY_SETTING, logOrigin } from './link.ts';
import { outboxOfRecord } from './outbox.ts';
import { servedAgain, type RefProof } from './refuted-refs.ts';

export { HUB_LOG_KEY_SETTING };
export const ALARM_ACTION = 'hub.log_alarm';

export interface PullReport {
  fetched: number;
  anchored: number;
  /** Proofs of this desk's audit heads received, and heads no checkpoint covers yet. */
  heads: number;
  headsNotReady: number;
  notReady: number;
  /** Proofs that came back with a chain reference the chain refuted before (refuted-refs.ts): not kept, no new alarm. */
  refutedAgain: number;
  /** The hub has no transparency log (no proof routes). */
  unsupported: boolean;
  alarm: string | null;
  error: string | null;
}

export interface KeptCheckpoint {
  size: number;
  root: string;
  note: string;
  receivedAt: string;
}

export function lastCheckpoint(db: ReadableDB): KeptCheckpoint | null {
  const r = db.get<{ tree_size: number; root: string; note: string; received_at: string }>(sql`SELECT * FROM hub_checkpoints ORDER BY tree_size DESC LIMIT 1`);
  return r ? { size: r.tree_size, root: r.root, note: r.note, receivedAt: r.received_at } : null;
}

export interface HeldProof {
  recordId: string;
  leafIndex: number;
  treeSize: number;
  file: string;
  chain: ChainRef | null;
  /** When the desk confirmed `chain` on the chain itself (chain-check.ts); null: the hub's word. */
  chainCheckedAt: string | null;
  receivedAt: string;
}

export function proofOf(db: ReadableDB, recordId: string): HeldProof | null {
  const r = db.get<{ record_id: string; leaf_index: number; tree_size: number; proof: string; chain: string | null; chain_checked_at: string | null; received_at: string }>(sql`SELECT * FROM hub_proofs WHERE record_id = ${recordId}`);
  return r ? { recordId: r.record_id, leafIndex: r.leaf_index, treeSize: r.tree_size, file: r.proof, chain: r.chain ? (JSON.parse(r.chain) as ChainRef) : null, chainCheckedAt: r.chain_checked_at, receivedAt: r.received_at } : null;
}

export function proofStats(db: ReadableDB): { held: number; anchored: number; confirmed: number; lastReceivedAt: string | null } {
  const r = db.get<{ n: number; a: number; c: number; last: string | null }>(sql`SELECT count(*) AS n, count(chain) AS a, count(chain_checked_at) AS c, max(received_at) AS last FROM hub_proofs`)!;
  return { held: r.n, anchored: r.a, confirmed: r.c, lastReceivedAt: r.last };
}

/** Where a record stands with the hub, for the Library. */
export type AnchorState =
  | { state: 'local'; detail: string }
  | { state: 'pending'; detail: string }
  | { state: 'logged'; detail: string; at: string }
  | { state: 'anchored'; detail: string; at: string; chain: ChainRef; checkedAt: string | null }
  | { state: 'refused'; detail: string; code: string };

export function anchorState(db: ReadableDB, recordId: string, linked: boolean): AnchorState {
  const p = proofOf(db, recordId);
  if (p?.chain) {
    const where = `on chain ${p.chain.chainId} in block ${p.chain.block}${p.chain.timestamp ? ` at ${p.chain.timestamp}` : ''}`;
    return { state: 'anchored', at: p.chain.timestamp ?? p.receivedAt, chain: p.chain, checkedAt: p.chainCheckedAt, detail: p.chainCheckedAt ? `anchored ${where}, confirmed on the chain by this desk at ${p.chainCheckedAt}` : `anchored ${where} (the hub reports it; \`custody hub check-chain\` confirms it on the chain)` };
  }
  if (p) return { state: 'logged', at: p.receivedAt, detail: `in the hub's log (leaf ${p.leafIndex} of ${p.treeSize}), not yet on chain` };
  const o = outboxOfRecord(db, recordId);
  if (o?.state === 'parked') return { state: 'refused', code: o.parked?.code ?? '', detail: `the hub refused it: ${o.parked?.code}: ${o.parked?.reason}` };
  if (!linked) return { state: 'local', detail: 'this desk is not connected to a hub' };
  if (o?.state === 'delivered') return { state: 'pending', detail: `on the hub since ${o.deliveredAt}, waiting for its proof` };
  return { state: 'pending', detail: o?.lastError ? `waiting to be pushed (last attempt: ${o.lastError})` : 'waiting to be pushed' };
}

/**
 * The leaf the organisation's log must hold for a record of this desk, computed from the desk's own record and the
 * manifest store it pushed: a proof is believed only about this leaf. Null when the desk has no such record.
 * The record signature is the one the desk kept in the outbox row when it signed and queued the record. A row queued
 * before the desk kept one was signed at its push (the same bytes each time, but that needs the vault, which
 * verification does not): a version 2 leaf's signature is then taken from the proof's `file`, and verifyProofFile
 * checks that it verifies with the record's key over the content computed here. A record pushed before desks signed
 * whole records has a version 1 leaf.
 */
export function expectedLeafOf(db: ReadableDB, recordId: string, file: ProofFile): RecordLeaf | null {
  const record = getRecord(db, recordId);
  if (!record) return null;
  const row = outboxOfRecord(db, recordId);
  const unsigned = hubRecordOf(record, row?.manifest ?? null);
  // The signature the desk made when it queued the record, when it kept one: the leaf must carry exactly that (a
  // hub cannot log it as a version 1 leaf); for a row queued before, the leaf's own (checked with the leaf).
  const held = parseLeaf(file.leaf);
  const recordSignature = row?.recordSignature ?? (held?.type === 'record' && held.v === 2 ? held.recordSignature : null);
  return recordLeafOf({ ...unsigned, recordSignature });
}

/** The pinned log key; at first use, the one the hub serves (trust on first use), kept from then on. */
async function pinnedKey(db: WritableDB, client: HubClient): Promise<NoteKey | 'unsupported' | null> {
  const kept = getSetting(db, HUB_LOG_KEY_SETTING);
  if (kept) return parseVerifierKey(kept);
  const o = await client.request('GET', '/v1/log/key');
  if (o.kind === 'unreachable') return null;
  if (o.status === 404) return 'unsupported';
  if (o.status !== 200 || typeof o.body.key !== 'string') return null;
  const key = parseVerifierKey(o.body.key);
  setSetting(db, HUB_LOG_KEY_SETTING, o.body.key);
  return key;
}

/** Proof requests in flight at once, when the hub has no batch route. */
const FETCH_AHEAD = 8;

/** Records a batch proof request asks for (the hub takes 1,000). */
export const PROOF_BATCH = 500;

/** A proof not yet on chain is asked for again (for its chain reference) at most this often. */
export const REFETCH_UNANCHORED_MS = 60_000;

/**
 * Proofs are asked for delivered records that have none, then for a few of those not yet on chain whose last copy
 * is older than REFETCH_UNANCHORED_MS (a hub without a chain never anchors: they must not be asked for in a loop).
 */
function candidates(db: ReadableDB, limit: number, now: Date): string[] {
  const missing = db.all<{ ref: string }>(sql`SELECT o.ref FROM outbox o LEFT JOIN hub_proofs p ON p.record_id = o.ref
    WHERE o.kind = 'record' AND o.state = 'delivered' AND p.record_id IS NULL ORDER BY o.seq LIMIT ${limit}`).map((r) => r.ref);
  if (missing.length >= limit) return missing;
  const before = new Date(now.getTime() - REFETCH_UNANCHORED_MS).toISOString();
  const unanchored = db.all<{ record_id: string }>(sql`SELECT record_id FROM hub_proofs WHERE chain IS NULL AND received_at < ${before}
    ORDER BY received_at LIMIT ${Math.min(50, limit - missing.length)}`).map((r) => r.record_id);
  return [...missing, ...unanchored];
}

export class ProofPuller {
  readonly #db: WritableDB;
  readonly #audit: AuditLog;
  readonly #client: HubClient;
  /** Whether the hub has `POST /v1/log/records/proofs`: unknown until asked. */
  #batchRoute: boolean | null = null;

  constructor(db: WritableDB, audit: AuditLog, client: HubClient) {
    this.#db = db;
    this.#audit = audit;
    this.#client = client;
  }

  async pull(limit = 200, now = () => new Date()): Promise<PullReport> {
    const report: PullReport = { fetched: 0, anchored: 0, heads: 0, headsNotReady: 0, notReady: 0, refutedAgain: 0, unsupported: false, alarm: null, error: null };
    const key = await pinnedKey(this.#db, this.#client);
    if (key === 'unsupported') return { ...report, unsupported: true };
    if (!key) return { ...report, error: 'the hub did not serve its log key' };
    const ids = candidates(this.#db, limit, now());
    const keep = (id: string) => (file: ProofFile, verified: VerifiedProof, at: string) => {
      this.#db.run(sql`INSERT INTO hub_proofs (record_id, leaf_index, tree_size, proof, chain, received_at)
        VALUES (${id}, ${verified.index}, ${verified.checkpoint.size}, ${JSON.stringify(file)}, ${file.chain ? JSON.stringify(file.chain) : null}, ${at})
        ON CONFLICT (record_id) DO UPDATE SET leaf_index = excluded.leaf_index, tree_size = excluded.tree_size, proof = excluded.proof, chain = excluded.chain,
          chain_checked_at = CASE WHEN excluded.chain IS hub_proofs.chain THEN hub_proofs.chain_checked_at ELSE NULL END, received_at = excluded.received_at`);
      report.fetched++;
      if (file.chain) report.anchored++;
    };
    const take = async (o: HubOutcome, id: string) => {
      const step = await this.#take(o, `record ${id}`, getRecord(this.#db, id) ? (file) => expectedLeafOf(this.#db, id, file)! : null, { recordId: id }, report, key, now, keep(id));
      if (step === 'not-ready') report.notReady++;
      return step;
    };
    const done = this.#batchRoute === false ? await this.#pullEach(ids, take) : await this.#pullBatches(ids, take);
    if (done === 'stop') return report;
    await this.#pullHeads(report, key, now);
    return report;
  }

  /**
   * Up to PROOF_BATCH proofs a request (`POST /v1/log/records/proofs`), each answer checked and kept as a single
   * proof would be. A hub without the route (404 without a code) is asked one record at a time from then on.
   */
  async #pullBatches(ids: readonly string[], take: (o: HubOutcome, id: string) => Promise<'next' | 'not-ready' | 'stop'>): Promise<'next' | 'stop'> {
    for (let i = 0; i < ids.length; i += PROOF_BATCH) {
      const chunk = ids.slice(i, i + PROOF_BATCH);
      const o = await this.#client.request('POST', '/v1/log/records/proofs', { ids: chunk });
      if (o.kind === 'answered' && o.status === 404 && o.body.code === undefined) {
        this.#batchRoute = false;
        return this.#pullEach(ids.slice(i), take);
      }
      const answers = o.kind === 'answered' && o.status === 200 && Array.isArray(o.body.proofs) ? (o.body.proofs as { id?: unknown; proof?: unknown; code?: unknown; message?: unknown }[]) : null;
      // No answer, a refusal of the desk, or not the route's answer: as for one record (stop, or an error and on).
      if (!answers) return (await take(o.kind === 'answered' && o.status === 200 ? { ...o, status: 502 } : o, chunk[0]!)) === 'stop' ? 'stop' : 'next';
      this.#batchRoute = true;
      const byId = new Map(answers.map((a) => [a.id, a]));
      for (const id of chunk) {
        const a = byId.get(id);
        const one: HubOutcome = a?.proof
          ? { kind: 'answered', status: 200, body: a.proof as Record<string, unknown>, retryAfterSec: null }
          : { kind: 'answered', status: a?.code === 'PROOF_NOT_READY' ? 409 : 422, body: { code: a?.code ?? 'NOT_FOUND', message: a?.message ?? 'the hub did not answer for this record' }, retryAfterSec: null };
        if ((await take(one, id)) === 'stop') return 'stop';
      }
    }
    return 'next';
  }

  /** One GET per record, a few in flight at a time, checked and kept one by one in queue order (hubs without the batch route). */
  async #pullEach(ids: readonly string[], take: (o: HubOutcome, id: string) => Promise<'next' | 'not-ready' | 'stop'>): Promise<'next' | 'stop'> {
    const ahead = new Map<string, Promise<HubOutcome>>();
    const fetchAhead = (from: number) => {
      for (const x of ids.slice(from, from + FETCH_AHEAD)) if (!ahead.has(x)) ahead.set(x, this.#client.request('GET', `/v1/log/records/${encodeURIComponent(x)}/proof`));
    };
    for (const [i, id] of ids.entries()) {
      fetchAhead(i);
      const o = await ahead.get(id)!;
      ahead.delete(id);
      if ((await take(o, id)) === 'stop') return 'stop';
    }
    return 'next';
  }

  /** The proofs of the audit heads this desk pushed (audit-proofs.ts): the newest first, and again for its chain reference. */
  async #pullHeads(report: PullReport, key: NoteKey, now: () => Date): Promise<void> {
    const again = headToReanchor(this.#db, new Date(now().getTime() - REFETCH_UNANCHORED_MS).toISOString());
    for (const { index, head } of [...headsToProve(this.#db), ...(again ? [again] : [])]) {
      const o = await this.#client.request('GET', `/v1/log/leaves/${index}/proof`);
      const leaf = expectedHeadLeaf(this.#db, head);
      const step = await this.#take(o, `audit head ${head.seq}`, leaf && (() => leaf), { seq: head.seq }, report, key, now, (file, verified, at) => {
        keepHeadProof(this.#db, head, file, verified, at);
        report.heads++;
      });
      if (step === 'not-ready') report.headsNotReady++;
      // The newest head proven fixes everything before it: the older ones are not needed.
      if (step === 'stop' || report.heads > 0) return;
    }
  }

  /**
   * One proof answer: checked against the leaf the desk expects, its checkpoint accepted, then kept. 'stop' when
   * the pull must end (no answer, a refusal of the desk, an alarm); 'not-ready' before a checkpoint covers it;
   * 'next' otherwise (kept, or an error about this item alone, asked for again at the next pull). A proof whose chain
   * reference the chain refuted before is not kept (refuted-refs.ts).
   */
  async #take(o: HubOutcome, what: string, expectLeaf: ((file: ProofFile) => Leaf) | null, subject: RefProof, report: PullReport, key: NoteKey, now: () => Date, keep: (file: ProofFile, verified: VerifiedProof, at: string) => void): Promise<'next' | 'not-ready' | 'stop'> {
    if (o.kind === 'unreachable') {
      report.error = o.reason;
      return 'stop';
    }
    if (o.status === 404 && o.body.code === undefined) {
      report.unsupported = true;
      return 'stop';
    }
    if (o.status === 409 || o.body.code === 'PROOF_NOT_READY') return 'not-ready';
    if (o.status === 429 || o.status === 401 || o.status === 403) {
      report.error = `${String(o.body.code ?? o.status)}: ${String(o.body.message ?? '')}`;
      return 'stop';
    }
    if (o.status !== 200) {
      report.error = `${what}: ${String(o.body.code ?? o.status)}: ${String(o.body.message ?? '')}`;
      return 'next';
    }
    if (!expectLeaf) return 'next';
    try {
      const file = parseProofFile(JSON.stringify(o.body));
      const origin = logOrigin(this.#db, key.name);
      const verified = verifyProofFile(file, key, { expectLeaf: expectLeaf(file), ...(origin ? { origin } : {}) });
      const at = now().toISOString();
      await this.#accept({ size: verified.checkpoint.size, root: Buffer.from(verified.checkpoint.root).toString('hex'), note: verified.checkpointNote }, at);
      if (file.chain && servedAgain(this.#db, subject, verified.checkpoint.size, file.chain, at)) report.refutedAgain++;
      else keep(file, verified, at);
      return 'next';
    } catch (e) {
      if (!isCustodyError(e)) throw e;
      // No answer is not evidence of anything: try again later.
      if (e.code === 'HUB_UNREACHABLE') {
        report.error = e.message;
        return 'stop';
      }
      report.alarm = `${what}: ${e.code}: ${e.message}`;
      this.#alarm(e.code, report.alarm, 'recordId' in subject ? subject : { auditSeq: subject.seq });
      return 'stop';
    }
  }

  /** Keeps a checkpoint only when it extends (or is extended by) the newest one kept, by a verified consistency proof. */
  async #accept(c: { size: number; root: string; note: string }, at: string): Promise<void> {
    const last = lastCheckpoint(this.#db);
    const known = this.#db.get<{ root: string }>(sql`SELECT root FROM hub_checkpoints WHERE tree_size = ${c.size}`);
    if (known) {
      if (known.root !== c.root) throw new CustodyError('INTEGRITY_FAILED', `expected the hub's checkpoint of size ${c.size} to have the root kept before (${known.root.slice(0, 16)}…), got ${c.root.slice(0, 16)}…: the log was rewritten`);
      return;
    }
    if (last) {
      const [from, to] = last.size < c.size ? [last, c] : [c, last];
      if (from.size > 0) {
        const o = await this.#client.request('GET', `/v1/log/consistency?from=${from.size}&to=${to.size}`);
        // a refusal of who asks (a revoked or narrowed key, a rate limit) is no answer about the log: try again later
        if (o.kind === 'unreachable' || o.status === 429 || o.status === 401 || o.status === 403) {
          throw new CustodyError('HUB_UNREACHABLE', `expected a consistency proof from ${from.size} to ${to.size}, got no answer (${o.kind === 'unreachable' ? o.reason : `HTTP ${o.status}`})`);
        }
        const hashes = Array.isArray(o.body.hashes) ? (o.body.hashes as unknown[]).filter((h): h is string => typeof h === 'string').map((h) => new Uint8Array(Buffer.from(h, 'base64'))) : null;
        if (o.status !== 200 || !hashes) throw new CustodyError('INTEGRITY_FAILED', `expected a consistency proof from ${from.size} to ${to.size}, got ${String(o.body.code ?? o.status)}: ${String(o.body.message ?? '')}`);
        if (!verifyConsistency(from.size, to.size, hashes, Buffer.from(from.root, 'hex'), Buffer.from(to.root, 'hex'))) {
          throw new CustodyError('INTEGRITY_FAILED', `expected the hub's checkpoint of size ${c.size} to extend the one of size ${last.size} kept before, but the consistency proof fails: the log was rewritten`);
        }
      }
    }
    this.#db.run(sql`INSERT INTO hub_checkpoints (tree_size, root, note, received_at) VALUES (${c.size}, ${c.root}, ${c.note}, ${at})`);
  }

  #alarm(code: string, message: string, details: Record<string, unknown>): void {
    const at = new Date().toISOString();
    this.#audit.act(() => this.#audit.append({ actor: 'desk', action: ALARM_ACTION, subject: typeof details.recordId === 'string' ? details.recordId : null, details: { code, message, ...details }, at }));
  }
}
