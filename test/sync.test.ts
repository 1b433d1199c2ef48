// The desk's outbox and sync worker against a real hub (in this process, SQLite): every change the hub must learn
// about is queued with the change itself; a push delivers each record once (a batch sent again is "replayed", still
// delivered once); a record the hub refuses (forged in the desk's database) is parked with the hub's reason and
// does not hold up the records after it; a revoked desk parks nothing and says why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { outboxOfRecord, outboxStats } from '../core/sync/outbox.ts';
import { HUB_API_KEY_SECRET } from '../core/sync/link.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';
import { call, pngManifestStore } from './helpers/hub-desk.ts';
import { inProcessHub, type TestHub } from './helpers/sync-hub.ts';

// Acts as ada, the admin approveAndPublish adds (the vault-passphrase holder acts only while the desk has no users).
const ADMIN = { name: 'ada', roles: ['admin' as const] };

let hub: TestHub;
let desk: Desk;
let dir: string;

async function smallPng(name: string, i: number): Promise<string> {
  const p = join(dir, `${name}.png`);
  await sharp(photo('astronaut.png')).resize(256 + i * 8).modulate({ brightness: 1 + i * 0.01 }).png().toFile(p);
  return p;
}

const pendingRecords = () => outboxStats(desk.store).byKind.record.pending;

beforeAll(async () => {
  hub = await inProcessHub();
  desk = await tempDesk('Daily Planet');
  dir = tempDir('custody-sync-');
}, 60_000);
afterAll(async () => {
  desk?.close();
  await hub?.close();
});

describe('the outbox', () => {
  it('queues a signed record with the manifest store cut from the signed output, in the same transaction', async () => {
    const r = await desk.sign(await smallPng('first', 0), { actor: ADMIN, outDir: join(dir, 'out') });
    const row = outboxOfRecord(desk.store, r.recordId)!;
    expect(row).toMatchObject({ kind: 'record', state: 'pending' });
    const signed = new Uint8Array(readFileSync(r.output));
    const m = await readManifest(signed, 'image/png');
    expect(row.manifest?.id).toBe(m?.manifestLabel);
    expect(Buffer.from(row.manifest!.data).equals(Buffer.from(pngManifestStore(signed)!))).toBe(true);
  });

  it('queues a publication, and only the newest signed audit head (an older waiting one is replaced)', async () => {
    const r = await desk.sign(await smallPng('published', 1), { actor: ADMIN, outDir: join(dir, 'out') });
    const before = desk.store.all<{ ref: string }>(sql`SELECT ref FROM outbox WHERE kind = 'audit_head'`);
    const p = await approveAndPublish(desk, r.recordId, join(dir, 'pub'));
    expect(desk.store.get(sql`SELECT kind, state FROM outbox WHERE kind = 'publication' AND ref = ${p.receipt.publicationId}`)).toEqual({ kind: 'publication', state: 'pending' });
    const heads = desk.store.all<{ ref: string; head: string }>(sql`SELECT ref, head FROM outbox WHERE kind = 'audit_head' AND state = 'pending'`);
    expect(heads).toHaveLength(1);
    const witness = desk.store.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_witness`)!;
    expect(JSON.parse(heads[0]!.head)).toMatchObject({ seq: witness.seq, hash: witness.hash });
    expect(Number(heads[0]!.ref)).toBeGreaterThan(Number(before.at(-1)?.ref ?? 0));
  });
});

describe('push to the hub', () => {
  it('refuses to push before the desk is connected', () => {
    expect(() => desk.hub.worker()).toThrow(/connected to a hub/);
  });

  it('connects with a one-time token: the API key goes into the vault, the link into the database', async () => {
    // Only an admin links the desk (core/authz/policy.ts): an editor is refused before the token is spent.
    const token = await hub.enrolmentToken('photo desk');
    await expect(desk.hub.connect({ name: 'ed', roles: ['editor'] }, { url: hub.url, token, name: 'photo desk' })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    expect(() => desk.hub.retryParked({ name: 'ed', roles: ['editor'] })).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
    const link = await desk.hub.connect(ADMIN, { url: hub.url, token, name: 'photo desk' });
    expect(link).toMatchObject({ url: hub.url.replace(/\/$/, ''), org: 'Daily Planet', deskName: 'photo desk' });
    const text = readFileSync(join(desk.home, 'desk.db'));
    const key = desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM vault_secrets WHERE name = ${HUB_API_KEY_SECRET}`);
    expect(key?.n).toBe(1);
    // The key is sealed: its prefix never appears in the database file.
    expect(text.includes(Buffer.from('custody_key_'))).toBe(false);
    await expect(desk.hub.connect(ADMIN, { url: hub.url, token: 'x', name: 'again' })).rejects.toMatchObject({ code: 'ALREADY_INITIALIZED' });
  });

  it('pushes every queued record once; pushing again sends nothing', async () => {
    const w = desk.hub.worker({ batchSize: 2 });
    const r = await w.pushOnce();
    expect(r).toMatchObject({ accepted: 2, replayed: 0, parked: 0, remaining: 0, error: null });
    expect(await hub.records()).toHaveLength(2);
    expect(await w.pushOnce()).toMatchObject({ accepted: 0, batches: 0 });
    // The publication went after its record, and the newest signed audit head too: nothing is held back.
    expect(r.heads).toBe(1);
    expect(r.publications).toBe(1);
    expect(desk.store.get(sql`SELECT state, hub_status FROM outbox WHERE kind = 'audit_head' ORDER BY seq DESC LIMIT 1`)).toEqual({ state: 'delivered', hub_status: 'accepted' });
    expect(desk.hub.status().held).toEqual([]);
  });

  it('a batch whose answer was lost is sent again and counted delivered as "replayed", stored once on the hub', async () => {
    const r = await desk.sign(await smallPng('lost-answer', 2), { actor: ADMIN, outDir: join(dir, 'out') });
    // The hub gets the batch and commits it; the connection drops before the desk reads the answer.
    const losing = (async (url: string, init: RequestInit) => {
      await fetch(url, init);
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    }) as typeof fetch;
    expect(await desk.hub.worker({ fetch: losing }).pushOnce()).toMatchObject({ accepted: 0, error: expect.stringContaining('ECONNRESET') });
    expect(pendingRecords()).toBe(1);
    expect((await hub.records()).map((x) => x.id)).toContain(r.recordId);
    expect(outboxOfRecord(desk.store, r.recordId)).toMatchObject({ state: 'pending', attempts: 1 });
    const again = await desk.hub.worker().pushOnce();
    expect(again).toMatchObject({ accepted: 0, replayed: 1, remaining: 0 });
    expect(outboxOfRecord(desk.store, r.recordId)).toMatchObject({ state: 'delivered' });
    expect((await hub.records()).filter((x) => x.id === r.recordId)).toHaveLength(1);
  });

  it('parks a record the hub refuses (forged in the database) with its reason; the records after it go on', async () => {
    const forged = await desk.sign(await smallPng('forged', 3), { actor: ADMIN, outDir: join(dir, 'out') });
    const after = await desk.sign(await smallPng('after', 4), { actor: ADMIN, outDir: join(dir, 'out') });
    // Someone with the database file changes what the record says it signed.
    desk.store.raw.prepare('UPDATE records SET sha256 = ? WHERE id = ?').run('ab'.repeat(32), forged.recordId);
    // As a row queued before the desk kept its whole-record signature, so that it reaches the hub: with the signature
    // kept, the desk itself parks it before sending (INTEGRITY_FAILED, test/sync-record-signature.test.ts).
    desk.store.raw.prepare('UPDATE outbox SET record_signature = NULL WHERE ref = ?').run(forged.recordId);
    const r = await desk.hub.worker().pushOnce();
    expect(r).toMatchObject({ accepted: 1, parked: 1, remaining: 0, error: null });
    expect(outboxOfRecord(desk.store, forged.recordId)).toMatchObject({ state: 'parked', parked: { code: 'SIGNATURE_INVALID' } });
    expect(outboxOfRecord(desk.store, after.recordId)).toMatchObject({ state: 'delivered' });
    const status = desk.hub.status();
    expect(status.parked).toEqual([expect.objectContaining({ ref: forged.recordId, code: 'SIGNATURE_INVALID', reason: expect.stringContaining('signature') })]);
    expect(status.outbox).toMatchObject({ parked: 1 });
    expect((await hub.records()).map((x) => x.id)).not.toContain(forged.recordId);
  });

  it('an unreachable hub leaves every row pending, counts the attempt and reports why', async () => {
    const r = await desk.sign(await smallPng('offline', 5), { actor: ADMIN, outDir: join(dir, 'out') });
    const w = desk.hub.worker({ fetch: (() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))) as typeof fetch });
    const rep = await w.pushOnce();
    expect(rep).toMatchObject({ accepted: 0, error: expect.stringContaining('ECONNREFUSED') });
    expect(pendingRecords()).toBe(1);
    expect(outboxOfRecord(desk.store, r.recordId)).toMatchObject({ state: 'pending', attempts: 1 });
    expect(desk.hub.status().link?.lastError).toContain('ECONNREFUSED');
    expect(outboxStats(desk.store).oldestPending).toMatchObject({ kind: 'record', ref: r.recordId });
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ accepted: 1, remaining: 0 });
    expect(desk.hub.status().link?.lastError).toBeNull();
  });

  it('backs off exponentially with full jitter, capped, and honours Retry-After', () => {
    const w = desk.hub.worker({ backoffBaseMs: 100, backoffMaxMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5, 9].map((n) => w.delayMs(n))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(desk.hub.worker({ random: () => 0 }).delayMs(3, 7)).toBe(7000);
  });

  it('a revoked desk parks nothing: its rows wait and the link says why', async () => {
    const r = await desk.sign(await smallPng('revoked', 6), { actor: ADMIN, outDir: join(dir, 'out') });
    const revoked = await call(hub.url, 'POST', `/v1/desks/${desk.hub.link!.deskId}/revoke`, { token: hub.init.adminKey });
    expect(revoked.status).toBe(200);
    const rep = await desk.hub.worker().pushOnce();
    expect(rep).toMatchObject({ refused: true, parked: 0 });
    expect(pendingRecords()).toBe(1);
    expect(outboxOfRecord(desk.store, r.recordId)).toMatchObject({ state: 'pending' });
    expect(desk.hub.status().link?.lastError).toMatch(/REVOKED|NOT_AUTHENTICATED/);
  });
});
