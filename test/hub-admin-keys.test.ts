// API keys bound to a desk (deskId) act for that desk: both routes that create keys, POST /v1/api-keys and
// POST /v1/tenants/{tenantId}/api-keys, refuse a desk of another organisation (security review: an organisation's
// admin key could bind a new ingest key to another organisation's desk through the second route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledDesk, signedRecords, type BenchDesk } from '../bench/hub-load.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { createApiKey, createHubAdmin } from '../server/tenants/tenants.ts';
import { tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

describe('hub: API keys bound to a desk', () => {
  let hub: RunningHub;
  let a: BenchDesk;
  let b: BenchDesk;
  let adminA: string;
  let deskA: string;
  let deskB: string;
  let session: string;

  beforeAll(async () => {
    const dir = tempDir('custody-hub-admin-keys-');
    await initHub({ dataDir: dir, database: null }, { org: 'Hub Owner' });
    hub = await startHub({ dataDir: dir, database: null }, { rateLimits: { perAddress: 10_000 } });
    a = await enrolledDesk(hub.hub.db, 'Org A');
    b = await enrolledDesk(hub.hub.db, 'Org B');
    adminA = (await createApiKey(hub.hub.db, { tenantId: a.tenantId, label: 'A admin', scopes: ['admin'], createdBy: 'test' })).token;
    const deskOf = async (tenantId: string) => (await hub.hub.db.selectFrom('desks').select('id').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()).id;
    deskA = await deskOf(a.tenantId);
    deskB = await deskOf(b.tenantId);
    await createHubAdmin(hub.hub.db, 'root', 'correct horse battery staple', { scrypt: { N: 1024, r: 8, p: 1 } });
    session = (await call(hub.url, 'POST', '/v1/admin/login', { json: { name: 'root', password: 'correct horse battery staple' } })).body.token as string;
  });
  afterAll(async () => hub?.close());

  const keys = async (tenantId: string) => ((await call(hub.url, 'GET', `/v1/tenants/${tenantId}/api-keys`, { token: session })).body.keys as unknown[]).length;

  it("an organisation's admin key cannot bind a key to another organisation's desk on either route", async () => {
    const before = await keys(a.tenantId);
    for (const path of ['/v1/api-keys', `/v1/tenants/${a.tenantId}/api-keys`]) {
      const r = await call(hub.url, 'POST', path, { token: adminA, json: { label: 'x', scopes: ['ingest'], deskId: deskB } });
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      expect(r.body.message).toBe(`expected a desk ${deskB} of this organisation, but there is none`);
      expect(r.body.token).toBeUndefined();
    }
    expect(await keys(a.tenantId)).toBe(before);
  });

  it('nor can a hub admin, and an unknown desk is refused the same way', async () => {
    for (const deskId of [deskB, 'no-such-desk']) {
      const r = await call(hub.url, 'POST', `/v1/tenants/${a.tenantId}/api-keys`, { token: session, json: { label: 'x', scopes: ['ingest'], deskId } });
      expect({ status: r.status, code: r.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    }
  });

  it("so no key of A's can push B's records as B's desk", async () => {
    const [recB] = signedRecords(b, 1);
    const k = await call(hub.url, 'POST', `/v1/tenants/${a.tenantId}/api-keys`, { token: adminA, json: { label: 'x', scopes: ['ingest'], deskId: deskB } });
    expect(k.status).toBe(404);
    // The organisation's own desk is still fine on both routes; B's desk pushes its own records with its own key.
    for (const path of ['/v1/api-keys', `/v1/tenants/${a.tenantId}/api-keys`]) {
      const own = await call(hub.url, 'POST', path, { token: adminA, json: { label: 'own', scopes: ['ingest'], deskId: deskA } });
      expect(own.status).toBe(201);
      expect(own.body.key).toMatchObject({ deskId: deskA });
    }
    expect((await call(hub.url, 'POST', '/v1/records', { token: b.apiKey, json: { records: [recB] } })).status).toBe(200);
  });

  it('an unknown organisation is still not found', async () => {
    const r = await call(hub.url, 'POST', '/v1/tenants/no-such-tenant/api-keys', { token: session, json: { label: 'x', scopes: ['ingest'] } });
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
  });
});
