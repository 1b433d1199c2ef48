// The `anchor` check of `custody verify` (issue 16): a desk that is not connected says so; a connected desk reports
// pending, then "in the organisation's log" once it holds a proof, and "anchored on chain" once the proof carries
// its chain reference; a proof edited in desk.db is not believed. The check re-verifies the held proof with the
// pinned hub key against the desk's own record every time.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { proofOf } from '../core/sync/proofs.ts';
import { photo } from './fixtures/photos.ts';
import { closeBoth, deskWithHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

async function signOne(i: number): Promise<{ recordId: string; output: string }> {
  const p = join(dir, `a${i}.png`);
  await sharp(photo('coffee.png')).resize(256 + i * 16).png().toFile(p);
  const r = await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
  return { recordId: r.recordId, output: r.output };
}

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-anchor-check-', false));
}, 60_000);
afterAll(() => closeBoth(desk, hub));

describe('the anchor check of a verification', { timeout: 60_000 }, () => {
  let signed: { recordId: string; output: string };

  it('is skipped on a desk that is not connected to a hub, and for a file no record matches', async () => {
    signed = await signOne(1);
    expect((await desk.verify(signed.output)).checks.anchor).toMatchObject({ status: 'skipped', reason: 'NO_HUB' });
    const stranger = join(dir, 'stranger.png');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toFile(stranger);
    expect((await desk.verify(stranger)).checks.anchor).toMatchObject({ status: 'skipped', reason: 'NO_RECORD' });
  });

  it('says pending until the desk holds a proof, then names the leaf in the organisation\'s log', async () => {
    await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(), name: 'photo desk' });
    expect((await desk.verify(signed.output)).checks.anchor).toMatchObject({ status: 'absent', state: 'pending' });
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    for (let i = 0; i < 50 && !proofOf(desk.store, signed.recordId); i++) {
      await desk.hub.puller().pull();
      await new Promise((d) => setTimeout(d, 200));
    }
    const held = proofOf(desk.store, signed.recordId)!;
    const anchor = (await desk.verify(signed.output)).checks.anchor;
    expect(anchor).toMatchObject({ status: 'absent', state: 'logged', leafIndex: held.leafIndex, detail: expect.stringMatching(/not yet anchored/) });
  });

  it('reports the chain reference a proof carries', async () => {
    const held = proofOf(desk.store, signed.recordId)!;
    const chain = { chainId: 31337, contract: `0x${'ab'.repeat(20)}`, tx: `0x${'cd'.repeat(32)}`, block: 12, timestamp: '2026-12-04T00:00:00.000Z' };
    const file = { ...JSON.parse(held.file), chain };
    desk.store.run(sql`UPDATE hub_proofs SET proof = ${JSON.stringify(file)}, chain = ${JSON.stringify(chain)} WHERE record_id = ${signed.recordId}`);
    const anchor = (await desk.verify(signed.output)).checks.anchor;
    expect(anchor).toMatchObject({ status: 'pass', state: 'anchored', chain, detail: expect.stringMatching(/chain 31337 in block 12/) });
  });

  it('does not believe a held proof that was edited: another inclusion hash, another record', async () => {
    const held = proofOf(desk.store, signed.recordId)!;
    const original = held.file;
    const file = JSON.parse(original) as { leaf: string; leafHash: string };
    // Another record's proof kept under this record's id: the leaf is not the desk's record.
    const other = await signOne(2);
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    for (let i = 0; i < 50 && !proofOf(desk.store, other.recordId); i++) {
      await desk.hub.puller().pull();
      await new Promise((d) => setTimeout(d, 200));
    }
    const swapped = proofOf(desk.store, other.recordId)!.file;
    desk.store.run(sql`UPDATE hub_proofs SET proof = ${swapped} WHERE record_id = ${signed.recordId}`);
    expect((await desk.verify(signed.output)).checks.anchor).toMatchObject({ status: 'fail', state: 'proof_invalid' });
    // The leaf hash changed: PROOF_LEAF_MISMATCH.
    const flipped = { ...file, leafHash: (file.leafHash[0] === '0' ? '1' : '0') + file.leafHash.slice(1) };
    desk.store.run(sql`UPDATE hub_proofs SET proof = ${JSON.stringify(flipped)} WHERE record_id = ${signed.recordId}`);
    expect((await desk.verify(signed.output)).checks.anchor).toMatchObject({ status: 'fail', state: 'proof_invalid', code: 'PROOF_LEAF_MISMATCH' });
    desk.store.run(sql`UPDATE hub_proofs SET proof = ${original} WHERE record_id = ${signed.recordId}`);
    expect((await desk.verify(signed.output)).checks.anchor).toMatchObject({ status: 'pass', state: 'anchored' });
  });
});
