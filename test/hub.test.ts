// The hub end to end, on SQLite and on PostgreSQL: an org is created with `initHub`, a real desk enrols with its
// signing key, pushes the record of a photo it really signed (with the manifest store cut from the signed PNG), and
// an outsider finds a re-encoded copy of that photo through byBinding (watermark, pHash), byContent and the REST
// verify routes. Then every bad input the issue lists gets its coded error, never a 500.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { imageSignals, type ImageSignals } from '../core/provenance/image-signals.ts';
import { fingerprint } from '../core/provenance/fingerprint.ts';
import { signHubRecord, type HubRecord } from '../core/sync/hub-records.ts';
import { WATERMARK_ALGORITHM } from '../core/media/watermark/codec.ts';
import { PHASH_ALGORITHM } from '../server/http/routes-softbinding.ts';
import { initHub, startHub, type InitResult, type RunningHub } from '../server/serve.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { call, deskSigner, enrol, hubRecordOfSignedPng, type HubCall } from './helpers/hub-desk.ts';
import { postgresUnavailable, tempHubLocation } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`hub tests: skipping the PostgreSQL half: ${pgWhy}`);

describe.each([['sqlite'], ['postgres']] as const)('hub on %s', (backend) => {
  let hub: RunningHub;
  let init: InitResult;
  let base: string;
  let desk: Desk;
  let deskKey: string;
  let record: HubRecord;
  let label: string;
  let store: Uint8Array;
  let copy: ImageSignals;
  let copyBytes: Uint8Array;
  let dropDb: (() => Promise<void>) | null = null;

  // What /matches answers for the record's manifest: its label, qualified by its organisation.
  const manifestUrn = () => `urn:custody:manifest:${init.tenant.id}:${label}`;

  const expectError = (r: HubCall, status: number, code: string) => {
    expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
    expect(typeof r.body.message).toBe('string');
  };

  beforeAll(async () => {
    if (backend === 'postgres' && pgWhy) return;
    const t = await tempHubLocation(backend, 'custody-hub-');
    dropDb = t.drop;
    init = await initHub(t.location, { org: 'Daily Planet' });
    hub = await startHub(t.location, { rateLimits: { perAddress: 10_000 } });
    base = hub.url;

    desk = await tempDesk('Daily Planet');
    const receipt = await desk.sign(photo('astronaut.png'), { actor: desk.bootstrapActor()!, outDir: t.location.dataDir });
    ({ record, label, store } = await hubRecordOfSignedPng(desk, receipt.recordId, receipt.output));
    // The copy found in the wild: re-encoded as a JPEG at quality 80, manifest stripped.
    copyBytes = new Uint8Array(await sharp(readFileSync(receipt.output)).jpeg({ quality: 80 }).toBuffer());
    copy = await imageSignals(copyBytes);
  });

  afterAll(async () => {
    desk?.close();
    await hub?.close();
    await dropDb?.();
  });

  describe.skipIf(backend === 'postgres' && pgWhy)('a desk enrols, pushes, and its photo is found', () => {
    it('enrols with a one-time token and refuses the token the second time', async () => {
      const t = await call(base, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'photo desk' } });
      expect(t.status).toBe(201);
      const e = await enrol(base, desk, t.body.token as string);
      expect(e.status).toBe(201);
      expect(e.body).toMatchObject({ org: 'Daily Planet', desk: { name: 'photo desk', hasC2paRoot: true, revokedAt: null } });
      deskKey = e.body.apiKey as string;
      expectError(await enrol(base, desk, t.body.token as string), 403, 'NOT_PERMITTED');
    });

    it('accepts the record once, and answers a replay with the stored result', async () => {
      const first = await call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [record] } });
      expect(first.status).toBe(200);
      const [r1] = first.body.results as { id: string; status: string; seq: number; receivedAt: string }[];
      expect(r1).toMatchObject({ id: record.id, status: 'accepted', seq: 1 });
      const again = await call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [record] } });
      expect(again.body.results).toEqual([{ ...r1, status: 'replayed' }]);
    });

    it('REST verify: the re-encoded copy is derived from the record, by watermark and pHash', async () => {
      expect(copy.watermark?.detected).toBe(true);
      const r = await call(base, 'POST', '/v1/verify', { token: deskKey, json: { sha256: copy.sha256, payload: copy.watermark!.payload, phash: copy.phash } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ verdict: 'derived', record: { id: record.id, org: 'Daily Planet', desk: { name: 'photo desk' }, manifestId: label } });
      const checks = r.body.checks as Record<string, { status: string; distance?: number }>;
      expect(checks.watermark!.status).toBe('pass');
      expect(checks.phash!.status).toBe('pass');
      expect(checks.phash!.distance).toBeLessThanOrEqual(10);
      expect(checks.sha256!.status).toBe('absent');
    });

    it('REST verify: the signed file itself is authentic, by its SHA-256', async () => {
      const r = await call(base, 'POST', '/v1/verify', { token: deskKey, json: { sha256: record.outputSha256 } });
      expect(r.body).toMatchObject({ verdict: 'authentic', confidence: 1, record: { id: record.id } });
    });

    it('REST verify: a watermark on a different picture is reported as copied', async () => {
      const other = await imageSignals(new Uint8Array(readFileSync(photo('coffee.png'))));
      const r = await call(base, 'POST', '/v1/verify', { token: deskKey, json: { payload: copy.watermark!.payload, phash: other.phash } });
      expect(r.body).toMatchObject({ verdict: 'tampered', checks: { watermark: { status: 'fail', copied: true } } });
    });

    it('batch verify answers each query in order; history shows the ingest', async () => {
      const r = await call(base, 'POST', '/v1/verify/batch', { token: deskKey, json: { queries: [{ phash: copy.phash }, { phash: 'ffffffffffffffff' }] } });
      expect((r.body.results as { verdict: string }[]).map((x) => x.verdict)).toEqual(['derived', 'unknown']);
      const h = await call(base, 'GET', `/v1/records/${record.id}`, { token: deskKey });
      expect(h.body).toMatchObject({ record: { id: record.id, seq: 1 }, events: [{ event: 'ingested', actor: expect.stringMatching(/^desk:/), detail: { seq: 1, keyId: expect.any(String) } }] });
    });

    it('byBinding finds the manifest by the watermark (GET) and by the pHash (POST); the manifest store comes back', async () => {
      const wm = await call(base, 'GET', `/matches/byBinding?alg=${encodeURIComponent(WATERMARK_ALGORITHM)}&value=${encodeURIComponent(Buffer.from(copy.watermark!.payload!, 'hex').toString('base64'))}`, { token: deskKey });
      expect(wm.status).toBe(200);
      const [m] = wm.body.matches as { manifestId: string; similarityScore: number; distance: number }[];
      expect(m).toMatchObject({ manifestId: manifestUrn(), recordId: record.id, org: 'Daily Planet' });
      expect(m!.similarityScore).toBe(Math.round(100 * (1 - m!.distance / 128)));
      const ph = await call(base, 'POST', '/matches/byBinding', { token: deskKey, json: { alg: PHASH_ALGORITHM, value: Buffer.from(copy.phash, 'hex').toString('base64') } });
      expect((ph.body.matches as { manifestId: string }[])[0]).toMatchObject({ manifestId: manifestUrn() });
      // By the id the match gave, and by the bare label, which only this organisation holds.
      for (const id of [m!.manifestId, label]) {
        const res = await fetch(`${base}/manifests/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${deskKey}` } });
        expect(res.headers.get('content-type')).toBe('application/c2pa');
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(store))).toBe(true);
      }
    });

    it('byContent reads the uploaded copy itself and finds the manifest', async () => {
      const r = await call(base, 'POST', '/matches/byContent', { token: deskKey, body: copyBytes, type: 'image/jpeg' });
      expect(r.status).toBe(200);
      const matches = r.body.matches as { manifestId: string; alg: string }[];
      expect(matches[0]).toMatchObject({ manifestId: manifestUrn(), recordId: record.id });
      expect(matches.map((x) => x.alg)).toContain(WATERMARK_ALGORITHM);
      const algs = await call(base, 'GET', '/services/supportedAlgorithms');
      expect(algs.body).toEqual({ watermarks: [{ alg: WATERMARK_ALGORITHM }], fingerprints: [{ alg: PHASH_ALGORITHM }] });
    });

    it('a video and its segments: found by a sequence of segment pHashes, with the segments aligned', async () => {
      const signer = await deskSigner(desk);
      const pub = Buffer.from(signer.publicKey).toString('hex');
      const signedAt = new Date().toISOString();
      const sign = (sha256: string, phash: string) => Buffer.from(signer.sign(new TextEncoder().encode(fingerprint({ sha256, phash, timestamp: signedAt, signer: pub })))).toString('hex');
      const hex = (n: number, seed: number) => Array.from({ length: n }, (_x, i) => ((seed * 7919 + i * 104729) % 16).toString(16)).join('');
      const vid = `rec_${'0'.repeat(9)}1${'v'.repeat(16)}`;
      const chain = hex(64, 3);
      const base0 = { outputSha256: null, payload: null, signedAt, publicKey: pub, format: 'mp4', width: 640, height: 360, manifest: null };
      const parent = signHubRecord({ ...base0, id: vid, kind: 'video', parentId: null, sha256: hex(64, 1), phash: chain, signature: sign(hex(64, 1), chain), segment: null }, signer.sign);
      const segPh = ['0f0f0f0f0f0f0f0f', '00ff00ff00ff00ff', 'f0f0f0f0f0f0f0f0', 'ff00ff00ff00ff00'];
      const segs: HubRecord[] = segPh.map((ph, i) => {
        const sha = hex(64, 10 + i);
        return signHubRecord({ ...base0, id: `rec_${'0'.repeat(9)}2${String(i).repeat(16)}`, kind: 'segment', parentId: vid, sha256: sha, phash: ph, signature: sign(sha, ph), segment: { index: i, start: i * 5, end: i * 5 + 5 } }, signer.sign);
      });
      const push = await call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [parent, ...segs] } });
      expect(push.status).toBe(200);
      // The copy lost its first segment and the others drifted by a bit or two.
      const query = ['00ff00ff00ff00fe', 'f0f0f0f0f0f0f0f0', 'ff00ff00ff00ff03'];
      const r = await call(base, 'POST', '/v1/verify', { token: deskKey, json: { segments: query } });
      expect(r.body).toMatchObject({ record: { id: vid, kind: 'video' }, video: { recordId: vid, segmentCount: 4, coverage: 0.75 } });
      expect((r.body.video as { aligned: unknown[] }).aligned).toEqual([{ query: 0, segment: 1, distance: 1 }, { query: 1, segment: 2, distance: 0 }, { query: 2, segment: 3, distance: 2 }]);
      // Only the opening segment is missing, the rest traced: the desk's rules read that as a trimmed excerpt.
      expect(r.body.verdict).toBe('derived');
    });
  });

  describe.skipIf(backend === 'postgres' && pgWhy)('bad input gets its coded error, never a 500', () => {
    const forged = () => ({ ...record, sha256: 'ab'.repeat(32) });
    /** Changed by the desk itself, so signed again as a whole: only the rule under test refuses it. */
    const resigned = async (r: HubRecord) => signHubRecord(r, (await deskSigner(desk)).sign);
    const other = () => resigned({ ...record, format: 'jpeg' });

    it.each([
      ['no credentials', () => call(base, 'POST', '/v1/records', { json: { records: [record] } }), 401, 'NOT_AUTHENTICATED'],
      ['an unknown API key', () => call(base, 'POST', '/v1/records', { token: `chk_${'A'.repeat(12)}_${'B'.repeat(43)}`, json: { records: [record] } }), 401, 'NOT_AUTHENTICATED'],
      ['a forged signature', () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [forged()] } }), 422, 'SIGNATURE_INVALID'],
      ['a duplicate id with other content', async () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [await other()] } }), 409, 'RECORD_CONFLICT'],
      // Without the manifest store: 1,001 copies of it would be over the body limit (REQUEST_TOO_LARGE) before they are counted.
      ['an oversized ingest batch', () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: Array.from({ length: 1001 }, () => ({ ...record, manifest: null })) } }), 413, 'BATCH_TOO_LARGE'],
      ['an oversized verify batch', () => call(base, 'POST', '/v1/verify/batch', { token: deskKey, json: { queries: Array.from({ length: 1001 }, () => ({ phash: copy.phash })) } }), 413, 'BATCH_TOO_LARGE'],
      ['a body that is not JSON', () => fetch(`${base}/v1/verify`, { method: 'POST', headers: { authorization: `Bearer ${deskKey}`, 'content-type': 'application/json' }, body: '{"phash":' }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown>, headers: r.headers })), 400, 'INVALID_ARGUMENT'],
      ['a record that breaks the schema', () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [{ ...record, phash: 'xyz' }] } }), 400, 'INVALID_ARGUMENT'],
      ['a payload that does not derive from the signature', () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [{ ...record, payload: '00'.repeat(16) }] } }), 400, 'INVALID_ARGUMENT'],
      ['a segment without its video', async () => call(base, 'POST', '/v1/records', { token: deskKey, json: { records: [await resigned({ ...record, id: `rec_${'3'.repeat(26)}`, kind: 'segment', parentId: `rec_${'1'.repeat(26)}`, segment: { index: 0, start: 0, end: 5 } })] } }), 400, 'INVALID_ARGUMENT'],
      ['a verify query with no signal', () => call(base, 'POST', '/v1/verify', { token: deskKey, json: {} }), 400, 'INVALID_ARGUMENT'],
      ['an unknown soft-binding algorithm', () => call(base, 'GET', '/matches/byBinding?alg=com.example.none&value=AAAA', { token: deskKey }), 400, 'INVALID_ARGUMENT'],
      ['a soft-binding value of the wrong length', () => call(base, 'GET', `/matches/byBinding?alg=${WATERMARK_ALGORITHM}&value=AAAA`, { token: deskKey }), 400, 'INVALID_ARGUMENT'],
      ['byContent with something that is not an image', () => call(base, 'POST', '/matches/byContent', { token: deskKey, body: new TextEncoder().encode('hello, world'), type: 'application/octet-stream' }), 415, 'UNSUPPORTED_FORMAT'],
      ['byContent with a JSON body', () => call(base, 'POST', '/matches/byContent', { token: deskKey, json: { image: 'no' } }), 415, 'UNSUPPORTED_FORMAT'],
      ['an unknown manifest', () => call(base, 'GET', '/manifests/urn:c2pa:nothing', { token: deskKey }), 404, 'NOT_FOUND'],
      ['an unknown record', () => call(base, 'GET', `/v1/records/rec_${'2'.repeat(26)}`, { token: deskKey }), 404, 'NOT_FOUND'],
      ['a desk key on an admin route', () => call(base, 'POST', '/v1/enrolment-tokens', { token: deskKey, json: { label: 'x' } }), 403, 'NOT_PERMITTED'],
      ['an admin key on ingest (wrong scope)', () => call(base, 'POST', '/v1/records', { token: init.adminKey, json: { records: [record] } }), 403, 'NOT_PERMITTED'],
      ['an admin key on verify (wrong scope)', () => call(base, 'POST', '/v1/verify', { token: init.adminKey, json: { phash: copy.phash } }), 403, 'NOT_PERMITTED'],
      ['an unknown route', () => call(base, 'GET', '/v1/nothing'), 404, 'NOT_FOUND'],
    ] as const)('%s', async (_name, run, status, code) => {
      expectError(await run(), status, code);
    });

    it("a key with only the Soft Binding Resolution API's fetch:manifests scope queries /matches and fetches /manifests, and nothing else", async () => {
      const k = await call(base, 'POST', '/v1/api-keys', { token: init.adminKey, json: { label: 'resolver', scopes: ['fetch:manifests'] } });
      expect(k.status).toBe(201);
      const resolverKey = k.body.token as string;
      const value = encodeURIComponent(Buffer.from(copy.watermark!.payload!, 'hex').toString('base64'));
      const wm = await call(base, 'GET', `/matches/byBinding?alg=${encodeURIComponent(WATERMARK_ALGORITHM)}&value=${value}`, { token: resolverKey });
      expect((wm.body.matches as { manifestId: string }[])[0]).toMatchObject({ manifestId: manifestUrn() });
      const res = await fetch(`${base}/manifests/${encodeURIComponent(manifestUrn())}`, { headers: { authorization: `Bearer ${resolverKey}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(store))).toBe(true);
      expectError(await call(base, 'POST', '/v1/verify', { token: resolverKey, json: { phash: copy.phash } }), 403, 'NOT_PERMITTED');
      expectError(await call(base, 'POST', '/v1/records', { token: resolverKey, json: { records: [record] } }), 403, 'NOT_PERMITTED');
      expectError(await call(base, 'GET', `/v1/records/${record.id}`, { token: resolverKey }), 403, 'NOT_PERMITTED');
      // An ingest-only key has neither scope the resolution API takes.
      const ingestOnly = await call(base, 'POST', '/v1/api-keys', { token: init.adminKey, json: { label: 'pusher', scopes: ['ingest'] } });
      expectError(await call(base, 'GET', `/matches/byBinding?alg=${encodeURIComponent(WATERMARK_ALGORITHM)}&value=${value}`, { token: ingestOnly.body.token as string }), 403, 'NOT_PERMITTED');
    });

    it('a verify-only key cannot ingest; a revoked key is refused; records of a revoked desk are refused', async () => {
      const v = await call(base, 'POST', '/v1/api-keys', { token: init.adminKey, json: { label: 'checker', scopes: ['verify'] } });
      expect(v.status).toBe(201);
      const verifyKey = v.body.token as string;
      expectError(await call(base, 'POST', '/v1/records', { token: verifyKey, json: { records: [record] } }), 403, 'NOT_PERMITTED');
      expect((await call(base, 'POST', '/v1/verify', { token: verifyKey, json: { phash: copy.phash } })).status).toBe(200);
      const keyId = (v.body.key as { id: string }).id;
      expect((await call(base, 'POST', `/v1/api-keys/${keyId}/revoke`, { token: init.adminKey })).status).toBe(200);
      expectError(await call(base, 'POST', '/v1/verify', { token: verifyKey, json: { phash: copy.phash } }), 401, 'REVOKED');

      // A second desk, enrolled then revoked: its own key is revoked with it, and an ingest key an admin makes for
      // the revoked desk still cannot push.
      const other = await tempDesk('Daily Planet');
      try {
        const t = await call(base, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'second desk' } });
        const e = await enrol(base, other, t.body.token as string, 'second desk');
        const otherKey = e.body.apiKey as string;
        const otherDesk = (e.body.desk as { id: string }).id;
        // Records signed with the first desk's key are not the second desk's to push.
        expectError(await call(base, 'POST', '/v1/records', { token: otherKey, json: { records: [record] } }), 403, 'NOT_PERMITTED');
        expect((await call(base, 'POST', `/v1/desks/${otherDesk}/revoke`, { token: init.adminKey })).body).toMatchObject({ id: otherDesk });
        expectError(await call(base, 'POST', '/v1/records', { token: otherKey, json: { records: [] } }), 401, 'REVOKED');
        const k = await call(base, 'POST', '/v1/api-keys', { token: init.adminKey, json: { label: 'late key', scopes: ['ingest'], deskId: otherDesk } });
        expectError(await call(base, 'POST', '/v1/records', { token: k.body.token as string, json: { records: [] } }), 403, 'REVOKED');
      } finally {
        other.close();
      }
    });

    it('the record stayed as first accepted through all of that', async () => {
      const h = await call(base, 'GET', `/v1/records/${record.id}`, { token: deskKey });
      expect(h.body).toMatchObject({ record: { id: record.id, seq: 1, sha256: record.sha256 } });
    });
  });
});

describe('rate limits', () => {
  let hub: RunningHub;
  let init: InitResult;
  beforeAll(async () => {
    const dir = tempDir('custody-hub-rl-');
    init = await initHub({ dataDir: dir }, { org: 'Small Paper' });
    hub = await startHub({ dataDir: dir }, { rateLimits: { perKey: 3, perTenant: 100, perAddress: 2, windowMs: 60_000 } });
  });
  afterAll(() => hub?.close());

  it('answers 429 RATE_LIMITED with Retry-After past the per-key limit', async () => {
    const statuses: number[] = [];
    let last: HubCall | null = null;
    for (let i = 0; i < 4; i++) {
      last = await call(hub.url, 'GET', '/v1/desks', { token: init.adminKey });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.body.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits the public routes by address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(hub.url, 'POST', '/v1/admin/login', { json: { name: 'nobody', password: 'wrong password' } })).status);
    expect(statuses).toEqual([401, 401, 429]);
  });
});

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every route with its schemas', async () => {
    const dir = tempDir('custody-hub-doc-');
    const hub = await startHub({ dataDir: join(dir, 'data') });
    try {
      const doc = (await call(hub.url, 'GET', '/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
      expect(doc.openapi).toBe('3.1.0');
      for (const p of ['/v1/records', '/v1/verify', '/v1/verify/batch', '/v1/enrol', '/matches/byBinding', '/matches/byContent', '/manifests/{manifestId}', '/services/supportedAlgorithms', '/healthz', '/readyz']) {
        expect(Object.keys(doc.paths)).toContain(p);
      }
      expect(doc.paths['/v1/records']!.post!.requestBody).toBeDefined();
      const docs = await fetch(`${hub.url}/docs`);
      expect(await docs.text()).toContain('/matches/byBinding');
      expect((await call(hub.url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', database: 'sqlite' });
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      expect(metrics).toContain('hub_http_request_duration_seconds_bucket');
      expect(metrics).toContain('hub_index_codes{index="phash"}');
    } finally {
      await hub.close();
    }
  });
});
