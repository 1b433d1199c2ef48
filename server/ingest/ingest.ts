// Ingest: a desk pushes a batch of records. Each is checked (shape, the key belongs to this desk, its two Ed25519
// signatures verify with its key: the fingerprint's and the record signature over its whole canonical body; the
// signatures while the transaction's queries run, and the transaction commits only once all verified), then the batch
// is committed in one transaction under the tenant row's lock: ids seen before are compared by their canonical
// content (same: answered with the stored result; different: RECORD_CONFLICT and nothing is written), a fingerprint
// signature another id already carries is a replay (RECORD_CONFLICT), new ones get the next tenant_seq values.
// All or nothing, so a desk's outbox can simply retry a batch until it gets an answer.
import { CustodyError } from '../../core/errors.ts';
import { ed25519Verifier } from '../../core/crypto/ed25519.ts';
import { sha256Hex } from '../../core/media/hash.ts';
import { canonicalRecord, checkRecordShape, recordFingerprintBytes, recordSigningMessage, type HubRecord } from '../../core/sync/hub-records.ts';
import { leafHashOf, recordLeafFrom } from '../../core/tlog/leaves.ts';
import { inText, insertRows, type ColumnTypes } from '../db/bulk-insert.ts';
import type { Dialect, HubKysely, RecordsTable } from '../db/schema.ts';
import { lockTenant } from '../tenants/lock.ts';
import { appendLeaves } from '../tlog/log-store.ts';
import { signaturePool } from './verify-pool.ts';

/** Most records in one ingest request. */
export const MAX_INGEST_BATCH = 1000;
/** Ids per lookup statement. */
const INSERT_ROWS = 500;

const RECORD_COLUMNS: ColumnTypes<RecordsTable> = {
  tenant_id: 'text', id: 'text', tenant_seq: 'int4', desk_id: 'text', kind: 'text', parent_id: 'text', sha256: 'text', output_sha256: 'text', phash: 'text', payload: 'text',
  segment_index: 'int4', signed_at: 'text', public_key: 'text', signature: 'text', content_sha256: 'text', body: 'text', record_signature: 'text', manifest_id: 'text', received_at: 'text', api_key_id: 'text',
};

export interface IngestCaller {
  tenantId: string;
  deskId: string;
  keyId: string;
}

export interface IngestResult {
  id: string;
  status: 'accepted' | 'replayed';
  seq: number;
  receivedAt: string;
}

/** Verifiers are cached per public key: building an OpenSSL key object costs more than a verification. */
const verifiers = new Map<string, (sig: Uint8Array, msg: Uint8Array) => boolean>();
function verifierFor(publicKey: string): (sig: Uint8Array, msg: Uint8Array) => boolean {
  let v = verifiers.get(publicKey);
  if (!v) {
    if (verifiers.size > 10_000) verifiers.clear();
    v = ed25519Verifier(Buffer.from(publicKey, 'hex'));
    verifiers.set(publicKey, v);
  }
  return v;
}

interface Prepared {
  record: HubRecord;
  body: string;
  contentSha256: string;
  /** Its leaf in the tenant's transparency log (core/tlog/leaves.ts). */
  leafHash: Uint8Array;
}

export interface IngestOutcome {
  results: IngestResult[];
  added: RecordsTable[];
  logSize: number | null;
}

export async function ingestBatch(db: HubKysely, dialect: Dialect, caller: IngestCaller, records: readonly HubRecord[], now = new Date()): Promise<IngestOutcome> {
  if (records.length > MAX_INGEST_BATCH) throw new CustodyError('BATCH_TOO_LARGE', `expected at most ${MAX_INGEST_BATCH} records in one batch, got ${records.length}`);
  const desk = await db.selectFrom('desks').select(['id', 'revoked_at', 'tenant_id']).where('id', '=', caller.deskId).executeTakeFirst();
  if (!desk || desk.tenant_id !== caller.tenantId) throw new CustodyError('NOT_PERMITTED', 'expected an API key issued to an enrolled desk of this tenant for ingest');
  if (desk.revoked_at) throw new CustodyError('REVOKED', `expected records from an enrolled desk, got them from desk ${desk.id}, revoked at ${desk.revoked_at}`, { subject: 'desk', deskId: desk.id });
  if (records.length === 0) return { results: [], added: [], logSize: null };
  const keys = new Set((await db.selectFrom('desk_keys').select('public_key').where('desk_id', '=', desk.id).execute()).map((k) => k.public_key));

  // Every check that needs no lock, before the transaction; the signatures are the costly one (an Ed25519
  // verification costs more than everything else a record needs), so they are checked while the transaction runs.
  const prepared = new Map<string, Prepared>();
  const bySignature = new Map<string, string>();
  /** SHA-256 of each record's canonical body, by index: what its record signature covers. */
  const contents: string[] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    try {
      checkRecordShape(record);
    } catch (e) {
      if (e instanceof CustodyError) refuseAt(records, index, e, false);
      throw e;
    }
    if (!keys.has(record.publicKey)) refuseAt(records, index, new CustodyError('NOT_PERMITTED', `expected a record signed by a key this desk enrolled, got key ${record.publicKey.slice(0, 16)}…`), false);
    const body = canonicalRecord(record);
    const contentSha256 = sha256Hex(body);
    contents.push(contentSha256);
    const p = { record, body, contentSha256, leafHash: leafHashOf(recordLeafFrom(record, contentSha256)) };
    const twin = prepared.get(record.id);
    if (twin && twin.contentSha256 !== p.contentSha256) refuseAt(records, index, new CustodyError('RECORD_CONFLICT', 'expected each record id once in a batch, got it twice with different content'), true);
    const signer = bySignature.get(fingerprintKey(record));
    if (signer !== undefined && signer !== record.id) refuseAt(records, index, replayed(signer), true);
    bySignature.set(fingerprintKey(record), record.id);
    prepared.set(record.id, p);
  }

  // Verified in the worker pool while the transaction runs, so the database works while the signatures are checked.
  // The transaction commits only once every signature verified; a bad one rolls it back, and it is the error
  // answered even when the transaction met another (as when the signatures were checked first).
  const verified = verifySignatures(records, contents);
  try {
    return await store(db, dialect, caller, records, prepared, now, verified);
  } catch (e) {
    throw (await verified) ?? e;
  }
}

/**
 * Throws the error a one-record-at-a-time check would have met first: an earlier record's (or, when this record's
 * signature is checked before `e` is met, this one's) bad signature, else `e` about record `index`.
 */
function refuseAt(records: readonly HubRecord[], index: number, e: CustodyError, signatureChecked: boolean): never {
  const earlier = firstBadSignature(records, 0, signatureChecked ? index + 1 : index);
  if (earlier) throw earlier;
  const record = records[index]!;
  throw new CustodyError(e.code, `record ${index} (${record.id}): ${e.message.replace(`record ${record.id}: `, '')}`, { index, recordId: record.id });
}

/** The signatures of a record, in the order they are checked: the fingerprint's, then the record signature's. */
const SIGNATURES = [
  { what: 'signature over sha256|phash|signedAt|publicKey', sig: (r: HubRecord) => r.signature, message: (r: HubRecord, _content: string) => recordFingerprintBytes(r) },
  { what: 'recordSignature over custody-record/v1:<SHA-256 of the record\'s canonical body>', sig: (r: HubRecord) => r.recordSignature, message: (_r: HubRecord, content: string) => recordSigningMessage(content) },
] as const;

function badSignatureError(records: readonly HubRecord[], index: number, which: (typeof SIGNATURES)[number]): CustodyError {
  const record = records[index]!;
  return new CustodyError('SIGNATURE_INVALID', `record ${index} (${record.id}): expected an Ed25519 ${which.what} that verifies with the record's key, got one that does not`, { index, recordId: record.id });
}

/** The SIGNATURE_INVALID error of the first record in [from, to) whose signatures do not verify with its key. */
function firstBadSignature(records: readonly HubRecord[], from: number, to: number): CustodyError | null {
  for (let index = from; index < to; index++) {
    const record = records[index]!;
    const content = sha256Hex(canonicalRecord(record));
    for (const which of SIGNATURES) {
      if (!verifierFor(record.publicKey)(Buffer.from(which.sig(record), 'hex'), which.message(record, content))) return badSignatureError(records, index, which);
    }
  }
  return null;
}

/**
 * Resolves with the first bad signature's error, or null when all verify; never rejects. The signatures (two a
 * record, in the order of SIGNATURES) are checked in the worker pool (verify-pool.ts), so the event loop runs the
 * transaction meanwhile; should the pool fail, they are checked here instead.
 */
async function verifySignatures(records: readonly HubRecord[], contents: readonly string[]): Promise<CustodyError | null> {
  let bad: number;
  try {
    bad = await signaturePool.firstBad(records.flatMap((r, i) => SIGNATURES.map((w) => ({ publicKey: r.publicKey, signature: w.sig(r), message: w.message(r, contents[i]!) }))));
  } catch {
    return firstBadSignature(records, 0, records.length);
  }
  return bad < 0 ? null : badSignatureError(records, Math.floor(bad / SIGNATURES.length), SIGNATURES[bad % SIGNATURES.length]!);
}

/** A fingerprint signature names one record: the same key and signature under two ids is a replay. */
const fingerprintKey = (r: HubRecord): string => `${r.publicKey}:${r.signature}`;

function replayed(otherId: string): CustodyError {
  return new CustodyError('RECORD_CONFLICT', `expected a fingerprint signature no other record carries, got the signature of record ${otherId} under another id`);
}

async function store(db: HubKysely, dialect: Dialect, caller: IngestCaller, records: readonly HubRecord[], prepared: Map<string, Prepared>, now: Date, verified: Promise<CustodyError | null>): Promise<IngestOutcome> {
  const receivedAt = now.toISOString();
  return db.transaction().execute(async (trx) => {
    // The tenant row's lock serialises ingest per tenant: seqs and log leaves are dense and become visible in order.
    const count = await lockTenant(trx, dialect, caller.tenantId);

    const ids = [...prepared.keys()];
    const existing = new Map<string, { content_sha256: string; tenant_seq: number; received_at: string }>();
    for (let i = 0; i < ids.length; i += INSERT_ROWS) {
      const rows = await trx.selectFrom('records').select(['id', 'content_sha256', 'tenant_seq', 'received_at'])
        .where('tenant_id', '=', caller.tenantId).where(inText(trx, 'id', ids.slice(i, i + INSERT_ROWS))).execute();
      for (const r of rows) existing.set(r.id, r);
    }
    for (const [id, p] of prepared) {
      const old = existing.get(id);
      if (old && old.content_sha256 !== p.contentSha256) {
        const index = records.findIndex((r) => r.id === id);
        throw new CustodyError('RECORD_CONFLICT', `record ${index} (${id}): expected the same content as the record stored under this id (content ${old.content_sha256.slice(0, 16)}…), got other content (${p.contentSha256.slice(0, 16)}…)`, { index, recordId: id });
      }
    }

    const fresh = [...prepared.values()].filter((p) => !existing.has(p.record.id));
    await checkParents(trx, caller, fresh, prepared);
    await checkManifests(trx, caller.tenantId, fresh);
    await checkReplays(trx, records, fresh);

    const rows: RecordsTable[] = fresh.map((p, i) => ({
      tenant_id: caller.tenantId,
      id: p.record.id,
      tenant_seq: count + i + 1,
      desk_id: caller.deskId,
      kind: p.record.kind,
      parent_id: p.record.parentId,
      sha256: p.record.sha256,
      output_sha256: p.record.outputSha256,
      phash: p.record.phash,
      payload: p.record.payload,
      segment_index: p.record.segment?.index ?? null,
      signed_at: p.record.signedAt,
      public_key: p.record.publicKey,
      signature: p.record.signature,
      content_sha256: p.contentSha256,
      body: p.body,
      record_signature: p.record.recordSignature,
      manifest_id: p.record.manifest?.id ?? null,
      received_at: receivedAt,
      api_key_id: caller.keyId,
    }));
    await insertRows(trx, 'records', RECORD_COLUMNS, rows);
    // No record_events row for the ingest itself: the records row says it all (received_at, desk, key, seq), and the
    // history route answers it as the 'ingested' event (routes-verify.ts); one table fewer written per record.
    const manifests = fresh.filter((p) => p.record.manifest);
    for (const p of manifests) {
      const data = Buffer.from(p.record.manifest!.data, 'base64');
      await trx.insertInto('manifests').values({ id: p.record.manifest!.id, tenant_id: caller.tenantId, record_id: p.record.id, sha256: sha256Hex(data), data, created_at: receivedAt }).execute();
    }
    if (rows.length) await trx.updateTable('tenants').set({ record_count: count + rows.length }).where('id', '=', caller.tenantId).execute();
    // Every accepted record is a leaf of the tenant's log, in tenant_seq order, under the same lock.
    const log = await appendLeaves(trx, caller.tenantId, fresh.map((p) => ({ kind: 'record' as const, ref: p.record.id, hash: p.leafHash })), receivedAt);

    const seqOf = new Map(rows.map((r) => [r.id, r.tenant_seq]));
    const results: IngestResult[] = records.map((r) => {
      const old = existing.get(r.id);
      return old
        ? { id: r.id, status: 'replayed', seq: old.tenant_seq, receivedAt: old.received_at }
        : { id: r.id, status: 'accepted', seq: seqOf.get(r.id)!, receivedAt };
    });
    const bad = await verified;
    if (bad) throw bad;
    return { results, added: rows, logSize: rows.length ? log.size : null };
  });
}

/**
 * A new record's fingerprint signature must be no stored record's (on the whole hub: a public key belongs to one
 * desk, so to one tenant, whose lock is held): a genuine signature under a new id is a replay.
 */
async function checkReplays(trx: HubKysely, records: readonly HubRecord[], fresh: Prepared[]): Promise<void> {
  for (let i = 0; i < fresh.length; i += INSERT_ROWS) {
    const slice = fresh.slice(i, i + INSERT_ROWS);
    const rows = await trx.selectFrom('records').select(['id', 'public_key', 'signature']).where(inText(trx, 'signature', slice.map((p) => p.record.signature))).execute();
    const stored = new Map(rows.map((r) => [`${r.public_key}:${r.signature}`, r.id]));
    for (const p of slice) {
      const other = stored.get(fingerprintKey(p.record));
      if (other !== undefined && other !== p.record.id) {
        const index = records.findIndex((r) => r.id === p.record.id);
        throw new CustodyError('RECORD_CONFLICT', `record ${index} (${p.record.id}): ${replayed(other).message}`, { index, recordId: p.record.id });
      }
    }
  }
}

/**
 * A segment's parent must be a video record of the same desk, in this batch or already stored: a segment counts as
 * part of its video (verify answers a clip of it as that video's), so another desk's, even of the same organisation,
 * would put its own footage into a video it did not sign.
 */
async function checkParents(trx: HubKysely, caller: { tenantId: string; deskId: string }, fresh: Prepared[], batch: Map<string, Prepared>): Promise<void> {
  const wanted = [...new Set(fresh.map((p) => p.record.parentId).filter((x): x is string => x !== null && !batch.has(x)))];
  const stored = new Map<string, { kind: string; deskId: string }>();
  for (let i = 0; i < wanted.length; i += INSERT_ROWS) {
    const rows = await trx.selectFrom('records').select(['id', 'kind', 'desk_id']).where('tenant_id', '=', caller.tenantId).where(inText(trx, 'id', wanted.slice(i, i + INSERT_ROWS))).execute();
    for (const r of rows) stored.set(r.id, { kind: r.kind, deskId: r.desk_id });
  }
  for (const p of fresh) {
    const parent = p.record.parentId;
    if (parent === null) continue;
    const inBatch = batch.get(parent);
    const found = inBatch ? { kind: inBatch.record.kind, deskId: caller.deskId } : stored.get(parent);
    if (found?.kind !== 'video') {
      throw new CustodyError('INVALID_ARGUMENT', `record ${p.record.id}: expected its parent ${parent} to be a video record pushed before it or in the same batch, got ${found ? `a ${found.kind} record` : 'no such record'}`, { recordId: p.record.id });
    }
    if (found.deskId !== caller.deskId) {
      throw new CustodyError('INVALID_ARGUMENT', `record ${p.record.id}: expected its parent ${parent} to be a video this desk signed, got one another desk of the organisation signed`, { recordId: p.record.id });
    }
  }
}

/**
 * Manifest labels are unique in an organisation (the resolution API names the organisation with the label): another
 * organisation's labels are neither looked at nor named, so none can take a label first and refuse this one.
 */
async function checkManifests(trx: HubKysely, tenantId: string, fresh: Prepared[]): Promise<void> {
  const labels = fresh.map((p) => p.record.manifest?.id).filter((x): x is string => !!x);
  if (new Set(labels).size !== labels.length) throw new CustodyError('RECORD_CONFLICT', 'expected each manifest label once in a batch, got one twice');
  for (let i = 0; i < labels.length; i += INSERT_ROWS) {
    const taken = await trx.selectFrom('manifests').select(['id', 'record_id']).where('tenant_id', '=', tenantId).where(inText(trx, 'id', labels.slice(i, i + INSERT_ROWS))).executeTakeFirst();
    if (taken) throw new CustodyError('RECORD_CONFLICT', `expected a manifest label no other record of this organisation has, got ${taken.id}, stored with record ${taken.record_id}`);
  }
}
