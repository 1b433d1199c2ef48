// Issue 17: publications reach the hub. The desk pushes each publication it made (the signed statement, after the
// record it publishes); the hub checks the desk's key, the signature over the exact statement, that the record is
// this desk's and that the publication was made from its signed output; verification through the hub then recognises
// the published file by its bytes. A statement edited in desk.db is refused and parked with the hub's reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { sql } from '../core/store/db.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';
import { inProcessHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

beforeAll(async () => {
  hub = await inProcessHub('Daily Planet');
  desk = await tempDesk('Daily Planet');
  dir = tempDir('custody-sync-publications-');
  await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(), name: 'photo desk' });
}, 60_000);
afterAll(async () => {
  desk?.close();
  await hub?.close();
});

async function signAndPublish(i: number): Promise<{ recordId: string; publicationId: string; file: string }> {
  const p = join(dir, `p${i}.png`);
  await sharp(photo('coffee.png')).resize(256 + i * 16).png().toFile(p);
  const { recordId } = await desk.sign(p, { actor: desk.bootstrapActor() ?? { name: 'ada', roles: ['admin'] }, outDir: join(dir, 'out') });
  const { receipt } = await approveAndPublish(desk, recordId, join(dir, 'pub'));
  return { recordId, publicationId: receipt.publicationId, file: receipt.output };
}

describe('publications on the hub', { timeout: 90_000 }, () => {
  it('are pushed after their record, and the published file is recognised by its bytes', async () => {
    const { recordId, publicationId, file } = await signAndPublish(1);
    const r = await desk.hub.worker().pushOnce();
    expect(r).toMatchObject({ error: null, publications: 1, parked: 0, remaining: 0 });
    expect(desk.hub.status().held).toEqual([]);
    const bytes = new Uint8Array(readFileSync(file));
    const o = await desk.hub.client().request('POST', '/v1/verify', { sha256: sha256Hex(bytes) });
    expect(o).toMatchObject({ kind: 'answered', status: 200, body: {
      verdict: 'authentic', record: { id: recordId },
      publication: { id: publicationId, recordId },
      checks: { sha256: { status: 'pass', which: 'published', publicationId } },
    } });
    // Pushed again (a lost answer): the hub answers its stored result.
    desk.store.run(sql`UPDATE outbox SET state = 'pending' WHERE kind = 'publication' AND ref = ${publicationId}`);
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null, publications: 1, parked: 0 });
    expect(desk.store.get(sql`SELECT hub_status FROM outbox WHERE kind = 'publication' AND ref = ${publicationId}`)).toEqual({ hub_status: 'replayed' });
  });

  it('a statement edited in desk.db is refused with the hub\'s reason and parked; the rows after it go on', async () => {
    const a = await signAndPublish(2);
    const b = await signAndPublish(3);
    const row = desk.store.get<{ statement: string }>(sql`SELECT statement FROM publications WHERE id = ${a.publicationId}`)!;
    desk.store.run(sql`UPDATE publications SET statement = ${row.statement.replace(/"publishedBy":"[^"]*"/, '"publishedBy":"mallory"')} WHERE id = ${a.publicationId}`);
    const r = await desk.hub.worker().pushOnce();
    expect(r).toMatchObject({ error: null, publications: 1, parked: 1 });
    expect(desk.hub.status().parked).toEqual([expect.objectContaining({ kind: 'publication', ref: a.publicationId, code: 'SIGNATURE_INVALID' })]);
    const o = await desk.hub.client().request('POST', '/v1/verify', { sha256: sha256Hex(new Uint8Array(readFileSync(b.file))) });
    expect(o).toMatchObject({ status: 200, body: { publication: { id: b.publicationId } } });
  });

  it('the hub refuses a statement that is not the canonical one signed, and one about a record it does not hold', async () => {
    const p = desk.store.get<{ statement: string; signature: string; public_key: string; item_id: string }>(sql`SELECT statement, signature, public_key, item_id FROM publications ORDER BY published_at LIMIT 1`)!;
    const client = desk.hub.client();
    const pretty = await client.request('POST', '/v1/publications', { statement: JSON.stringify(JSON.parse(p.statement), null, 1), signature: p.signature, publicKey: p.public_key });
    expect(pretty).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/canonical JSON/) } });
    const other = await client.request('POST', '/v1/publications', { statement: p.statement, signature: p.signature, publicKey: 'ab'.repeat(32) });
    expect(other).toMatchObject({ status: 403, body: { code: 'NOT_PERMITTED' } });
  });
});
