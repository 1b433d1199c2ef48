// ProvenanceRegistry on real EVM chains (Hardhat 3's EDR): in this process, and as `hardhat node` over JSON-RPC on
// 127.0.0.1. Access control, tree sizes only growing, the event a verifier scans for, the view by root, gas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hexlify, type Contract, type Signer } from 'ethers';
import { logIdOf, readBatch, REGISTRY_INTERFACE, registryAt } from '../core/ledger/registry.ts';
import { deployRegistry, hardhatNode, inProcessChain, registerLog, type TestChain } from './helpers/chain.ts';

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

  beforeAll(async () => {
    chain = await start();
    [owner, keyA, keyB, stranger] = (await Promise.all([0, 1, 2, 3].map((i) => chain.provider.getSigner(i)))) as [Signer, Signer, Signer, Signer];
    registry = await deployRegistry(owner);
    logA = await registerLog(registry, ORIGIN_A, await keyA.getAddress());
    logB = await registerLog(registry, ORIGIN_B, await keyB.getAddress());
  });
  afterAll(async () => chain?.close());

  const as = (s: Signer) => registryAt(registry.target as string, s);
  const register = async (s: Signer, r: string, size: number, at = 1_800_000_000) => (await as(s).getFunction('registerBatch')(r, size, SIGNER, at)).wait();

  it('lets only the owner register anchoring keys, and a key serves one log', async () => {
    expect(await revertOf(as(stranger).getFunction('setAnchoringKey')(logIdOf('x'), await stranger.getAddress()))).toBe('OwnableUnauthorizedAccount');
    expect(await revertOf(as(keyA).getFunction('setAnchoringKey')(logA, await stranger.getAddress()))).toBe('OwnableUnauthorizedAccount');
    expect(await revertOf(registry.getFunction('setAnchoringKey')(logIdOf('other'), await keyA.getAddress()))).toBe('KeyInUse');
    expect(await registry.getFunction('anchoringKeyOf')(logA)).toBe(await keyA.getAddress());
    expect(await registry.getFunction('logOfKey')(await keyB.getAddress())).toBe(logB);
  });

  it('refuses batches from any key but the log’s own, and never writes to another log', async () => {
    expect(await revertOf(register(stranger, root(), 1))).toBe('NotAnchoringKey');
    expect(await revertOf(register(owner, root(), 1))).toBe('NotAnchoringKey');
    const r = root();
    await register(keyB, r, 5);
    expect(await readBatch(registry, logA, r)).toBeNull();
    expect((await readBatch(registry, logB, r))?.submitter).toBe(await keyB.getAddress());
  });

  it('takes a log’s tree sizes only strictly increasing, each log on its own', async () => {
    await register(keyA, root(), 10);
    expect(await revertOf(register(keyA, root(), 10))).toBe('TreeSizeNotIncreasing');
    expect(await revertOf(register(keyA, root(), 9))).toBe('TreeSizeNotIncreasing');
    await register(keyA, root(), 11);
    expect(await registry.getFunction('latestTreeSize')(logA)).toBe(11n);
    // log B is at 5 from the test above: its own sequence, untouched by A's
    await register(keyB, root(), 6);
    expect(await registry.getFunction('latestTreeSize')(logB)).toBe(6n);
    expect(await revertOf(as(keyA).getFunction('registerBatch')(`0x${'00'.repeat(32)}`, 12, SIGNER, 1))).toBe('InvalidBatch');
  });

  it('returns a batch by root, and nothing for a root it never saw', async () => {
    const r = root();
    const receipt = await register(keyA, r, 20, 1_800_000_123);
    const b = await readBatch(registry, logA, r);
    expect(b).toEqual({ submitter: await keyA.getAddress(), treeSize: 20, signerKey: SIGNER, timestamp: 1_800_000_123, blockNumber: receipt.blockNumber });
    expect(await readBatch(registry, logA, root())).toBeNull();
  });

  it('emits one BatchRegistered per batch that a verifier finds by log and root', async () => {
    const r = root();
    const receipt = await register(keyA, r, 30, 1_800_000_456);
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
    expect(await revertOf(register(keyB, root(), 100))).toBe('NotAnchoringKey');
    await register(stranger, root(), 100);
    await (await registry.getFunction('setAnchoringKey')(logB, await keyB.getAddress())).wait();
    expect(await revertOf(register(stranger, root(), 101))).toBe('NotAnchoringKey');
  });

  it('costs a bounded amount of gas per batch', async () => {
    const receipt = await register(keyA, root(), 1_000_000);
    const gas = Number(receipt.gasUsed);
    console.log(`ProvenanceRegistry.registerBatch on ${chain.kind}: ${gas} gas per batch`);
    // three fresh storage slots (66,300), the latest size (2,900), the event and the call: about 100k
    expect(gas).toBeGreaterThan(70_000);
    expect(gas).toBeLessThan(120_000);
  });
});
