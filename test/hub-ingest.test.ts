// Ingest's all-or-nothing rules, on SQLite and on PostgreSQL, now that signatures are verified while the batch's
// transaction runs (server/ingest/ingest.ts): one forged signature anywhere in a batch leaves nothing stored (no
// record, no tenant_seq, no log leaf), a retry of the corrected batch gets dense seqs from 1, and the error answered
// is the one a record-by-record check meets first — a bad signature before a malformed record, and before a
// conflict with what is stored.
import { sign as nodeSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustodyError } from '../core/errors.ts';
import { payloadFromSignature } from '../core/provenance/fingerprint.ts';
import { signHubRecord, type HubRecord } from '../core/sync/hub-records.ts';
import { signedRecords, type BenchDesk } from '../bench/hub-load.ts';
import type { HubDatabase } from '../server/db/connect.ts';
import { ingestBatch, type IngestCaller } from '../server/ingest/ingest.ts';
import { ingestingDesk, postgresUnavailable } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`hub ingest tests: skipping the PostgreSQL half: ${pgWhy}`);

/** The record with one signature byte flipped and its payload made to match, so only the signature is wrong. */
const forged = (r: HubRecord): HubRecord => {
  const signature = (r.signature.slice(0, 2) === '00' ? '01' : '00') + r.signature.slice(2);
  return { ...r, signature, payload: Buffer.from(payloadFromSignature(Buffer.from(signature, 'hex'))).toString('hex') };
};

async function refusal(p: Promise<unknown>): Promise<{ code: string; index: unknown }> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(CustodyError);
  return { code: (e as CustodyError).code, index: (e as CustodyError).details?.index };
}

describe.each([['sqlite'], ['postgres']] as const)('ingest on %s', (backend) => {
  let hub: HubDatabase;
  let desk: BenchDesk;
  let caller: IngestCaller;
  let close: (() => Promise<void>) | undefined;

  const stored = async () => ({
    records: Number((await hub.db.selectFrom('records').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).n),
    leaves: Number((await hub.db.selectFrom('tlog_leaves').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).n),
    seq: (await hub.db.selectFrom('tenants').select('record_count').where('id', '=', desk.tenantId).executeTakeFirstOrThrow()).record_count,
    log: (await hub.db.selectFrom('tlog_logs').select('size').where('tenant_id', '=', desk.tenantId).executeTakeFirst())?.size ?? 0,
  });

  beforeAll(async () => {
    if (backend === 'postgres' && pgWhy) return;
    ({ hub, desk, caller, close } = await ingestingDesk(backend, 'custody-hub-ingest-', 'Ingest Org'));
  });

  afterAll(() => close?.());

  it.skipIf(backend === 'postgres' && !!pgWhy)('refuses a batch with one forged signature whole, then takes the corrected batch with dense seqs', async () => {
    const batch = signedRecords(desk, 400);
    const bad = batch.map((r, i) => (i === 300 ? forged(r) : r));
    expect(await refusal(ingestBatch(hub.db, hub.dialect, caller, bad))).toEqual({ code: 'SIGNATURE_INVALID', index: 300 });
    expect(await stored()).toEqual({ records: 0, leaves: 0, seq: 0, log: 0 });

    const ok = await ingestBatch(hub.db, hub.dialect, caller, batch);
    expect(ok.results.map((r) => r.seq)).toEqual(Array.from({ length: 400 }, (_x, i) => i + 1));
    expect(ok.logSize).toBe(400);
    expect(await stored()).toEqual({ records: 400, leaves: 400, seq: 400, log: 400 });

    // A replay is answered with the stored results and writes nothing; with one signature forged it is still refused.
    const again = await ingestBatch(hub.db, hub.dialect, caller, batch);
    expect(again.results.map((r) => [r.status, r.seq])).toEqual(ok.results.map((r) => ['replayed', r.seq]));
    expect(await refusal(ingestBatch(hub.db, hub.dialect, caller, bad))).toEqual({ code: 'SIGNATURE_INVALID', index: 300 });
    expect(await stored()).toEqual({ records: 400, leaves: 400, seq: 400, log: 400 });
  });

  it.skipIf(backend === 'postgres' && !!pgWhy)('answers the error a record-by-record check meets first', async () => {
    const before = await stored();
    const fresh = signedRecords(desk, 20);
    const malformed = (r: HubRecord): HubRecord => ({ ...r, phash: 'ab' });
    // A forged signature at 5 comes before a malformed record at 10, and a malformed record at 5 before a forgery at 10.
    expect(await refusal(ingestBatch(hub.db, hub.dialect, caller, fresh.map((r, i) => (i === 5 ? forged(r) : i === 10 ? malformed(r) : r))))).toEqual({ code: 'SIGNATURE_INVALID', index: 5 });
    expect(await refusal(ingestBatch(hub.db, hub.dialect, caller, fresh.map((r, i) => (i === 10 ? forged(r) : i === 5 ? malformed(r) : r))))).toEqual({ code: 'INVALID_ARGUMENT', index: 5 });

    // A stored id with other content (found inside the transaction) and a forgery elsewhere: the forgery is answered.
    const storedOne = (await hub.db.selectFrom('records').select('body').where('tenant_id', '=', desk.tenantId).limit(1).executeTakeFirstOrThrow()).body;
    const clash: HubRecord = signHubRecord({ ...fresh[0]!, id: (JSON.parse(storedOne) as HubRecord).id }, (m) => nodeSign(null, m, desk.privateKey));
    const mixed = [clash, ...fresh.slice(1).map((r, i) => (i === 15 ? forged(r) : r))];
    expect((await refusal(ingestBatch(hub.db, hub.dialect, caller, mixed))).code).toBe('SIGNATURE_INVALID');
    expect(await refusal(ingestBatch(hub.db, hub.dialect, caller, [clash, ...fresh.slice(1)]))).toEqual({ code: 'RECORD_CONFLICT', index: 0 });
    expect(await stored()).toEqual(before);
  });
});
