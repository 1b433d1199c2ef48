// The anchoring worker against a real chain (`hardhat node` on 127.0.0.1, mining every transaction at once and a
// block every 100 ms): every checkpoint is registered exactly once and confirmed after 2 blocks; an unregistered key
// sends nothing; a dropped transaction is sent again, a replaced nonce re-submitted, a transaction stuck in the
// mempool replaced at the same nonce; an RPC outage is waited out; two workers on one database anchor once. Each
// batch carries the consistency proof from the log's latest root on chain; a latest root that is not the hub's
// history stops the worker from sending; an older registry is refused; a batch a reorganisation took off the chain
// after its confirmations is anchored again.
import { randomBytes } from 'node:crypto';
import { ContractFactory, hexlify, type Contract, type InterfaceAbi, type Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { logIdOf, readLatest, registryAt } from '../core/ledger/registry.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { consistencyProof } from '../core/tlog/merkle.ts';
import oldRegistry from './fixtures/provenance-registry-v1.json' with { type: 'json' };
import { openHubDatabase, type HubDatabase } from '../server/db/connect.ts';
import { AnchorKeys } from '../server/anchor/keys.ts';
import { AnchorWorker, type ChainConfig } from '../server/anchor/worker.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { tempDir } from './helpers/cli.ts';
import { cuttableRelay, deployRegistry, fund, logCheckpoint, registerLog, sharedMiningNode, until } from './helpers/chain.ts';

const SIGNER_KEY = randomBytes(32);
const origin = (tenantId: string) => `custody-hub/${tenantId}`;

const node = sharedMiningNode();

interface Setup {
  hub: HubDatabase;
  tenantId: string;
  keys: AnchorKeys;
  registry: Contract;
  wallet: Wallet;
  worker(o?: Partial<ChainConfig>, log?: (msg: string, detail?: Record<string, unknown>, level?: string) => void): AnchorWorker;
  checkpoint(size: number): Promise<string>;
  states(): Promise<{ size: number; state: string; tx_hash: string | null; sends: number; last_error: string | null; block_number: number | null }[]>;
  events(): Promise<{ root: string; size: number; tx: string }[]>;
}

async function setup(o: { register?: boolean; registry?: Contract } = {}): Promise<Setup> {
  const hub = await openHubDatabase({ dataDir: tempDir('custody-anchor-') });
  const tenant = await createTenant(hub.db, `Org ${hexlify(randomBytes(4))}`);
  const keys = new AnchorKeys(randomBytes(32));
  const registry = o.registry ?? await deployRegistry(node.owner);
  const address = keys.address(tenant.id);
  if (o.register !== false) await registerLog(registry, origin(tenant.id), address);
  await fund(node.chain, [address]);
  const workers: AnchorWorker[] = [];
  cleanups.push(async () => {
    for (const w of workers) await w.stop();
    await hub.close();
  });
  return {
    hub,
    tenantId: tenant.id,
    keys,
    registry,
    wallet: keys.wallet(tenant.id, node.chain.provider),
    worker(c = {}, log) {
      const w = new AnchorWorker({ hub, chain: { rpc: node.chain.url, chainId: 31337, contract: registry.target as string, pollMs: 50, ...c }, keys, origin, signerKey: SIGNER_KEY, ...(log ? { log } : {}) });
      workers.push(w);
      return w;
    },
    checkpoint: async (size) => hexlify(await logCheckpoint(hub, tenant.id, size)),
    states: () => hub.db.selectFrom('anchor_batches').select(['size', 'state', 'tx_hash', 'sends', 'last_error', 'block_number']).where('tenant_id', '=', tenant.id).orderBy('size').execute(),
    async events() {
      const evs = await registry.queryFilter(registry.filters.BatchRegistered!(logIdOf(origin(tenant.id))), 0, 'latest');
      return evs.map((e) => {
        const args = (e as unknown as { args: [string, string, bigint] }).args;
        return { root: args[1], size: Number(args[2]), tx: e.transactionHash };
      });
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});


const allConfirmed = (s: Setup, n: number) => until(`${n} confirmed batches`, async () => {
  const rows = await s.states();
  return rows.length === n && rows.every((r) => r.state === 'confirmed') && rows;
});

/** The log's BatchRegistered events once there are `n` (the provider may answer from a block it cached a moment ago). */
const registered = (s: Setup, n: number) => until(`${n} BatchRegistered events`, async () => {
  const e = await s.events();
  return e.length === n && e;
});

/** A setup whose first checkpoint, of `size`, a worker anchored and confirmed before it stopped. */
async function anchoredOnce(size: number): Promise<Setup> {
  const s = await setup();
  await s.checkpoint(size);
  const w = s.worker();
  w.start();
  await allConfirmed(s, 1);
  await w.stop();
  return s;
}

/**
 * 3 anchored, an evm_snapshot of the chain as it was then, and 7 anchored and confirmed on top by a worker since
 * stopped: evm_revert to the snapshot is a reorganisation that takes 7 off the chain after its confirmations.
 */
async function twoPastSnapshot() {
  const s = await anchoredOnce(3);
  const snapshot = await node.chain.provider.send('evm_snapshot', []);
  await s.checkpoint(7);
  const worker = s.worker();
  worker.start();
  const before = await allConfirmed(s, 2);
  await worker.stop();
  return { s, snapshot, before, worker };
}

describe('anchoring worker', () => {
  it('registers every checkpoint once, in order, and names the transaction once 2 blocks deep', async () => {
    const s = await setup();
    const roots = [await s.checkpoint(3), await s.checkpoint(7), await s.checkpoint(12)];
    const w = s.worker();
    w.start();
    const rows = await allConfirmed(s, 3);
    const events = await s.events();
    expect(events.map((e) => [e.root, e.size])).toEqual([[roots[0], 3], [roots[1], 7], [roots[2], 12]]);
    expect(rows.map((r) => r.tx_hash)).toEqual(events.map((e) => e.tx));
    expect(rows.map((r) => r.sends)).toEqual([1, 1, 1]);
    const ref = await w.chainRefFor(s.tenantId, 7);
    const receipt = await node.chain.provider.getTransactionReceipt(events[1]!.tx);
    expect(ref).toEqual({ chainId: 31337, contract: s.registry.target, tx: events[1]!.tx, block: receipt!.blockNumber, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(await node.chain.provider.getBlockNumber()).toBeGreaterThanOrEqual(receipt!.blockNumber + 1);
    expect(await w.chainRefFor(s.tenantId, 4)).toBeNull();

    // a checkpoint signed later is picked up by the running worker
    await s.checkpoint(20);
    await allConfirmed(s, 4);
    // The provider may answer the log query from a block number it cached a moment ago: ask until it has caught up.
    const sizes = await until('the fourth BatchRegistered event', async () => {
      const e = (await s.events()).map((x) => x.size);
      return e.length >= 4 && e;
    });
    expect(sizes).toEqual([3, 7, 12, 20]);
    // each batch after the first came with a consistency proof from the one before, which the contract checked
    expect(await readLatest(s.registry, logIdOf(origin(s.tenantId)))).toEqual({ size: 20, root: (await s.events())[3]!.root });
  });

  it('sends nothing while the tenant’s key is not registered, and says why', async () => {
    const s = await setup({ register: false });
    await s.checkpoint(1);
    const w = s.worker();
    await w.round();
    await w.round();
    const [row] = await s.states();
    expect(row).toMatchObject({ state: 'open', tx_hash: null, sends: 0 });
    expect(row!.last_error).toMatch(/is not registered for log .*setAnchoringKey/);
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(0);
    await registerLog(s.registry, origin(s.tenantId), s.keys.address(s.tenantId));
    w.start();
    await allConfirmed(s, 1);
    expect(await s.events()).toHaveLength(1);
  });

  it('sends the same signed transaction again when the node dropped it', async () => {
    const s = await setup();
    await s.checkpoint(5);
    await node.chain.provider.send('evm_setAutomine', [false]);
    await node.chain.provider.send('evm_setIntervalMining', [0]);
    const w = s.worker();
    try {
      await w.round(); // signs, stores and sends
      const [sent] = await s.states();
      expect(sent!.state).toBe('submitted');
      expect(await node.chain.provider.send('hardhat_dropTransaction', [sent!.tx_hash])).toBe(true);
      await w.round(); // no receipt, nonce unused: the same bytes again
      const pending = (await node.chain.provider.send('eth_getTransactionByHash', [sent!.tx_hash])) as { hash: string } | null;
      expect(pending?.hash).toBe(sent!.tx_hash);
    } finally {
      await node.chain.provider.send('evm_setAutomine', [true]);
      await node.chain.provider.send('evm_setIntervalMining', [100]);
    }
    w.start();
    const rows = await allConfirmed(s, 1);
    expect(rows[0]!.sends).toBe(1);
    expect(await s.events()).toHaveLength(1);
  });

  it('submits again with a new nonce when another transaction took its nonce', async () => {
    const s = await setup();
    await s.checkpoint(5);
    await node.chain.provider.send('evm_setAutomine', [false]);
    await node.chain.provider.send('evm_setIntervalMining', [0]);
    const w = s.worker();
    let first: string | null;
    try {
      await w.round();
      first = (await s.states())[0]!.tx_hash;
      await node.chain.provider.send('hardhat_dropTransaction', [first]);
      // the same account spends that nonce on something else (an operator's manual transfer), and it is mined
      await s.wallet.sendTransaction({ to: await node.owner.getAddress(), value: 1n, nonce: 0 });
      await node.chain.provider.send('evm_mine', []);
    } finally {
      await node.chain.provider.send('evm_setAutomine', [true]);
      await node.chain.provider.send('evm_setIntervalMining', [100]);
    }
    w.start();
    const rows = await allConfirmed(s, 1);
    expect(rows[0]!.tx_hash).not.toBe(first!);
    expect(rows[0]!.sends).toBe(2);
    expect(await s.events()).toHaveLength(1);
  });

  it('replaces a transaction stuck in the mempool at the same nonce with higher fees, and anchors once', async () => {
    const s = await setup();
    await s.checkpoint(9);
    await node.chain.provider.send('evm_setAutomine', [false]);
    await node.chain.provider.send('evm_setIntervalMining', [0]);
    const w = s.worker({ replaceAfterMs: 1 });
    let first: string | null;
    try {
      await w.round();
      first = (await s.states())[0]!.tx_hash;
      await new Promise((r) => setTimeout(r, 10));
      await w.round(); // older than replaceAfterMs: replaced
      const [row] = await s.states();
      expect(row!.sends).toBe(2);
      expect(row!.tx_hash).not.toBe(first);
      const [a, b] = await Promise.all([first, row!.tx_hash].map((h) => node.chain.provider.send('eth_getTransactionByHash', [h]) as Promise<{ nonce: string; maxFeePerGas: string } | null>));
      expect(b!.nonce).toBe('0x0');
      if (a) expect(BigInt(b!.maxFeePerGas)).toBeGreaterThan(BigInt(a.maxFeePerGas));
    } finally {
      await node.chain.provider.send('evm_setAutomine', [true]);
      await node.chain.provider.send('evm_setIntervalMining', [100]);
    }
    await w.stop();
    s.worker({ replaceAfterMs: 60_000 }).start();
    await allConfirmed(s, 1);
    expect(await s.events()).toHaveLength(1);
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(1);
  });

  it('backs off while the RPC is down and resumes when it answers again', async () => {
    const s = await setup();
    const relay = await cuttableRelay(node.chain.url);
    try {
      await s.checkpoint(2);
      await relay.cut();
      const logs: string[] = [];
      const w = new AnchorWorker({ hub: s.hub, chain: { rpc: relay.url, chainId: 31337, contract: s.registry.target as string, pollMs: 50, maxBackoffMs: 400 }, keys: s.keys, origin, signerKey: SIGNER_KEY, log: (m) => logs.push(m) });
      cleanups.push(() => w.stop());
      w.start();
      await until('failed rounds', async () => logs.filter((l) => l.includes('round failed')).length >= 3);
      expect((await s.states()).map((r) => r.state)).toEqual(['open']);
      await relay.restore();
      await allConfirmed(s, 1);
      expect(await s.events()).toHaveLength(1);
    } finally {
      await relay.close();
    }
  });

  it('lets one of two workers on one database anchor, and each batch goes on chain once', async () => {
    const s = await setup();
    for (const size of [1, 2, 3, 4, 5]) await s.checkpoint(size);
    const a = s.worker();
    const b = s.worker();
    a.start();
    b.start();
    const rows = await allConfirmed(s, 5);
    expect(rows.map((r) => r.sends)).toEqual([1, 1, 1, 1, 1]);
    expect((await s.events()).map((e) => e.size)).toEqual([1, 2, 3, 4, 5]);
    const lease = await s.hub.db.selectFrom('anchor_locks').selectAll().execute();
    expect(lease).toHaveLength(1);
  });

  it('adopts a batch the chain already holds instead of sending it again (a database restored from a backup)', async () => {
    const s = await anchoredOnce(4);
    await s.hub.db.deleteFrom('anchor_batches').execute();
    const again = s.worker();
    again.start();
    const rows = await allConfirmed(s, 1);
    expect(rows[0]!.sends).toBe(0);
    expect(await s.events()).toHaveLength(1);
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(1);
  });

  it('sends nothing when the log’s latest root on chain is not in the hub’s history, and says so as an error', async () => {
    const s = await anchoredOnce(3);
    // Someone with the log's key (here the owner, rotating the log to itself) extends the hub's tree of 3 with
    // leaves of its own: a valid consistency proof from the hub's root, so the contract takes it.
    const leaves = await s.hub.db.selectFrom('tlog_leaves').select('leaf_hash').where('tenant_id', '=', s.tenantId).orderBy('idx').execute();
    const forged = new MemoryTree();
    for (const l of leaves) forged.appendHash(new Uint8Array(l.leaf_hash));
    for (let i = 0; i < 3; i++) forged.appendData(randomBytes(16));
    const logId = await registerLog(s.registry, origin(s.tenantId), await node.owner.getAddress());
    const proof = (await consistencyProof(forged, 3, 6)).map((h) => hexlify(h));
    await (await s.registry.getFunction('registerBatch')(hexlify(forged.root()), 6, hexlify(SIGNER_KEY), 1_800_000_000, proof)).wait();
    await registerLog(s.registry, origin(s.tenantId), s.keys.address(s.tenantId));

    await s.checkpoint(8);
    const said: { msg: string; level?: string }[] = [];
    const again = s.worker({}, (msg, _detail, level) => said.push({ msg, ...(level ? { level } : {}) }));
    await again.round();
    await again.round();
    const [, eight] = await s.states();
    expect(eight).toMatchObject({ state: 'failed', tx_hash: null, sends: 0 });
    expect(eight!.last_error).toMatch(/latest batch on chain \(tree size 6, root 0x[0-9a-f]{64}\) is not in this hub's history \(the hub's root at that size is 0x[0-9a-f]{64}\).*nothing sent/);
    expect(said).toContainEqual({ msg: "anchor: the log on chain is not this hub's history, nothing sent", level: 'error' });
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(1);
    expect(await readLatest(s.registry, logId)).toEqual({ size: 6, root: hexlify(forged.root()) });
  });

  it('refuses a registry deployed before consistency checks, and sends nothing to it', async () => {
    const factory = new ContractFactory(oldRegistry.abi as InterfaceAbi, oldRegistry.bytecode, node.owner);
    const old = await factory.deploy(await node.owner.getAddress());
    await old.waitForDeployment();
    const s = await setup({ registry: registryAt(await old.getAddress(), node.owner) });
    await s.checkpoint(2);
    const w = s.worker();
    await expect(w.round()).rejects.toThrow(/expected a ProvenanceRegistry of version 2 .* got an older one without VERSION/);
    const [row] = await s.states();
    expect(row).toMatchObject({ state: 'open', sends: 0, tx_hash: null });
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(0);
  });

  it('anchors again a confirmed batch that a reorganisation took off the chain', async () => {
    // the chain goes back to before 7 (the worker that anchored it is stopped, its word stale)
    const { s, snapshot, before, worker: w2 } = await twoPastSnapshot();
    const dropped = before[1]!.tx_hash!;
    expect(await node.chain.provider.send('evm_revert', [snapshot])).toBe(true);
    expect(await node.chain.provider.getTransactionReceipt(dropped)).toBeNull();
    expect(await w2.chainRefFor(s.tenantId, 7)).not.toBeNull(); // the stopped worker's word, stale now

    const said: { msg: string; detail?: Record<string, unknown>; level?: string }[] = [];
    const w3 = s.worker({}, (msg, detail, level) => said.push({ msg, ...(detail ? { detail } : {}), ...(level ? { level } : {}) }));
    await w3.round();
    expect(said).toContainEqual({ msg: 'anchor: a confirmed batch left the chain', detail: { tenant: s.tenantId, size: 7, tx: dropped, block: before[1]!.block_number, heldInBlock: null }, level: 'error' });
    expect(await w3.chainRefFor(s.tenantId, 7)).toBeNull();
    w3.start();
    const after = await allConfirmed(s, 2);
    expect(after.map((r) => r.sends)).toEqual([1, 2]);
    expect(after[0]!.tx_hash).toBe(before[0]!.tx_hash);
    // signed again at the same nonce with the same proof and fees: possibly the very bytes that were dropped, now mined
    expect((await node.chain.provider.getTransactionReceipt(after[1]!.tx_hash!))?.status).toBe(1);
    const events = await registered(s, 2);
    expect(events.map((e) => [e.size, e.tx])).toEqual([[3, before[0]!.tx_hash], [7, after[1]!.tx_hash]]);
    expect((await w3.chainRefFor(s.tenantId, 7))?.tx).toBe(after[1]!.tx_hash);
  });

  it('after a reorganisation, opens again the later batch in flight too, and anchors both from the first free nonce', async () => {
    const { s, snapshot } = await twoPastSnapshot();
    // 12 is signed on top of 7 (nonce 2) and waits in the mempool when the chain goes back to before 7 (nonce 1)
    await s.checkpoint(12);
    await node.chain.provider.send('evm_setAutomine', [false]);
    await node.chain.provider.send('evm_setIntervalMining', [0]);
    const signer = s.worker();
    try {
      await signer.round();
      await signer.stop(); // and gives up the lease
      expect((await s.states()).map((r) => r.state)).toEqual(['confirmed', 'confirmed', 'submitted']);
      expect(await node.chain.provider.send('evm_revert', [snapshot])).toBe(true);
    } finally {
      await node.chain.provider.send('evm_setAutomine', [true]);
      await node.chain.provider.send('evm_setIntervalMining', [100]);
    }
    const again = s.worker();
    again.start();
    const rows = await allConfirmed(s, 3);
    expect(rows.map((r) => r.size)).toEqual([3, 7, 12]);
    const events = await registered(s, 3);
    expect(events.map((e) => e.size)).toEqual([3, 7, 12]);
    expect(rows.map((r) => r.tx_hash)).toEqual(events.map((e) => e.tx));
    expect(await node.chain.provider.getTransactionCount(s.keys.address(s.tenantId))).toBe(3);
  });
});
