// `custody proof verify --rpc` against a real local chain (`hardhat node` on 127.0.0.1): a record pushed to a hub that
// anchors on that chain gets a proof whose chain section the command confirms from the contract alone (exit 0); and
// the chain-side check refuses, each with its code, a proof whose chain record is missing, differs (tree size, signer
// key, transaction, block), or sits on another chain or contract, and an RPC that does not answer.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, ContractFactory, hexlify, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCustodyError } from '../core/errors.ts';
import { REGISTRY_INTERFACE, registryAt } from '../core/ledger/registry.ts';
import { verifyAnchor } from '../core/ledger/verify-anchor.ts';
import type { Checkpoint } from '../core/tlog/checkpoint.ts';
import type { ChainRef, ProofFile } from '../core/tlog/proof-file.ts';
import { hubChainKeys, initHub, startHub, type RunningHub } from '../server/serve.ts';
import { deployRegistry, fund, registerLog, sharedMiningNode, UniformHistory, until } from './helpers/chain.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { TEST_SCRYPT } from './helpers/desk.ts';
import { call } from './helpers/hub-desk.ts';
import { deskKey, enrolKey, signedRecord } from './helpers/tlog.ts';
import oldRegistry from './fixtures/provenance-registry-v1.json' with { type: 'json' };

const PASSPHRASE = 'hub vault passphrase for the proof chain test';
const node = sharedMiningNode();

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isCustodyError(e) ? e.code : `not coded: ${(e as Error).message}`));

describe('custody proof verify --rpc, end to end', () => {
  let hub: RunningHub;
  let dir: string;
  let vkey: string;
  let proof: ProofFile;
  const write = (name: string, f: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(f, null, 2));
    return p;
  };

  beforeAll(async () => {
    dir = tempDir('custody-proof-chain-');
    const loc = { database: null, dataDir: dir };
    const init = await initHub(loc, { org: 'Daily Planet' });
    const registry = await deployRegistry(node.owner);
    const [k] = await hubChainKeys(loc, PASSPHRASE, TEST_SCRYPT);
    await registerLog(registry, k!.origin, k!.address);
    await fund(node.chain, [k!.address]);
    hub = await startHub(loc, {
      passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: 100,
      chain: { rpc: node.chain.url, chainId: 31337, contract: registry.target as string, pollMs: 100 },
    });
    const desk = deskKey();
    const { apiKey } = await enrolKey(hub.url, init.adminKey, desk);
    const records = Array.from({ length: 3 }, () => signedRecord(desk));
    await call(hub.url, 'POST', '/v1/records', { token: apiKey, json: { records } });
    vkey = (await call(hub.url, 'GET', '/v1/log/key')).body.key as string;
    proof = await until('a proof with its chain section', async () => {
      const r = await call(hub.url, 'GET', `/v1/log/records/${records[1]!.id}/proof`, { token: apiKey });
      return r.status === 200 && (r.body as unknown as ProofFile).chain !== null && (r.body as unknown as ProofFile);
    }, 30_000);
  });
  afterAll(async () => hub?.close());

  it('confirms the anchor from the contract, and refuses a proof whose chain record was changed', async () => {
    expect(proof.chain).toMatchObject({ chainId: 31337, tx: expect.stringMatching(/^0x[0-9a-f]{64}$/), block: expect.any(Number) });
    const pinned = proof.chain!.contract;
    // The registry is the verifier's to name, never taken from the proof.
    const unpinned = await runCli(['proof', 'verify', write('good0.json', proof), '--hub-key', vkey, '--rpc', node.chain.url]);
    expect({ code: unpinned.code, err: /expected --contract ADDRESS with --rpc/.test(unpinned.stderr) }).toEqual({ code: 2, err: true });
    const ok = await runCli(['proof', 'verify', write('good.json', proof), '--hub-key', vkey, '--rpc', node.chain.url, '--contract', pinned]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/chain {7}on chain 31337: registered by 0x[0-9a-fA-F]{40} \(the log's anchoring key\) in tx 0x/);
    expect(ok.stdout).not.toMatch(/warning/); // a registry of version 2: a split view is ruled out

    const unchecked = await runCli(['proof', 'verify', write('good2.json', proof), '--hub-key', vkey]);
    expect(unchecked.stdout).toMatch(/\(not checked: give --rpc\)/);

    const otherTx = (await (await node.owner.sendTransaction({ to: await node.owner.getAddress(), value: 1n })).wait())!.hash;
    const bad = await runCli(['proof', 'verify', write('bad.json', { ...proof, chain: { ...proof.chain!, tx: otherTx } }), '--hub-key', vkey, '--rpc', node.chain.url, '--contract', pinned, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, code: 'ANCHOR_MISMATCH' });

    const none = await runCli(['proof', 'verify', write('none.json', { ...proof, chain: null }), '--hub-key', vkey, '--rpc', node.chain.url, '--contract', pinned]);
    expect({ code: none.code, err: /ANCHOR_MISSING/.test(none.stderr) }).toEqual({ code: 1, err: true });
  }, 120_000);
});

describe('the chain check (core/ledger/verify-anchor.ts)', () => {
  const origin = 'hub.test/custody/org_chain';
  const hubKey = randomBytes(32);
  let registry: Contract;
  let checkpoint: Checkpoint;
  let ref: ChainRef;
  let other: { root: string; size: number; tx: string; block: number };

  beforeAll(async () => {
    registry = await deployRegistry(node.owner);
    const key = await node.chain.provider.getSigner(5);
    await registerLog(registry, origin, await key.getAddress());
    const as = registry.connect(key) as Contract;
    // two batches of one history (the contract takes no other): the checkpoint of 8, and the next one at 9
    const history = new UniformHistory();
    const root = Buffer.from((await history.root(8)).slice(2), 'hex');
    const r1 = await (await as.getFunction('registerBatch')(hexlify(root), 8, hexlify(hubKey), 1_800_000_000, [])).wait();
    checkpoint = { origin, size: 8, root, extensions: [] };
    ref = { chainId: 31337, contract: registry.target as string, tx: r1.hash, block: r1.blockNumber, timestamp: null };
    const root2 = await history.root(9);
    const r2 = await (await as.getFunction('registerBatch')(root2, 9, hexlify(hubKey), 1_800_000_001, await history.proof(8, 9))).wait();
    other = { root: root2, size: 9, tx: r2.hash, block: r2.blockNumber };
  });

  const check = (c: Partial<Checkpoint>, r: Partial<ChainRef> | null, o: { rpc?: string; contract?: string; hubKey?: Uint8Array } = {}) =>
    codeOf(verifyAnchor({ checkpoint: { ...checkpoint, ...c }, chain: r === null ? null : { ...ref, ...r } }, { rpc: o.rpc ?? node.chain.url, hubPublicKey: o.hubKey ?? hubKey, ...(o.contract ? { contract: o.contract } : {}) }));

  it('accepts the batch as registered', async () => {
    const r = await verifyAnchor({ checkpoint, chain: ref }, { rpc: node.chain.url, hubPublicKey: hubKey });
    expect(r.batch).toMatchObject({ treeSize: 8, submitter: await (await node.chain.provider.getSigner(5)).getAddress() });
  });

  it.each([
    ['no chain section', {}, null, {}, 'ANCHOR_MISSING'],
    ['a root never registered', { root: randomBytes(32) }, {}, {}, 'ANCHOR_MISSING'],
    ['the root under another log (origin)', { origin: 'hub.test/custody/org_other' }, {}, {}, 'ANCHOR_MISSING'],
    ['another tree size', { size: 7 }, {}, {}, 'ANCHOR_MISMATCH'],
    ['another hub key pinned', {}, {}, { hubKey: randomBytes(32) }, 'ANCHOR_MISMATCH'],
    ['another block', {}, { block: 1 }, {}, 'ANCHOR_MISMATCH'],
    ['another transaction', {}, 'other-tx', {}, 'ANCHOR_MISMATCH'],
    ['another chain id', {}, { chainId: 1 }, {}, 'ANCHOR_WRONG_CHAIN'],
    ['a contract other than the pinned one', {}, {}, { contract: '0x000000000000000000000000000000000000dEaD' }, 'ANCHOR_WRONG_CHAIN'],
    ['an address with no contract', {}, { contract: '0x000000000000000000000000000000000000dEaD' }, {}, 'ANCHOR_WRONG_CHAIN'],
    ['an RPC that does not answer', {}, {}, { rpc: 'http://127.0.0.1:9/' }, 'CHAIN_UNREACHABLE'],
  ] as const)('refuses %s', async (_what, c, r, o, code) => {
    const chainPart = r === 'other-tx' ? { tx: other.tx } : r;
    expect(await check(c, chainPart, o)).toBe(code);
  });

  it('refuses a batch of the same log whose transaction is a different batch', async () => {
    const otherCheckpoint = { root: Buffer.from(other.root.slice(2), 'hex'), size: other.size };
    expect(await check(otherCheckpoint, { block: other.block, tx: other.tx })).toBe('ok');
    expect(await check(otherCheckpoint, { block: other.block, tx: ref.tx })).toBe('ANCHOR_MISMATCH');
  });

  it('gives the anchoring key no way to register a root of another history, so no proof to one verifies on chain', async () => {
    const key = await node.chain.provider.getSigner(5);
    const as = registry.connect(key) as Contract;
    // a split view: a checkpoint of another history at a larger size than the log's latest (9), with the proof
    // that history would give (or none)
    const fork = new UniformHistory();
    const forged = await fork.root(12);
    for (const proof of [await fork.proof(9, 12), []]) {
      const e = await as.getFunction('registerBatch')(forged, 12, hexlify(hubKey), 1_800_000_002, proof).then(() => null, (x: unknown) => x as { data?: string });
      expect(e?.data ? REGISTRY_INTERFACE.parseError(e.data)?.name : e).toBe('InconsistentBatch');
    }
    expect(await check({ root: Buffer.from(forged.slice(2), 'hex'), size: 12 }, {})).toBe('ANCHOR_MISSING');
    expect((await verifyAnchor({ checkpoint, chain: ref }, { rpc: node.chain.url, hubPublicKey: hubKey })).consistencyChecked).toBe(true);
  });

  it('confirms a batch of a registry deployed before consistency checks, but says a split view is not ruled out', async () => {
    const old = await new ContractFactory(oldRegistry.abi as InterfaceAbi, oldRegistry.bytecode, node.owner).deploy(await node.owner.getAddress());
    await old.waitForDeployment();
    const key = await node.chain.provider.getSigner(6);
    await registerLog(registryAt(await old.getAddress(), node.owner), origin, await key.getAddress());
    const legacy = new Contract(await old.getAddress(), oldRegistry.abi as InterfaceAbi, key);
    const root = randomBytes(32);
    const r = await (await legacy.getFunction('registerBatch')(hexlify(root), 5, hexlify(hubKey), 1_800_000_000)).wait();
    const c = await verifyAnchor({ checkpoint: { origin, size: 5, root, extensions: [] }, chain: { chainId: 31337, contract: await old.getAddress(), tx: r.hash, block: r.blockNumber, timestamp: null } }, { rpc: node.chain.url, hubPublicKey: hubKey });
    expect(c.consistencyChecked).toBe(false);
    // and an unrelated root at a larger size goes in there: what the new registry refuses
    await (await legacy.getFunction('registerBatch')(hexlify(randomBytes(32)), 6, hexlify(hubKey), 1_800_000_001)).wait();
  });
});
