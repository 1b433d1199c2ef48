// One organisation whose anchoring address cannot pay (never funded, or drained) holds up no other, and its fees do
// not climb while nothing can be mined (found in review): the worker's round ended at its refused transaction, so
// the organisations after it were never anchored, and each replacement raised its fees by a quarter, so that once
// funded it paid hundreds of times the normal fee. On a real mining Hardhat node over JSON-RPC.
import { randomBytes } from 'node:crypto';
import { Transaction, hexlify } from 'ethers';
import { afterAll, expect, it } from 'vitest';
import { openHubDatabase } from '../server/db/connect.ts';
import { AnchorKeys } from '../server/anchor/keys.ts';
import { AnchorWorker } from '../server/anchor/worker.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { tempDir } from './helpers/cli.ts';
import { deployRegistry, fund, logCheckpoint, registerLog, sharedMiningNode } from './helpers/chain.ts';

const node = sharedMiningNode();
const origin = (t: string) => `custody-hub/${t}`;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`expected ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('anchors the other organisations while one cannot pay, and anchors that one at a normal fee once funded', { timeout: 120_000 }, async () => {
  const hub = await openHubDatabase({ dataDir: tempDir('custody-anchor-unfunded-') });
  const keys = new AnchorKeys(randomBytes(32));
  const registry = await deployRegistry(node.owner);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await createTenant(hub.db, `Org ${hexlify(randomBytes(4))}`)).id);
  // the one that cannot pay comes first in the worker's order
  ids.sort();
  const [poor, ...rich] = ids as [string, ...string[]];
  for (const t of ids) await registerLog(registry, origin(t), keys.address(t));
  await fund(node.chain, rich.map((t) => keys.address(t)));
  for (const t of ids) await logCheckpoint(hub, t, 5);
  const logs: string[] = [];
  const w = new AnchorWorker({ hub, chain: { rpc: node.chain.url, chainId: 31337, contract: registry.target as string, pollMs: 50, maxBackoffMs: 200, replaceAfterMs: 300 }, keys, origin, signerKey: randomBytes(32), log: (m) => logs.push(m) });
  cleanups.push(async () => {
    await w.stop();
    await hub.close();
  });
  const rows = () => hub.db.selectFrom('anchor_batches').select(['tenant_id', 'state', 'raw_tx']).execute();
  w.start();
  await until('the two organisations that can pay to be anchored', async () => (await rows()).filter((r) => rich.includes(r.tenant_id) && r.state === 'confirmed').length === 2);
  expect(logs).toContain('anchor: a tenant\'s batch failed, the others go on');
  // a few seconds more of refusals: the unfunded one's fees stay where they started
  await new Promise((r) => setTimeout(r, 3_000));
  const tipOf = (raw: string | null) => (raw ? Transaction.from(raw).maxPriorityFeePerGas! : 0n);
  const richTip = tipOf((await rows()).find((r) => r.tenant_id === rich[0])!.raw_tx);
  const poorRow = (await rows()).find((r) => r.tenant_id === poor)!;
  expect(poorRow.state).not.toBe('confirmed');
  expect(tipOf(poorRow.raw_tx)).toBeLessThanOrEqual(richTip * 2n);
  // funded: anchored, at about the fee the others paid
  await fund(node.chain, [keys.address(poor)], 10n ** 19n);
  await until('the organisation funded late to be anchored', async () => (await rows()).find((r) => r.tenant_id === poor)!.state === 'confirmed');
  expect(tipOf((await rows()).find((r) => r.tenant_id === poor)!.raw_tx)).toBeLessThanOrEqual(richTip * 2n);
});
