// A root anchored in a log is final (docs/anchoring.md "The contract"): registering it again reverts with
// RootAlreadyRegistered, whether the log's anchoring key sends it or the owner after rotating the log's key to an
// account of its own, at a larger tree size or at the same one, and the genuine proof of the original checkpoint
// still verifies on chain. The anchoring worker, which can send a second transaction for a batch whose first one it
// lost track of, ends with the batch confirmed under the transaction that registered it. Against `hardhat node` on
// 127.0.0.1 (verifyAnchor reads the chain over JSON-RPC), one node for the file.
import { randomBytes } from 'node:crypto';
import { hexlify, Transaction, type Contract, type Signer } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { isCustodyError } from '../core/errors.ts';
import { logIdOf, readBatch, REGISTRY_INTERFACE, registryAt } from '../core/ledger/registry.ts';
import { verifyAnchor } from '../core/ledger/verify-anchor.ts';
import type { Checkpoint } from '../core/tlog/checkpoint.ts';
import type { ChainRef } from '../core/tlog/proof-file.ts';
import { AnchorKeys } from '../server/anchor/keys.ts';
import { AnchorWorker } from '../server/anchor/worker.ts';
import { openHubDatabase } from '../server/db/connect.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { deployRegistry, fund, logCheckpoint, nextBatch, registerLog, sharedMiningNode, UniformHistory, until } from './helpers/chain.ts';
import { tempDir } from './helpers/cli.ts';

const node = sharedMiningNode();
const HUB_KEY = randomBytes(32);

/** The revert's custom error and its arguments, as ethers decodes them from the registry's ABI. */
async function revertOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    // ethers puts the revert data on the error, under info, or (when it cannot tell what the node meant) under error
    const x = e as { data?: string; info?: { error?: { data?: string } }; error?: { data?: string } };
    const data = x.data ?? x.info?.error?.data ?? x.error?.data;
    const parsed = data ? REGISTRY_INTERFACE.parseError(data) : null;
    return parsed ? `${parsed.name}(${parsed.args.map(String).join(', ')})` : `unparsed: ${(e as Error).message.slice(0, 200)}`;
  }
  return 'succeeded';
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isCustodyError(e) ? e.code : `not coded: ${(e as Error).message}`));

describe('a root already anchored in a log', () => {
  const origin = 'hub.test/custody/org_a';
  const logId = logIdOf(origin);
  let registry: Contract;
  let key: Signer;
  let history: UniformHistory;

  const register = async (s: Signer, root: string, size: number, at = 1_800_000_000, proof: string[] = []) =>
    (await registryAt(registry.target as string, s).getFunction('registerBatch')(root, size, hexlify(HUB_KEY), at, proof)).wait();

  /** Anchors the log's root at `size` with `s` and answers how to check the genuine proof of that checkpoint on chain. */
  async function anchored(s: Signer, size: number) {
    const { root, proof } = await nextBatch(registry, logId, history, size);
    const r = (await register(s, root, size, 1_800_000_000, proof)) as { hash: string; blockNumber: number };
    const checkpoint: Checkpoint = { origin, size, root: Buffer.from(root.slice(2), 'hex'), extensions: [] };
    const ref: ChainRef = { chainId: 31337, contract: registry.target as string, tx: r.hash, block: r.blockNumber, timestamp: null };
    const check = () => codeOf(verifyAnchor({ checkpoint, chain: ref }, { rpc: node.chain.url, hubPublicKey: HUB_KEY, contract: registry.target as string }));
    expect(await check()).toBe('ok');
    return { root, check, batch: await readBatch(registry, logId, root) };
  }

  it('cannot be registered again by the log’s anchoring key, at a larger size or the same one', async () => {
    registry = await deployRegistry(node.owner);
    history = new UniformHistory();
    key = await node.chain.provider.getSigner(5);
    await registerLog(registry, origin, await key.getAddress());
    const a = await anchored(key, 8);

    expect(await revertOf(register(key, a.root, 9, 1_800_000_001))).toBe(`RootAlreadyRegistered(${logId}, ${a.root}, 8)`);
    // the identical batch again is refused too, not a silent success a worker could take for its own registration
    expect(await revertOf(register(key, a.root, 8))).toBe(`RootAlreadyRegistered(${logId}, ${a.root}, 8)`);
    expect(await readBatch(registry, logId, a.root)).toEqual(a.batch);
    expect(Number(await registry.getFunction('latestTreeSize')(logId))).toBe(8);
    expect(await a.check()).toBe('ok');
    // the log goes on: its root at a larger size is taken
    const next = await nextBatch(registry, logId, history, 9);
    expect(await revertOf(register(key, next.root, 9, 1_800_000_000, next.proof))).toBe('succeeded');
  });

  it('cannot be registered again by the owner through a key it rotated the log to', async () => {
    registry = await deployRegistry(node.owner);
    history = new UniformHistory();
    key = await node.chain.provider.getSigner(6);
    await registerLog(registry, origin, await key.getAddress());
    const a = await anchored(key, 10);
    await registerLog(registry, origin, await node.owner.getAddress());

    expect(await revertOf(register(node.owner, a.root, 11, 1_800_000_003))).toBe(`RootAlreadyRegistered(${logId}, ${a.root}, 10)`);
    expect(await readBatch(registry, logId, a.root)).toEqual(a.batch);
    expect(await a.check()).toBe('ok');
  });
});

describe('the anchoring worker sending a batch the chain already took', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  const origin = (t: string) => `custody-hub/${t}`;

  async function setup() {
    const hub = await openHubDatabase({ dataDir: tempDir('custody-anchor-again-') });
    const tenant = await createTenant(hub.db, `Org ${hexlify(randomBytes(4))}`);
    const keys = new AnchorKeys(randomBytes(32));
    const address = keys.address(tenant.id);
    const registry = await deployRegistry(node.owner);
    await registerLog(registry, origin(tenant.id), address);
    await fund(node.chain, [address]);
    const worker = () => new AnchorWorker({ hub, chain: { rpc: node.chain.url, chainId: 31337, contract: registry.target as string, pollMs: 50 }, keys, origin, signerKey: HUB_KEY });
    const checkpoint = (size: number) => logCheckpoint(hub, tenant.id, size);
    const rows = () => hub.db.selectFrom('anchor_batches').selectAll().where('tenant_id', '=', tenant.id).orderBy('size').execute();
    return { hub, tenant, address, registry, worker, checkpoint, rows };
  }

  it('ends confirmed under the transaction that registered it, and its own second one is refused as a re-registration', async () => {
    const { hub, tenant, address, registry, worker, checkpoint, rows } = await setup();
    const root = await checkpoint(6);

    // The first transaction waits in the mempool; the hub's row for it is lost (a database restored from a backup
    // taken before it was signed), so the next round signs the batch again at the next nonce. Both are mined.
    const first = worker();
    const again = worker();
    let firstTx: string, secondTx: string, secondRaw: string;
    await node.chain.provider.send('evm_setAutomine', [false]);
    await node.chain.provider.send('evm_setIntervalMining', [0]);
    try {
      await first.round();
      firstTx = (await rows())[0]!.tx_hash!;
      await first.stop();
      await hub.db.deleteFrom('anchor_batches').execute();
      await hub.db.deleteFrom('anchor_locks').execute();
      await again.round();
      [secondTx, secondRaw] = [(await rows())[0]!.tx_hash!, (await rows())[0]!.raw_tx!];
      expect(secondTx).not.toBe(firstTx);
      await node.chain.provider.send('evm_mine', []);
    } finally {
      await node.chain.provider.send('evm_setAutomine', [true]);
      await node.chain.provider.send('evm_setIntervalMining', [100]);
    }
    cleanups.push(async () => {
      await again.stop();
      await hub.close();
    });

    const firstReceipt = await node.chain.provider.getTransactionReceipt(firstTx);
    const secondReceipt = await node.chain.provider.getTransactionReceipt(secondTx);
    expect([firstReceipt?.status, secondReceipt?.status]).toEqual([1, 0]);
    // why the second reverted: its call replayed on the state of the block that holds both
    const sent = Transaction.from(secondRaw!);
    const why = await revertOf(node.chain.provider.call({ from: address, to: sent.to, data: sent.data, blockTag: secondReceipt!.blockNumber }));
    expect(why).toBe(`RootAlreadyRegistered(${logIdOf(origin(tenant.id))}, ${hexlify(root)}, 6)`);

    again.start();
    const [row] = await until('the batch confirmed', async () => {
      const r = await rows();
      return r[0]?.state === 'confirmed' && r;
    });
    expect(row).toMatchObject({ state: 'confirmed', tx_hash: firstTx, block_number: firstReceipt!.blockNumber });
    const ref = await again.chainRefFor(tenant.id, 6);
    const signed: Checkpoint = { origin: origin(tenant.id), size: 6, root, extensions: [] };
    expect(await codeOf(verifyAnchor({ checkpoint: signed, chain: ref }, { rpc: node.chain.url, hubPublicKey: HUB_KEY, contract: registry.target as string }))).toBe('ok');
  });

  it('fails a batch whose root the log already holds at another size, and sends nothing after it on that foreign history', async () => {
    const { hub, tenant, address, registry, worker, checkpoint, rows } = await setup();
    const root = await checkpoint(6);
    // the owner takes the log, registers the checkpoint's root (public once in a mempool) at a smaller size as the
    // log's first batch, and gives the log back to the hub's key
    await registerLog(registry, origin(tenant.id), await node.owner.getAddress());
    await (await registry.getFunction('registerBatch')(hexlify(root), 3, hexlify(HUB_KEY), 1_800_000_000, [])).wait();
    await registerLog(registry, origin(tenant.id), address);
    await checkpoint(9);
    const w = worker();
    cleanups.push(async () => {
      await w.stop();
      await hub.close();
    });
    w.start();
    const [six, nine] = await until('the batches of 6 and 9 failed', async () => {
      const r = await rows();
      return r.length === 2 && r[0]!.state === 'failed' && r[1]!.state === 'failed' && r;
    });
    expect(six).toMatchObject({ sends: 0, tx_hash: null });
    expect(six!.last_error).toMatch(/holds its root at tree size 3/);
    // the log's latest on chain, (3, the root of 6), is no tree of this hub's: no consistency proof leads from it
    expect(nine).toMatchObject({ sends: 0, tx_hash: null });
    expect(nine!.last_error).toMatch(/latest batch on chain \(tree size 3, root 0x[0-9a-f]{64}\) is not in this hub's history/);
    expect(await node.chain.provider.getTransactionCount(address)).toBe(0);
  });
});
