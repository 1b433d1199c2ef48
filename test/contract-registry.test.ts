// ProvenanceRegistry on real EVM chains (Hardhat 3's EDR): in this process, and as `hardhat node` over JSON-RPC on
// 127.0.0.1. Access control, tree sizes only growing, every batch consistent with the log's latest (no split view),
// the event a verifier scans for, the view by root, gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hexlify, type Contract, type Signer } from 'ethers';
import { logIdOf, readBatch, readLatest, REGISTRY_INTERFACE, REGISTRY_VERSION, registryAt } from '../core/ledger/registry.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { consistencyProof, rootAt, verifyConsistency } from '../core/tlog/merkle.ts';
import { deployRegistry, hardhatNode, inProcessChain, nextBatch, registerLog, UniformHistory, type TestChain } from './helpers/chain.ts';

const ORIGIN_A = 'hub.example/custody/tenant-a';
const ORIGIN_B = 'hub.example/custody/tenant-b';
const root = () => hexlify(randomBytes(32));
const SIGNER = hexlify(randomBytes(32));

/** The revert's custom error name, as ethers decodes it from the registry's ABI. */
async function revertOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const data = (e as { data?: string; info?: { error?: { data?: string } } }).data ?? (e as { info?: { error?: { data?: string } } }).info?.error?.data;
    const parsed = data ? REGISTRY_INTERFACE.parseError(data) : null;
    return parsed?.name ?? `unparsed: ${(e as Error).message.slice(0, 200)}`;
  }
  throw new Error('expected the call to revert, it succeeded');
}

describe.each([
  ['edr in process', inProcessChain],
  ['hardhat node over JSON-RPC', hardhatNode],
])('ProvenanceRegistry (%s)', (_name, start) => {
  let chain: TestChain;
  let owner: Signer, keyA: Signer, keyB: Signer, stranger: Signer;
  let registry: Contract;
  let logA: string, logB: string;
  const histories = new Map<string, UniformHistory>();

  beforeAll(async () => {
    chain = await start();
    [owner, keyA, keyB, stranger] = (await Promise.all([0, 1, 2, 3].map((i) => chain.provider.getSigner(i)))) as [Signer, Signer, Signer, Signer];
    registry = await deployRegistry(owner);
    logA = await registerLog(registry, ORIGIN_A, await keyA.getAddress());
    logB = await registerLog(registry, ORIGIN_B, await keyB.getAddress());
  });
  afterAll(async () => chain?.close());

  const as = (s: Signer) => registryAt(registry.target as string, s);
  /** A batch of the sender's log's own history at `size`, with the proof from the log's latest (or `o`'s root, proof). */
  const register = async (s: Signer, size: number, o: { root?: string; proof?: string[]; at?: number } = {}) => {
    const logId = (await registry.getFunction('logOfKey')(await s.getAddress())) as string;
    if (!histories.has(logId)) histories.set(logId, new UniformHistory());
    const next = await nextBatch(registry, logId, histories.get(logId)!, size);
    return (await as(s).getFunction('registerBatch')(o.root ?? next.root, size, SIGNER, o.at ?? 1_800_000_000, o.proof ?? next.proof)).wait();
  };

  it('lets only the owner register anchoring keys, and a key serves one log', async () => {
    expect(await revertOf(as(stranger).getFunction('setAnchoringKey')(logIdOf('x'), await stranger.getAddress()))).toBe('OwnableUnauthorizedAccount');
    expect(await revertOf(as(keyA).getFunction('setAnchoringKey')(logA, await stranger.getAddress()))).toBe('OwnableUnauthorizedAccount');
    expect(await revertOf(registry.getFunction('setAnchoringKey')(logIdOf('other'), await keyA.getAddress()))).toBe('KeyInUse');
    expect(await registry.getFunction('anchoringKeyOf')(logA)).toBe(await keyA.getAddress());
    expect(await registry.getFunction('logOfKey')(await keyB.getAddress())).toBe(logB);
  });

  it('refuses batches from any key but the log’s own, and never writes to another log', async () => {
    expect(await revertOf(register(stranger, 1))).toBe('NotAnchoringKey');
    expect(await revertOf(register(owner, 1))).toBe('NotAnchoringKey');
    const r = (await register(keyB, 5)).logs[0].topics[2] as string;
    expect(await readBatch(registry, logA, r)).toBeNull();
    expect((await readBatch(registry, logB, r))?.submitter).toBe(await keyB.getAddress());
  });

  it('takes a log’s tree sizes only strictly increasing, each log on its own', async () => {
    await register(keyA, 10);
    expect(await revertOf(register(keyA, 10, { root: root() }))).toBe('TreeSizeNotIncreasing');
    expect(await revertOf(register(keyA, 9, { root: root() }))).toBe('TreeSizeNotIncreasing');
    await register(keyA, 11);
    expect(await registry.getFunction('latestTreeSize')(logA)).toBe(11n);
    // log B is at 5 from the test above: its own sequence, untouched by A's
    await register(keyB, 6);
    expect(await registry.getFunction('latestTreeSize')(logB)).toBe(6n);
    expect(await revertOf(as(keyA).getFunction('registerBatch')(`0x${'00'.repeat(32)}`, 12, SIGNER, 1, []))).toBe('InvalidBatch');
  });

  it('returns a batch by root, and nothing for a root it never saw', async () => {
    const receipt = await register(keyA, 20, { at: 1_800_000_123 });
    const r = await histories.get(logA)!.root(20);
    const b = await readBatch(registry, logA, r);
    expect(b).toEqual({ submitter: await keyA.getAddress(), treeSize: 20, signerKey: SIGNER, timestamp: 1_800_000_123, blockNumber: receipt.blockNumber });
    expect(await readBatch(registry, logA, root())).toBeNull();
  });

  it('emits one BatchRegistered per batch that a verifier finds by log and root', async () => {
    const receipt = await register(keyA, 30, { at: 1_800_000_456 });
    const r = await histories.get(logA)!.root(30);
    const events = receipt.logs.map((l: { topics: string[]; data: string }) => REGISTRY_INTERFACE.parseLog(l)).filter((e: unknown) => e !== null);
    expect(events.map((e: { name: string }) => e.name)).toEqual(['BatchRegistered']);
    const found = await registry.queryFilter(registry.filters.BatchRegistered!(logA, r), 0, 'latest');
    expect(found).toHaveLength(1);
    const args = (found[0] as unknown as { args: unknown[] }).args;
    expect(args.map(String)).toEqual([logA, r, '30', SIGNER, '1800000456', await keyA.getAddress()]);
    expect(found[0]!.transactionHash).toBe(receipt.hash);
    // the same root under the other log's id is not there
    expect(await registry.queryFilter(registry.filters.BatchRegistered!(logB, r), 0, 'latest')).toHaveLength(0);
  });

  it('rotates a log’s key: the old key is refused from then on', async () => {
    await (await registry.getFunction('setAnchoringKey')(logB, await stranger.getAddress())).wait();
    expect(await revertOf(register(keyB, 100))).toBe('NotAnchoringKey');
    await register(stranger, 100);
    await (await registry.getFunction('setAnchoringKey')(logB, await keyB.getAddress())).wait();
    expect(await revertOf(register(stranger, 101))).toBe('NotAnchoringKey');
  });

  it('takes a batch of the log’s own history with the consistency proof from its latest, and remembers its root', async () => {
    const before = await readLatest(registry, logA);
    await register(keyA, 41);
    expect(await readLatest(registry, logA)).toEqual({ size: 41, root: await histories.get(logA)!.root(41) });
    expect(before.size).toBeLessThan(41);
    expect(Number(await registry.getFunction('VERSION')())).toBe(REGISTRY_VERSION);
  });

  it('refuses the root of another history at a larger size (a split view), with or without a proof of its own', async () => {
    const latest = await readLatest(registry, logA);
    const other = new UniformHistory();
    const size = latest.size + 7;
    // the other history's own proof, and the log's own proof with the other root: neither links the two roots
    const own = revertOf(register(keyA, size, { root: await other.root(size), proof: await other.proof(latest.size, size) }));
    expect(await own).toBe('InconsistentBatch');
    expect(await revertOf(register(keyA, size, { root: await other.root(size) }))).toBe('InconsistentBatch');
    expect(await revertOf(register(keyA, size, { root: root(), proof: [] }))).toBe('InconsistentBatch');
    expect(await readLatest(registry, logA)).toEqual(latest);
    // the owner rotating the log to a key of its own gets no further: the log's latest root binds every key
    await (await registry.getFunction('setAnchoringKey')(logA, await stranger.getAddress())).wait();
    expect(await revertOf(as(stranger).getFunction('registerBatch')(await other.root(size), size, SIGNER, 1, await other.proof(latest.size, size)))).toBe('InconsistentBatch');
    await (await registry.getFunction('setAnchoringKey')(logA, await keyA.getAddress())).wait();
  });

  it('refuses a consistency proof with any hash changed, one missing or one too many', async () => {
    const latest = await readLatest(registry, logA);
    const size = latest.size + 13;
    const { proof } = await nextBatch(registry, logA, histories.get(logA)!, size);
    expect(proof.length).toBeGreaterThan(1);
    for (let i = 0; i < proof.length; i++) {
      const bad = proof.map((h, j) => (j === i ? `${h.slice(0, -2)}${h.endsWith('00') ? '01' : '00'}` : h));
      expect(await revertOf(register(keyA, size, { proof: bad }))).toBe('InconsistentBatch');
    }
    expect(await revertOf(register(keyA, size, { proof: proof.slice(1) }))).toBe('InconsistentBatch');
    expect(await revertOf(register(keyA, size, { proof: [...proof, root()] }))).toBe('InconsistentBatch');
    await register(keyA, size, { proof });
  });

  it('takes no proof with a log’s first batch', async () => {
    const key = await chain.provider.getSigner(4);
    const log = await registerLog(registry, 'hub.example/custody/tenant-c', await key.getAddress());
    histories.set(log, new UniformHistory());
    expect(await revertOf(register(key, 3, { proof: [root()] }))).toBe('InconsistentBatch');
    await register(key, 3);
    expect((await readLatest(registry, log)).size).toBe(3);
  });

  it('checks consistency as core/tlog/merkle.ts does, for every pair of sizes of a tree of distinct leaves', async () => {
    const tree = MemoryTree.of(Array.from({ length: 19 }, () => randomBytes(8)));
    const view = registry.getFunction('isConsistent');
    for (let m = 1; m < 19; m++) {
      for (let n = m + 1; n <= 19; n++) {
        const [r1, r2, proof] = [await rootAt(tree, m), await rootAt(tree, n), await consistencyProof(tree, m, n)];
        expect(verifyConsistency(m, n, proof, r1, r2)).toBe(true);
        expect(await view(m, n, r1, r2, proof), `${m} → ${n}`).toBe(true);
        // the same proof between the wrong sizes, or to a root one size off, does not verify on either side
        const r3 = await rootAt(tree, n - 1);
        expect([await view(m, n, r1, r3, proof), verifyConsistency(m, n, proof, r1, r3)], `${m} → ${n} (wrong second root)`).toEqual([false, false]);
        if (n < 19) expect(await view(m, n + 1, r1, r2, proof), `${m} → ${n + 1} (wrong size)`).toBe(verifyConsistency(m, n + 1, proof, r1, r2));
      }
    }
  }, 120_000);

  it('costs a bounded amount of gas per batch', async () => {
    const receipt = await register(keyA, 1_000_000);
    await register(keyA, 1_001_000);
    const near10M = await register(keyA, 10_001_000);
    const at10M = await register(keyA, 10_002_000);
    const gas = [receipt, near10M, at10M].map((r) => Number(r.gasUsed));
    console.log(`ProvenanceRegistry.registerBatch on ${chain.kind}: ${gas.join(', ')} gas per batch (to 1,000,000; to 10,001,000; 10,001,000 → 10,002,000)`);
    // three fresh storage slots (66,300), the latest size and root (5,800), the event, the call, the proof's calldata
    // (about 600 gas a hash) and its hashing (about 350 a node)
    for (const g of gas) {
      expect(g).toBeGreaterThan(70_000);
      expect(g).toBeLessThan(160_000);
    }
  });
});
