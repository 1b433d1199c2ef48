// Migration 0003 (anchor_batches, anchor_locks) and the anchoring lease, on SQLite and on PostgreSQL: two hub
// processes never hold a live lease at once, a dead holder's lease is taken once it runs out, and the batch table
// refuses a state outside its machine; the re-check after a reorganisation finds each tenant's newest confirmed batch
// and puts batches back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubDatabase } from '../server/db/connect.ts';
import { BatchStore } from '../server/anchor/batches.ts';
import { Lease } from '../server/anchor/lease.ts';
import { postgresUnavailable, tempHubDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`anchor lease tests: skipping the PostgreSQL half: ${pgWhy}`);

describe.each([['sqlite'], ['postgres']] as const)('anchoring lease and migration 0003 on %s', (backend) => {
  let hub: HubDatabase;
  let temp: Awaited<ReturnType<typeof tempHubDatabase>> | undefined;

  beforeAll(async () => {
    if (backend === 'postgres' && pgWhy) return;
    temp = await tempHubDatabase(backend, 'custody-lease-');
    hub = temp.hub;
  });
  afterAll(() => temp?.close());

  it('gives the lease to one holder at a time, and to another once it ran out or was released', async (ctx) => {
    if (!hub) return ctx.skip();
    const t0 = new Date('2026-12-04T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const a = new Lease(hub.db, 'anchor', 1000);
    const b = new Lease(hub.db, 'anchor', 1000);
    const [ra, rb] = await Promise.all([a.acquire(t0), b.acquire(t0)]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
    const [first, second] = ra ? [a, b] : [b, a];
    expect(await first.acquire(at(500))).toBe(true); // renewed until 1500
    expect(await second.acquire(at(1200))).toBe(false);
    expect(await second.acquire(at(1600))).toBe(true); // the first stopped renewing (kill -9)
    expect(await first.acquire(at(1700))).toBe(false);
    await second.release();
    expect(await first.acquire(at(1800))).toBe(true);
    await first.release();
  });

  it('refuses a batch state outside open, submitted, confirmed, failed', async (ctx) => {
    if (!hub) return ctx.skip();
    const row = { chain_id: 1, contract: '0x0', tenant_id: 't', size: 1, root: '0x', sender: '0x', sends: 0, created_at: 'now', updated_at: 'now' };
    await hub.db.insertInto('anchor_batches').values({ ...row, state: 'open' }).execute();
    await expect(hub.db.insertInto('anchor_batches').values({ ...row, size: 2, state: 'anchored' as 'open' }).execute()).rejects.toThrow(/check/i);
    await expect(hub.db.insertInto('anchor_batches').values({ ...row, state: 'open' }).execute()).rejects.toThrow(/unique|primary|duplicate/i);
  });

  it('finds each tenant’s newest confirmed batch above a block, and puts confirmed batches back (the reorganisation re-check)', async (ctx) => {
    if (!hub) return ctx.skip();
    const target = { chainId: 7, contract: '0xC' };
    const row = (tenant_id: string, size: number, state: 'open' | 'confirmed', block: number | null, contract = target.contract) => ({
      chain_id: 7, contract, tenant_id, size, root: `0x${size}`, state, sender: '0xS', sends: 1, nonce: size, tx_hash: `0xt${size}`, raw_tx: '0xraw',
      block_number: block, block_hash: block === null ? null : `0xb${block}`, block_timestamp: block === null ? null : 'then', created_at: 'now', updated_at: 'now',
    });
    await hub.db.insertInto('anchor_batches').values([
      row('a', 1, 'confirmed', 10), row('a', 2, 'confirmed', 20), row('a', 3, 'open', null), row('b', 5, 'confirmed', 5), row('a', 9, 'confirmed', 100, '0xOther'),
    ]).execute();
    const store = new BatchStore(hub.db, target);
    expect((await store.newestConfirmedAbove(8)).map((b) => [b.tenant_id, b.size])).toEqual([['a', 2]]);
    expect((await store.newestConfirmedAbove(0)).map((b) => [b.tenant_id, b.size]).sort()).toEqual([['a', 2], ['b', 5]]);
    const [two, one] = await store.confirmedAbove('a', 8);
    expect([two!.size, one!.size]).toEqual([2, 1]);
    const now = new Date('2026-12-04T00:00:00.000Z');
    await store.unconfirm(two!, 'open', 'gone', now);
    await store.unconfirm(one!, 'submitted', 'moved', now);
    expect(await store.get('a', 2)).toMatchObject({ state: 'open', nonce: null, raw_tx: null, tx_hash: '0xt2', block_number: null, block_timestamp: null, last_error: 'gone' });
    expect(await store.get('a', 1)).toMatchObject({ state: 'submitted', nonce: 1, raw_tx: '0xraw', tx_hash: '0xt1', block_number: null, last_error: 'moved' });
    expect(await store.newestConfirmedAbove(0)).toHaveLength(1);
  });
});
