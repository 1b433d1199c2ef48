// Issue 17: the desk pulls its records' proofs in batches (`POST /v1/log/records/proofs`, up to 500 ids a request)
// rather than one GET each; every proof in a batch is checked as a single one is (a forged one is an alarm and is not
// kept), an id the hub does not hold is answered by its code, and a hub without the route is asked one record at a time.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { proofOf } from '../core/sync/proofs.ts';
import { photo } from './fixtures/photos.ts';
import { call } from './helpers/hub-desk.ts';
import { closeBoth, deskWithHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-batch-proofs-'));
}, 60_000);
afterAll(() => closeBoth(desk, hub));

async function signSome(n: number, from: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const p = join(dir, `p${i}.png`);
    await sharp(photo('coffee.png')).resize(200 + i * 8).png().toFile(p);
    ids.push((await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') })).recordId);
  }
  expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null, accepted: n });
  // Until the hub has signed a checkpoint over them.
  await new Promise((d) => setTimeout(d, 600));
  return ids;
}

/** A fetch that logs each request's method and path, and lets a test rewrite an answer. */
function recording(rewrite?: (path: string, res: Response) => Promise<Response>): { fetch: typeof fetch; seen: string[] } {
  const seen: string[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    seen.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    const res = await fetch(input, init);
    return rewrite ? rewrite(url.pathname, res) : res;
  };
  return { fetch: f, seen };
}

describe('proofs in batches', { timeout: 90_000 }, () => {
  it('the hub answers many ids in one request, each with its proof or its code', async () => {
    const [id] = await signSome(1, 1);
    const r = await desk.hub.client().request('POST', '/v1/log/records/proofs', { ids: [id!, 'rec_00000000000000000000000000'] });
    expect(r).toMatchObject({ kind: 'answered', status: 200 });
    const body = (r as unknown as { body: { size: number; proofs: { id: string; proof: { leaf: string } | null; code: string | null }[] } }).body;
    expect(body.proofs).toEqual([
      { id, proof: expect.objectContaining({ format: 'custody-tlog-proof/v1' }), code: null, message: null },
      { id: 'rec_00000000000000000000000000', proof: null, code: 'NOT_FOUND', message: expect.stringMatching(/expected a record this organisation pushed/) },
    ]);
    expect(JSON.parse(body.proofs[0]!.proof!.leaf)).toMatchObject({ type: 'record', id });
    expect((await call(hub.url, 'POST', '/v1/log/records/proofs', { json: { ids: [id] } })).status).toBe(401);
    expect((await desk.hub.client().request('POST', '/v1/log/records/proofs', { ids: Array.from({ length: 1001 }, () => id) }))).toMatchObject({ status: 400 });
  });

  it('the puller fetches every missing proof with one request, and checks and keeps each', async () => {
    const ids = await signSome(3, 10);
    const rec = recording();
    const r = await desk.hub.puller({ fetch: rec.fetch }).pull();
    expect(r).toMatchObject({ alarm: null, error: null, notReady: 0 });
    for (const id of ids) expect(proofOf(desk.store, id)).not.toBeNull();
    expect(rec.seen.filter((s) => s.includes('/v1/log/records/'))).toEqual(['POST /v1/log/records/proofs']);
  });

  it('a proof forged inside a batch is an alarm and is not kept; the ones before it are', async () => {
    const ids = await signSome(2, 20);
    const rec = recording(async (path, res) => {
      if (path !== '/v1/log/records/proofs') return res;
      const body = (await res.json()) as { proofs: { id: string; proof: { leafHash: string } | null }[] };
      const last = body.proofs.at(-1)!;
      last.proof!.leafHash = '00'.repeat(32);
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const r = await desk.hub.puller({ fetch: rec.fetch }).pull();
    expect(r.alarm).toMatch(new RegExp(`^record ${ids[1]}: PROOF_LEAF_MISMATCH`));
    expect(proofOf(desk.store, ids[0]!)).not.toBeNull();
    expect(proofOf(desk.store, ids[1]!)).toBeNull();
  });

  it('a hub without the batch route is asked one record at a time', async () => {
    desk.store.run(sql`DELETE FROM hub_proofs`);
    const rec = recording(async (path, res) => (path === '/v1/log/records/proofs' ? new Response(JSON.stringify({ message: 'Route POST:/v1/log/records/proofs not found' }), { status: 404 }) : res));
    const puller = desk.hub.puller({ fetch: rec.fetch });
    const r = await puller.pull();
    expect(r).toMatchObject({ alarm: null, error: null, unsupported: false });
    const held = desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM hub_proofs`)!.n;
    expect(held).toBe(6);
    const gets = rec.seen.filter((s) => /^GET \/v1\/log\/records\/rec_\w+\/proof$/.test(s));
    expect(gets).toHaveLength(6);
    // Not asked again by this puller.
    desk.store.run(sql`DELETE FROM hub_proofs`);
    rec.seen.length = 0;
    await puller.pull();
    expect(rec.seen.filter((s) => s.startsWith('POST /v1/log/records/proofs'))).toEqual([]);
  });
});
