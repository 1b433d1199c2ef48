// Nothing lost, nothing sent twice (issue 17), with real processes and a real hub on 127.0.0.1:
// - `custody sync --once` killed with SIGKILL just before it sends a batch, and just after the hub answered it (the
//   hub committed, the desk never marked it): the next run delivers everything, each record stored once;
// - a fault proxy in front of the hub (500s, answers cut off after the hub committed, requests held past the desk's
//   timeout, reset connections): pushing and pulling proofs until done leaves every record on the hub exactly once,
//   every outbox row delivered and every proof held.
// The hub killed mid-ingest and a watched-folder run with the hub stopped are in sync-faults.slow.test.ts.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { outboxStats } from '../core/sync/outbox.ts';
import { SYNC_CRASH_POINTS } from '../core/sync/worker.ts';
import { photo } from './fixtures/photos.ts';
import { CHEAP_SCRYPT, freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { faultProxy, type FaultProxy } from './helpers/fault-proxy.ts';
import { inProcessHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let dir: string;

beforeAll(async () => {
  hub = await inProcessHub('Daily Planet', { checkpointMs: 200 });
  dir = tempDir('custody-sync-faults-');
}, 60_000);
afterAll(async () => {
  await hub?.close();
});

/** Signs `n` small distinct photos on the desk (fast: tiny pictures, the desk in this process). */
async function signMany(desk: Desk, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = join(dir, `${tag}-${i}.png`);
    await sharp(photo('coffee.png')).resize(96 + (i % 40)).modulate({ hue: (i * 37) % 360 }).png().toFile(p);
    ids.push((await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, `${tag}-out`) })).recordId);
  }
  return ids;
}

async function expectEachOnce(ids: string[]): Promise<void> {
  const held = (await hub.records()).map((r) => r.id);
  for (const id of ids) expect(held.filter((h) => h === id), id).toHaveLength(1);
}

describe('kill -9 of `custody sync --once`', { timeout: 120_000 }, () => {
  it.each(SYNC_CRASH_POINTS)('at %s: the next run delivers every record, each stored once', async (point) => {
    const env = await freshDesk('Daily Planet');
    const desk = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
    await desk.unlock(new PassphraseProtector(env.CUSTODY_PASSPHRASE!, CHEAP_SCRYPT));
    await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(point), name: point });
    const ids = await signMany(desk, 3, point.replace(':', '-'));
    desk.close();

    const killed = await runCli(['sync', '--once'], { ...env, CUSTODY_CRASH_POINT: point });
    expect(killed.code, killed.stderr).not.toBe(0);
    const afterKill = (await hub.records()).map((r) => r.id);
    // Before sending nothing reached the hub; after the answer the hub holds the batch the desk never marked.
    expect(ids.filter((id) => afterKill.includes(id))).toHaveLength(point === 'sync:sending' ? 0 : 3);

    const again = await runCli(['sync', '--once'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(point === 'sync:sending' ? /pushed 3 new, 0 already/ : /pushed 0 new, 3 already on the hub/);
    await expectEachOnce(ids);
    const check = Desk.open(env.CUSTODY_HOME!);
    expect(outboxStats(check.store).byKind.record).toMatchObject({ pending: 0, delivered: 3, parked: 0 });
    check.close();
  });
});

describe('a hub behind a proxy that fails at random', { timeout: 180_000 }, () => {
  let proxy: FaultProxy;
  let desk: Desk;

  beforeAll(async () => {
    proxy = await faultProxy(hub.url, { seed: 20261203, failureRate: 0 });
    const env = await freshDesk('Daily Planet');
    desk = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
    await desk.unlock(new PassphraseProtector(env.CUSTODY_PASSPHRASE!, CHEAP_SCRYPT));
    await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: proxy.url, token: await hub.enrolmentToken('behind a proxy'), name: 'behind a proxy' });
  }, 60_000);
  afterAll(async () => {
    desk?.close();
    await proxy?.close();
  });

  it('every record reaches the hub exactly once and every proof comes back', async () => {
    const ids = await signMany(desk, 24, 'proxy');
    proxy.failureRate = 0.6;
    const worker = desk.hub.worker({ batchSize: 3, timeoutMs: 400 });
    let rounds = 0;
    while (outboxStats(desk.store).byKind.record.pending > 0 && rounds++ < 300) await worker.pushOnce();
    expect(outboxStats(desk.store).byKind.record).toMatchObject({ pending: 0, delivered: 24, parked: 0 });
    await expectEachOnce(ids);
    // Some batches were committed on the hub without the desk hearing: they came back as replayed.
    const replayed = desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM outbox WHERE kind = 'record' AND hub_status = 'replayed'`)!.n;
    expect(replayed).toBeGreaterThan(0);
    expect(proxy.counts).toMatchObject({ error500: expect.any(Number), answerLost: expect.any(Number), held: expect.any(Number), reset: expect.any(Number) });
    for (const k of ['error500', 'answerLost', 'held', 'reset', 'passed'] as const) expect(proxy.counts[k], k).toBeGreaterThan(0);

    const puller = desk.hub.puller({ timeoutMs: 400 });
    for (let i = 0; i < 300 && desk.hub.status().proofs.held < 24; i++) {
      const r = await puller.pull();
      expect(r.alarm).toBeNull();
      if (r.notReady) await new Promise((d) => setTimeout(d, 100));
    }
    expect(desk.hub.status().proofs.held).toBe(24);
  });
});
