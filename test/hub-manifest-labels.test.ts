// Manifest labels are an organisation's own (migration 0005): a desk of another organisation that saw a label (it
// travels in every copy's Content Credentials) and pushed it first neither blocks the genuine record nor is served
// for it, and no refusal names another organisation's record. On SQLite and on PostgreSQL.
import Database from 'better-sqlite3';
import { sign as nodeSign } from 'node:crypto';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledDesk, signedRecords, type BenchDesk } from '../bench/hub-load.ts';
import { WATERMARK_ALGORITHM } from '../core/media/watermark/codec.ts';
import { signHubRecord, type HubRecord } from '../core/sync/hub-records.ts';
import * as m0001 from '../server/db/migrations/0001-initial.ts';
import * as m0002 from '../server/db/migrations/0002-tlog.ts';
import * as m0003 from '../server/db/migrations/0003-anchor.ts';
import * as m0004 from '../server/db/migrations/0004-publications.ts';
import * as m0005 from '../server/db/migrations/0005-manifest-labels.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { call } from './helpers/hub-desk.ts';
import { postgresUnavailable, tempHubLocation, tempPostgresDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`manifest label tests: skipping the PostgreSQL half: ${pgWhy}`);

const LABEL = 'urn:c2pa:7d0b2f7e-1111-4222-8333-944445555666';
/** `r` with a manifest store (`text`) under `label`, signed again whole by its desk: the store's hash is in what the record signature covers. */
const withManifest = (desk: BenchDesk, r: HubRecord, text: string, label = LABEL): HubRecord => {
  const { recordSignature: _, ...unsigned } = r;
  return signHubRecord({ ...unsigned, manifest: { id: label, data: Buffer.from(text).toString('base64') } }, (m) => nodeSign(null, m, desk.privateKey));
};

describe.each([['sqlite'], ['postgres']] as const)('manifest labels per organisation on %s', (backend) => {
  let hub: RunningHub | undefined;
  let drop: (() => Promise<void>) | null = null;
  let a: BenchDesk;
  let b: BenchDesk;

  beforeAll(async () => {
    if (backend === 'postgres' && pgWhy) return;
    const t = await tempHubLocation(backend, 'custody-hub-labels-');
    drop = t.drop;
    await initHub(t.location, { org: 'Hub Owner' });
    hub = await startHub(t.location, { rateLimits: { perAddress: 10_000 } });
    a = await enrolledDesk(hub.hub.db, 'Org A');
    b = await enrolledDesk(hub.hub.db, 'Org B');
  });
  afterAll(async () => {
    await hub?.close();
    await drop?.();
  });

  it("A's desk takes B's label first: B's genuine record is still accepted, and each is resolved to its own store", async (ctx) => {
    if (!hub) return ctx.skip();
    const url = hub.url;
    const [recA] = signedRecords(a, 1);
    const [recB] = signedRecords(b, 1);
    const squat = await call(url, 'POST', '/v1/records', { token: a.apiKey, json: { records: [withManifest(a, recA!, 'not B\'s manifest')] } });
    expect(squat.status).toBe(200);
    const genuine = await call(url, 'POST', '/v1/records', { token: b.apiKey, json: { records: [withManifest(b, recB!, 'B\'s real manifest store')] } });
    expect([genuine.status, (genuine.body.results as { status: string }[] | undefined)?.[0]?.status]).toEqual([200, 'accepted']);

    // B's photo found by its watermark: the match names B's store, and that is what is served.
    const value = Buffer.from(recB!.payload!, 'hex').toString('base64');
    const found = await call(url, 'GET', `/matches/byBinding?alg=${encodeURIComponent(WATERMARK_ALGORITHM)}&value=${encodeURIComponent(value)}`, { token: b.apiKey });
    const [match] = found.body.matches as { manifestId: string; recordId: string; org: string }[];
    expect(match).toMatchObject({ recordId: recB!.id, org: 'Org B', manifestId: `urn:custody:manifest:${b.tenantId}:${LABEL}` });
    const fetchText = async (id: string) => {
      const res = await fetch(`${url}/manifests/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${b.apiKey}` } });
      return `${res.status} ${res.status === 200 ? await res.text() : ((await res.json()) as { code: string }).code}`;
    };
    expect(await fetchText(match!.manifestId)).toBe('200 B\'s real manifest store');
    expect(await fetchText(`urn:custody:manifest:${a.tenantId}:${LABEL}`)).toBe('200 not B\'s manifest');
    // The bare label names two stores: neither is served for it.
    expect(await fetchText(LABEL)).toBe('404 NOT_FOUND');
  });

  it("refuses a label twice within one organisation, naming only that organisation's record", async (ctx) => {
    if (!hub) return ctx.skip();
    const [first, second] = signedRecords(a, 2);
    const label = 'urn:c2pa:11111111-2222-4333-8444-555555555555';
    const put = (r: HubRecord) => call(hub!.url, 'POST', '/v1/records', { token: a.apiKey, json: { records: [withManifest(a, r, 'a store', label)] } });
    expect((await put(first!)).status).toBe(200);
    const again = await put(second!);
    expect([again.status, again.body.code]).toEqual([409, 'RECORD_CONFLICT']);
    expect(again.body.message).toContain(first!.id);
  });

  it('takes a label another organisation holds, and names none of that organisation\'s records in its answer', async (ctx) => {
    if (!hub) return ctx.skip();
    const [recA] = signedRecords(a, 1);
    const [recB] = signedRecords(b, 1);
    const label = 'urn:c2pa:99999999-2222-4333-8444-555555555555';
    const put = (d: BenchDesk, r: HubRecord) => call(hub!.url, 'POST', '/v1/records', { token: d.apiKey, json: { records: [withManifest(d, r, 'a store', label)] } });
    expect((await put(a, recA!)).status).toBe(200);
    const answer = await put(b, recB!);
    expect(JSON.stringify(answer.body)).not.toContain(recA!.id);
    expect(answer.status).toBe(200);
  });

  it("no organisation supplies the store served under another's record id: a label spelled like one of the hub's ids is refused, and a record id is never looked up as a label", async (ctx) => {
    if (!hub) return ctx.skip();
    const url = hub.url;
    // B's record, pushed without a store: the resolution API answers it with an id naming B's record
    const [recB] = signedRecords(b, 1);
    expect((await call(url, 'POST', '/v1/records', { token: b.apiKey, json: { records: [recB] } })).status).toBe(200);
    const value = Buffer.from(recB!.payload!, 'hex').toString('base64');
    const found = await call(url, 'GET', `/matches/byBinding?alg=${encodeURIComponent(WATERMARK_ALGORITHM)}&value=${encodeURIComponent(value)}`, { token: a.apiKey });
    const recordUrn = (found.body.matches as { manifestId: string }[])[0]!.manifestId;
    expect(recordUrn).toBe(`urn:custody:record:${b.tenantId}:${recB!.id}`);
    const fetched = async (id: string) => {
      const res = await fetch(`${url}/manifests/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${a.apiKey}` } });
      return `${res.status} ${res.status === 200 ? await res.text() : ((await res.json()) as { code: string }).code}`;
    };
    // A's desk pushes one of its own records with that id as its label, and with the qualified form of B's: refused
    for (const label of [recordUrn, `urn:custody:manifest:${b.tenantId}:${LABEL}`, recordUrn.toUpperCase()]) {
      const [recA] = signedRecords(a, 1);
      const squat = await call(url, 'POST', '/v1/records', { token: a.apiKey, json: { records: [withManifest(a, recA!, "A's store", label)] } });
      expect([squat.status, squat.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
      expect(squat.body.message).toContain("not one of the hub's own ids");
    }
    // a row stored before the refusal (written here straight into the database) is not served for B's record either
    const [recA] = signedRecords(a, 1);
    expect((await call(url, 'POST', '/v1/records', { token: a.apiKey, json: { records: [withManifest(a, recA!, "A's store", 'urn:c2pa:0a0a0a0a-2222-4333-8444-555555555555')] } })).status).toBe(200);
    await hub.hub.db.updateTable('manifests').set({ id: recordUrn }).where('record_id', '=', recA!.id).execute();
    expect(await fetched(recordUrn)).toBe('404 NOT_FOUND');
  });
});

describe.each([['sqlite'], ['postgres']] as const)('migration 0005 on %s', (backend) => {
  it('keeps every stored manifest and makes labels unique per organisation', async (ctx) => {
    if (backend === 'postgres' && pgWhy) return ctx.skip();
    const d = backend === 'postgres' ? await tempPostgresDatabase() : null;
    const db = new Kysely<unknown>({
      dialect: d ? new PostgresDialect({ pool: new pg.Pool({ connectionString: d.url, max: 1 }) }) : new SqliteDialect({ database: new Database(':memory:') }),
    });
    try {
      for (const m of [m0001, m0002, m0003, m0004]) await m.up(db, backend);
      await sql`insert into tenants (id, name, record_count, created_at) values ('org_a', 'A', 0, 'now'), ('org_b', 'B', 0, 'now')`.execute(db);
      await sql`insert into manifests (id, tenant_id, record_id, sha256, data, created_at) values (${LABEL}, 'org_a', 'rec_a', 'h', ${Buffer.from('A')}, 'then')`.execute(db);
      // Before: the label is taken for the whole hub.
      await expect(sql`insert into manifests (id, tenant_id, record_id, sha256, data, created_at) values (${LABEL}, 'org_b', 'rec_b', 'h', ${Buffer.from('B')}, 'now')`.execute(db)).rejects.toThrow(/unique|primary|duplicate/i);
      await m0005.up(db, backend);
      await sql`insert into manifests (id, tenant_id, record_id, sha256, data, created_at) values (${LABEL}, 'org_b', 'rec_b', 'h', ${Buffer.from('B')}, 'now')`.execute(db);
      await expect(sql`insert into manifests (id, tenant_id, record_id, sha256, data, created_at) values (${LABEL}, 'org_b', 'rec_c', 'h', ${Buffer.from('C')}, 'now')`.execute(db)).rejects.toThrow(/unique|primary|duplicate/i);
      const rows = await sql<{ tenant_id: string; record_id: string; data: Uint8Array; created_at: string }>`select tenant_id, record_id, data, created_at from manifests order by tenant_id`.execute(db);
      expect(rows.rows.map((r) => `${r.tenant_id} ${r.record_id} ${Buffer.from(r.data).toString()} ${r.created_at}`)).toEqual(['org_a rec_a A then', 'org_b rec_b B now']);
    } finally {
      await db.destroy();
      await d?.drop();
    }
  });
});
