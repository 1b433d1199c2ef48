// Migration 0003 (anchor_batches, anchor_locks) and the anchoring lease, on SQLite and on PostgreSQL: two hub
// processes never hold a live lease at once, a dead holder's lease is taken once it runs out, and the batch table
// refuses a state outside its machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubDatabase } from '../server/db/connect.ts';
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
});
