// The sync worker: pushes the outbox to the hub in queue order, in batches, until it is empty.
//
// Idempotency: a record's id is its idempotency key. The hub stores a record once and answers the same id with the
// same content as `replayed` with its stored result (server/ingest/ingest.ts), so a batch whose answer was lost (the
// desk killed after the hub committed, a connection cut) is simply sent again and its rows are delivered then.
// Nothing is marked delivered before the hub's answer names it, so nothing is lost either.
//
// Refusals: ingest is all or nothing per batch, and a refusal names the record it is about (details.recordId).
// That row is parked with the hub's code and message; the rest of the batch is sent again at once, so one forged or
// malformed row never holds up the rows after it. A refusal about the desk itself (revoked, unknown key) parks
// nothing: every row waits, and the link shows the error. A batch the hub finds too large is halved.
//
// Failures without an answer (unreachable, timeouts, 5xx, 429) back off exponentially with full jitter
// (delay = random × min(cap, base × 2^n)), honouring Retry-After.
//
// Each record carries its whole-record signature (signHubRecord), made by the transaction that signed and queued it
// (outbox.ts enqueueRecords): it is checked against the record as the row holds it now, and a row changed since is
// parked (INTEGRITY_FAILED) rather than pushed. Rows queued before that are signed here, as they are built for the
// hub (the vault is open, since the API key is in it), with the key that signed their fingerprint, current or
// retired. Ed25519 is deterministic, so a record sent again carries the same bytes.
import { crashPoint } from '../crash-point.ts';
import { keyId } from '../crypto/ed25519.ts';
import type { Keyring, Signer } from '../crypto/keyring.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { sql, type WritableDB } from '../store/db.ts';
import { getRecord } from '../store/records.ts';
import { getPublication } from '../workflow/items.ts';
import type { HubClient} from './hub-client.ts';
import { type HubOutcome } from './hub-client.ts';
import { hubRecordOf, recordSignatureValid, signHubRecord, type HubRecord } from './hub-records.ts';
import { noteHubContact, noteHubError } from './link.ts';
import { markDelivered, noteAttempt, parkRow, pendingRows, type OutboxKind, type OutboxRow } from './outbox.ts';

/** Named points where the crash tests kill a pushing process (core/crash-point.ts). */
export const SYNC_CRASH_POINTS = ['sync:sending', 'sync:answered'] as const;

/** What the hub takes: records in batches, then publications and audit-log heads one by one. */
export const PUSHED_KINDS: readonly OutboxKind[] = ['record', 'publication', 'audit_head'];

export interface SyncOptions {
  /** Rows per request (the hub takes at most 1,000). */
  batchSize?: number;
  /** Bytes of JSON per request at most (manifest stores make records large); the hub takes 64 MB. */
  maxBatchBytes?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Between pushes when the outbox is empty (the worker is also woken by wake()). */
  idleMs?: number;
  random?: () => number;
  now?: () => Date;
}

export interface PushReport {
  /** Records the hub took now, and records it answered it already had. */
  accepted: number;
  replayed: number;
  /** Audit-log heads delivered. */
  heads: number;
  /** Publications delivered. */
  publications: number;
  parked: number;
  batches: number;
  /** Rows still pending of the kinds pushed. */
  remaining: number;
  /** Why the push stopped early (no answer, or a refusal of the desk itself); null when the outbox was drained. */
  error: string | null;
  /** Seconds the hub asked to wait (429). */
  retryAfterSec: number | null;
  /** The desk itself was refused (revoked, key unknown): retrying soon will not help. */
  refused: boolean;
}

const RECORD_OVERHEAD = 1200;

export class SyncWorker {
  readonly #db: WritableDB;
  readonly #client: HubClient;
  readonly #o: Required<SyncOptions>;
  readonly #keyring: () => Keyring;
  #wake: (() => void) | null = null;
  #failures = 0;

  /** `keyring`: the desk's open vault, whose org keys sign each record as a whole (it throws KEY_LOCKED when locked). */
  constructor(db: WritableDB, client: HubClient, keyring: () => Keyring, opts: SyncOptions = {}) {
    this.#db = db;
    this.#client = client;
    this.#keyring = keyring;
    this.#o = {
      batchSize: opts.batchSize ?? 500,
      maxBatchBytes: opts.maxBatchBytes ?? 16 * 1024 * 1024,
      backoffBaseMs: opts.backoffBaseMs ?? 1000,
      backoffMaxMs: opts.backoffMaxMs ?? 5 * 60_000,
      idleMs: opts.idleMs ?? 5000,
      random: opts.random ?? Math.random,
      now: opts.now ?? (() => new Date()),
    };
  }

  /** Pushes until the outbox holds nothing more to push, or the hub cannot be reached. */
  async pushOnce(signal?: AbortSignal): Promise<PushReport> {
    const report: PushReport = { accepted: 0, replayed: 0, heads: 0, publications: 0, parked: 0, batches: 0, remaining: 0, error: null, retryAfterSec: null, refused: false };
    let limit = this.#o.batchSize;
    for (;;) {
      if (signal?.aborted) break;
      let rows: (OutboxRow & { record: HubRecord })[];
      try {
        rows = this.#batch(limit, report);
      } catch (e) {
        // The vault was locked meanwhile: every row waits for it to open again.
        if (!isCustodyError(e, 'KEY_LOCKED')) throw e;
        report.error = `${e.code}: ${e.message}`;
        break;
      }
      if (rows.length === 0 && ((await this.#pushPublications(report, signal)) === 'stop' || (await this.#pushHeads(report, signal)) === 'stop')) break;
      if (rows.length === 0) break;
      const built = rows.map((r) => ({ row: r, record: r.record }));
      crashPoint('sync:sending');
      const outcome = await this.#client.request('POST', '/v1/records', { records: built.map((b) => b.record) }, signal);
      crashPoint('sync:answered');
      report.batches++;
      const at = this.#o.now().toISOString();
      const next = this.#settle(outcome, built, at, report);
      if (next === 'stop') break;
      if (next === 'halve') limit = Math.max(1, Math.floor(built.length / 2));
      else limit = this.#o.batchSize;
    }
    report.remaining = this.#db.get<{ n: number }>({ text: `SELECT count(*) AS n FROM outbox WHERE state = 'pending' AND kind IN (${PUSHED_KINDS.map(() => '?').join(', ')})`, params: [...PUSHED_KINDS] })!.n;
    this.#failures = report.error ? this.#failures + 1 : 0;
    return report;
  }

  /**
   * The publications waiting, each in its own request once the records are out (the hub takes a publication only of
   * a record it holds): the statement as signed, its signature and key. 'stop' as for heads.
   */
  async #pushPublications(report: PushReport, signal?: AbortSignal): Promise<'next' | 'stop'> {
    for (const row of pendingRows(this.#db, ['publication'], 50)) {
      const at = () => this.#o.now().toISOString();
      const p = getPublication(this.#db, row.ref);
      if (!p) {
        parkRow(this.#db, row.seq, 'NOT_FOUND', `the desk has no publication ${row.ref} to push`, at());
        report.parked++;
        continue;
      }
      const o = await this.#client.request('POST', '/v1/publications', { statement: p.statement, signature: p.signature, publicKey: p.public_key }, signal);
      report.batches++;
      const answer = this.#settleOne(o, row, at(), report, (body) => ({ hubSeq: null, status: String(body.status ?? 'accepted') }), 'publications');
      if (answer === 'stop') return 'stop';
    }
    return 'next';
  }

  /**
   * The audit-log heads waiting (normally one: a newer head replaces a waiting one), each in its own request once the
   * records are out. 'stop' when the hub gave no answer or refused the desk.
   */
  async #pushHeads(report: PushReport, signal?: AbortSignal): Promise<'next' | 'stop'> {
    for (const row of pendingRows(this.#db, ['audit_head'], 10)) {
      const head = row.head!;
      const key = this.#db.get<{ public_key: string }>(sql`SELECT public_key FROM signing_keys WHERE id = ${head.keyId}`);
      const at = () => this.#o.now().toISOString();
      if (!key) {
        parkRow(this.#db, row.seq, 'NOT_FOUND', `the desk has no signing key ${head.keyId} for audit head ${head.seq}`, at());
        report.parked++;
        continue;
      }
      const o = await this.#client.request('POST', '/v1/audit-heads', { seq: head.seq, hash: head.hash, publicKey: key.public_key, signature: head.signature }, signal);
      report.batches++;
      const answer = this.#settleOne(o, row, at(), report, (body) => ({ hubSeq: typeof body.index === 'number' ? body.index : null, status: String(body.status ?? 'accepted') }), 'heads');
      if (answer === 'stop') return 'stop';
    }
    return 'next';
  }

  /** One row's answer: delivered on 200, parked when refused, 'stop' when there was no answer or the desk was refused. */
  #settleOne(o: HubOutcome, row: OutboxRow, at: string, report: PushReport, delivered: (body: Record<string, unknown>) => { hubSeq: number | null; status: string }, count: 'heads' | 'publications'): 'next' | 'stop' {
    if (o.kind === 'unreachable' || o.status === 429 || o.status === 401 || o.status === 403) {
      // As for a batch: no answer, wait, or the desk itself refused (settle records which, and stops).
      this.#settle(o, [], at, report);
      noteAttempt(this.#db, [row.seq], report.error ?? 'no answer', at);
      return 'stop';
    }
    noteHubContact(this.#db, at);
    if (o.status === 200) {
      const d = delivered(o.body);
      markDelivered(this.#db, [{ seq: row.seq, ...d }], at);
      report[count]++;
      return 'next';
    }
    parkRow(this.#db, row.seq, typeof o.body.code === 'string' ? o.body.code : `HTTP_${o.status}`, typeof o.body.message === 'string' ? o.body.message : `HTTP ${o.status}`, at);
    report.parked++;
    return 'next';
  }

  /**
   * The next record rows to send, in queue order, within the byte budget, each signed as a whole; a row whose record
   * is gone, or whose key this vault does not hold, is parked.
   */
  #batch(limit: number, report: PushReport): (OutboxRow & { record: HubRecord })[] {
    const out: (OutboxRow & { record: HubRecord })[] = [];
    const signers = new Map<string, Signer | CustodyError>();
    let bytes = 0;
    for (const row of pendingRows(this.#db, ['record'], limit)) {
      const park = (code: string, why: string) => {
        parkRow(this.#db, row.seq, code, why, this.#o.now().toISOString());
        report.parked++;
      };
      const r = getRecord(this.#db, row.ref);
      if (!r) {
        park('NOT_FOUND', `the desk has no record ${row.ref} to push`);
        continue;
      }
      const size = RECORD_OVERHEAD + (row.manifest ? Math.ceil(row.manifest.data.length / 3) * 4 : 0);
      if (out.length > 0 && bytes + size > this.#o.maxBatchBytes) break;
      const unsigned = hubRecordOf(r, row.manifest);
      if (row.recordSignature !== null) {
        // Signed whole when it was signed and queued: sent as it was, or not at all if its row changed since.
        if (!recordSignatureValid(unsigned, row.recordSignature)) {
          park('INTEGRITY_FAILED', `record ${r.id}: expected the record as the desk signed it when it was queued, but its whole-record signature no longer verifies: its row in the desk's database was changed since`);
          continue;
        }
        bytes += size;
        out.push({ ...row, record: { ...unsigned, recordSignature: row.recordSignature } });
        continue;
      }
      // Queued before records were signed whole at signing: signed now, with the key that signed its fingerprint.
      let signer = signers.get(r.publicKey);
      if (!signer) signers.set(r.publicKey, (signer = this.#signerOf(r.publicKey)));
      if (signer instanceof CustodyError) {
        park(signer.code, `record ${r.id}: ${signer.message}`);
        continue;
      }
      bytes += size;
      out.push({ ...row, record: signHubRecord(unsigned, signer.sign) });
    }
    return out;
  }

  /** The vault's key of a record's public key (current or retired), or why there is none; KEY_LOCKED is thrown. */
  #signerOf(publicKey: string): Signer | CustodyError {
    let signer: Signer;
    try {
      signer = this.#keyring().signerFor(keyId(Buffer.from(publicKey, 'hex')));
    } catch (e) {
      if (isCustodyError(e, 'NOT_FOUND')) return new CustodyError('NOT_FOUND', `expected this desk's vault to hold the signing key ${publicKey.slice(0, 16)}… that signed the record, to sign it as a whole, got none`);
      throw e;
    }
    const held = Buffer.from(signer.publicKey).toString('hex');
    if (held !== publicKey) return new CustodyError('INTEGRITY_FAILED', `expected the vault's key of id ${signer.keyId} to be ${publicKey.slice(0, 16)}…, got ${held.slice(0, 16)}…: the desk's key table was altered`);
    return signer;
  }

  #settle(o: HubOutcome, built: { row: OutboxRow; record: HubRecord }[], at: string, report: PushReport): 'next' | 'halve' | 'stop' {
    const seqs = built.map((b) => b.row.seq);
    if (o.kind === 'unreachable') {
      noteAttempt(this.#db, seqs, o.reason, at);
      noteHubError(this.#db, o.reason, at);
      report.error = o.reason;
      return 'stop';
    }
    noteHubContact(this.#db, at);
    const code = typeof o.body.code === 'string' ? o.body.code : `HTTP_${o.status}`;
    const message = typeof o.body.message === 'string' ? o.body.message : `HTTP ${o.status}`;
    if (o.status === 200) {
      const results = Array.isArray(o.body.results) ? (o.body.results as { id?: unknown; status?: unknown; seq?: unknown }[]) : [];
      const byId = new Map(results.map((r) => [r.id, r]));
      const delivered: { seq: number; hubSeq: number | null; status: string }[] = [];
      for (const b of built) {
        const r = byId.get(b.record.id);
        if (!r || (r.status !== 'accepted' && r.status !== 'replayed')) continue;
        delivered.push({ seq: b.row.seq, hubSeq: typeof r.seq === 'number' ? r.seq : null, status: r.status });
        if (r.status === 'accepted') report.accepted++;
        else report.replayed++;
      }
      markDelivered(this.#db, delivered, at);
      if (delivered.length < built.length) {
        // An answer that does not name every record sent is not the hub's contract: try again later.
        const why = `the hub answered for ${delivered.length} of ${built.length} records`;
        noteAttempt(this.#db, seqs, why, at);
        report.error = why;
        return 'stop';
      }
      return 'next';
    }
    if (o.status === 429) {
      noteAttempt(this.#db, seqs, `${code}: ${message}`, at);
      report.error = `${code}: ${message}`;
      report.retryAfterSec = o.retryAfterSec;
      return 'stop';
    }
    const details = (o.body.details ?? {}) as { recordId?: unknown };
    const culprit = typeof details.recordId === 'string' ? built.find((b) => b.record.id === details.recordId) : undefined;
    if (culprit) {
      parkRow(this.#db, culprit.row.seq, code, message, at);
      report.parked++;
      return 'next';
    }
    if (o.status === 401 || o.status === 403) {
      // About the desk, not a row: revoked, a key the hub does not know. Every row waits for a person to act.
      noteAttempt(this.#db, seqs, `${code}: ${message}`, at);
      noteHubError(this.#db, `${code}: ${message}`, at);
      report.error = `${code}: ${message}`;
      report.refused = true;
      return 'stop';
    }
    if (built.length > 1) return 'halve';
    // One row, refused without naming it: it is the row.
    parkRow(this.#db, built[0]!.row.seq, code, message, at);
    report.parked++;
    return 'next';
  }

  /** The wait before the next attempt after `failures` failures in a row: full jitter, capped. */
  delayMs(failures = this.#failures, retryAfterSec: number | null = null): number {
    const cap = Math.min(this.#o.backoffMaxMs, this.#o.backoffBaseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
    const jittered = Math.floor(this.#o.random() * cap);
    return Math.max(jittered, (retryAfterSec ?? 0) * 1000);
  }

  /** Makes a sleeping run() push now (a record was just signed). */
  wake(): void {
    this.#wake?.();
  }

  /**
   * Pushes until the signal aborts: after a drain it sleeps idleMs (or until woken), after a failure it backs off.
   * onReport sees every push that did something or failed; afterPush runs after each push that reached the hub.
   */
  async run(signal: AbortSignal, onReport?: (r: PushReport) => void, afterPush?: (r: PushReport) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      let r: PushReport;
      try {
        r = await this.pushOnce(signal);
        if (!r.error) await afterPush?.(r);
      } catch (e) {
        if (signal.aborted) return;
        r = { accepted: 0, replayed: 0, heads: 0, publications: 0, parked: 0, batches: 0, remaining: 0, error: (e as Error).message, retryAfterSec: null, refused: false };
        this.#failures++;
      }
      if (r.batches > 0 || r.error) onReport?.(r);
      const wait = r.error ? this.delayMs(r.refused ? 30 : this.#failures, r.retryAfterSec) : this.#o.idleMs;
      await new Promise<void>((done) => {
        const t = setTimeout(finish, wait);
        function finish() {
          clearTimeout(t);
          signal.removeEventListener('abort', finish);
          done();
        }
        this.#wake = finish;
        signal.addEventListener('abort', finish, { once: true });
      });
      this.#wake = null;
    }
  }
}
