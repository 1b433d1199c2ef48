// Several hub processes on one PostgreSQL (the stateless API): two hubs with their own pools and in-memory indexes
// share one database. A record pushed through one is found through the other at once, and batches pushed through
// both at the same time get dense, distinct sequence numbers (the tenant lock serialises them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { fingerprint, newRecordId, payloadFromSignature } from '../core/provenance/fingerprint.ts';
import { signHubRecord, type HubRecord } from '../core/sync/hub-records.ts';
import { initHub, startHub, type InitResult, type RunningHub } from '../server/serve.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { call, deskSigner, enrol } from './helpers/hub-desk.ts';
import { postgresUnavailable, tempPostgresDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`hub multi-process tests: skipping: ${pgWhy}`);

describe.skipIf(pgWhy)('two hub processes on one PostgreSQL', () => {
  let a: RunningHub;
  let b: RunningHub;
  let init: InitResult;
  let desk: Desk;
  let key: string;
  let drop: () => Promise<void>;
  let makeRecords: (n: number) => Promise<HubRecord[]>;

  beforeAll(async () => {
    const db = await tempPostgresDatabase();
    drop = db.drop;
    const loc = { database: db.url, dataDir: tempDir('custody-hub-multi-') };
    init = await initHub(loc, { org: 'Daily Planet' });
    [a, b] = await Promise.all([startHub(loc), startHub(loc)]);
    desk = await tempDesk('Daily Planet');
    const token = (await call(a.url, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'desk' } })).body.token as string;
    key = (await enrol(b.url, desk, token)).body.apiKey as string;
    const signer = await deskSigner(desk);
    const pub = Buffer.from(signer.publicKey).toString('hex');
    let n = 0;
    makeRecords = async (count) => Array.from({ length: count }, () => {
      n++;
      const sha256 = n.toString(16).padStart(64, '0');
      const phash = ((n * 2654435761) >>> 0).toString(16).padStart(8, '0') + ((n * 40503) >>> 0).toString(16).padStart(8, '0');
      const signedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)).toISOString();
      const sig = signer.sign(new TextEncoder().encode(fingerprint({ sha256, phash, timestamp: signedAt, signer: pub })));
      return signHubRecord({
        id: newRecordId(), kind: 'image' as const, parentId: null, sha256, outputSha256: null, phash, payload: Buffer.from(payloadFromSignature(sig)).toString('hex'),
        signedAt, publicKey: pub, signature: Buffer.from(sig).toString('hex'), format: 'jpeg', width: 100, height: 100, segment: null, manifest: null,
      }, signer.sign);
    });
  });

  afterAll(async () => {
    desk?.close();
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it('finds through one hub what was pushed through the other, at once', async () => {
    const [r] = await makeRecords(1);
    expect((await call(a.url, 'POST', '/v1/records', { token: key, json: { records: [r] } })).status).toBe(200);
    const v = await call(b.url, 'POST', '/v1/verify', { token: key, json: { payload: r!.payload, phash: r!.phash } });
    expect(v.body).toMatchObject({ verdict: 'derived', record: { id: r!.id } });
  });

  it('numbers concurrent batches through both hubs densely, each record once', async () => {
    const batches = await Promise.all(Array.from({ length: 6 }, () => makeRecords(50)));
    const answers = await Promise.all(batches.map((records, i) => call(i % 2 ? a.url : b.url, 'POST', '/v1/records', { token: key, json: { records } })));
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const seqs = answers.flatMap((x) => (x.body.results as { seq: number }[]).map((r) => r.seq)).sort((p, q) => p - q);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_x, i) => i + 2));
    // Each hub's index holds every record, whichever hub took it.
    for (const hub of [a, b]) {
      const last = batches[5]![49]!;
      const v = await call(hub.url, 'POST', '/v1/verify', { token: key, json: { phash: last.phash } });
      expect(v.body).toMatchObject({ record: { id: last.id } });
    }
    // A replay of a whole batch through the other hub answers the stored results.
    const replay = await call(a.url, 'POST', '/v1/records', { token: key, json: { records: batches[0] } });
    expect((replay.body.results as { status: string; seq: number }[]).every((r, i) => r.status === 'replayed' && r.seq === (answers[0]!.body.results as { seq: number }[])[i]!.seq)).toBe(true);
  });
});
