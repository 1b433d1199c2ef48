// A segment belongs to the video of the desk that signed both (found in review): another desk of the same
// organisation, pushing segments of its own footage under that video, made a clip of it answer as the video's, with
// its desk's name. Ingest refuses it; the video's own desk still adds its segments in a later batch.
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRecordId } from '../core/provenance/fingerprint.ts';
import { enrolmentProofBytes, recordFingerprintBytes, signHubRecord, type HubRecord, type UnsignedHubRecord } from '../core/sync/hub-records.ts';
import type { HubKysely } from '../server/db/schema.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { createEnrolmentToken, enrolDesk } from '../server/tenants/desks.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

/** A desk enrolled in `tenantId` with a fresh Ed25519 key, and a maker of records it signed. */
async function enrolled(db: HubKysely, tenantId: string, name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');
  const { token } = await createEnrolmentToken(db, { tenantId, label: name, createdBy: 'test' });
  const e = await enrolDesk(db, { token, name, keys: [{ publicKey: pub, proof: nodeSign(null, enrolmentProofBytes(token, pub), privateKey).toString('hex') }], c2paRootPem: null });
  const rec = (r: Partial<UnsignedHubRecord> & Pick<UnsignedHubRecord, 'kind' | 'phash'>): HubRecord => {
    const u: UnsignedHubRecord = { id: newRecordId(), parentId: null, sha256: randomBytes(32).toString('hex'), outputSha256: null, payload: null, signedAt: new Date().toISOString(), publicKey: pub, signature: '', format: 'mp4', width: 1920, height: 1080, segment: null, manifest: null, ...r };
    u.signature = nodeSign(null, recordFingerprintBytes(u), privateKey).toString('hex');
    return signHubRecord(u, (m) => nodeSign(null, m, privateKey));
  };
  const segment = (video: HubRecord, i: number) => rec({ kind: 'segment', parentId: video.id, phash: randomBytes(8).toString('hex'), segment: { index: i, start: i * 5, end: i * 5 + 5 } });
  return { apiKey: e.apiKey, rec, segment };
}

let hub: RunningHub;

beforeAll(async () => {
  const dir = tempDir('custody-hub-segments-');
  await initHub({ dataDir: dir, database: null }, { org: 'Hub Owner' });
  hub = await startHub({ dataDir: dir, database: null }, { rateLimits: { perAddress: 10_000 } });
});
afterAll(async () => hub?.close());

describe('segments and their video', () => {
  it("refuses a desk's segments under another desk's video, and takes the video's own desk's", async () => {
    const t = await createTenant(hub.hub.db, 'Newsroom');
    const d1 = await enrolled(hub.hub.db, t.id, 'video desk');
    const d2 = await enrolled(hub.hub.db, t.id, 'other desk');
    const video = d1.rec({ kind: 'video', phash: randomBytes(32).toString('hex') });
    expect((await call(hub.url, 'POST', '/v1/records', { token: d1.apiKey, json: { records: [video, d1.segment(video, 0), d1.segment(video, 1)] } })).status).toBe(200);

    const foreign = [2, 3].map((i) => d2.segment(video, i));
    const push = await call(hub.url, 'POST', '/v1/records', { token: d2.apiKey, json: { records: foreign } });
    expect([push.status, push.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(push.body.message).toContain('a video this desk signed');
    // a clip of desk 2's footage is not answered as desk 1's video
    const v = await call(hub.url, 'POST', '/v1/verify', { token: d1.apiKey, json: { segments: foreign.map((s) => s.phash) } });
    expect(v.body).toMatchObject({ verdict: 'unknown', record: null });

    // the video's own desk adds segments to it in a later batch (its parent stored, not in the batch)
    const later = [2, 3].map((i) => d1.segment(video, i));
    expect((await call(hub.url, 'POST', '/v1/records', { token: d1.apiKey, json: { records: later } })).status).toBe(200);
    const history = await call(hub.url, 'GET', `/v1/records/${video.id}`, { token: d1.apiKey });
    expect((history.body.segments as unknown[]).length).toBe(4);
  });
});
