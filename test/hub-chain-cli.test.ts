// The contract owner's commands (issue 16) against a real `hardhat node` on 127.0.0.1: `custody hub chain deploy`
// puts the committed ProvenanceRegistry on the chain, `custody hub chain set-anchoring-key` registers (and funds)
// each organisation's anchoring address read from the hub's vault; a hub serving with that chain then anchors its
// checkpoints there. Refusals: a key file that holds no key, another chain than --chain-id, no contract at --contract.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HDNodeWallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../contracts/build.ts';
import { registryAt } from '../core/ledger/registry.ts';
import { hubChainKeys, initHub, startHub, type RunningHub } from '../server/serve.ts';
import { sharedMiningNode, until } from './helpers/chain.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { TEST_SCRYPT } from './helpers/desk.ts';
import { call } from './helpers/hub-desk.ts';
import { deskKey, enrolKey, signedRecord } from './helpers/tlog.ts';

const PASSPHRASE = 'hub vault passphrase for the chain admin test';
const node = sharedMiningNode();
/** Hardhat's first development account, funded on every `hardhat node`. */
const OWNER = HDNodeWallet.fromPhrase('test test test test test test test test test test test junk');

describe('custody hub chain deploy / set-anchoring-key', { timeout: 180_000 }, () => {
  let dir: string;
  let keyFile: string;
  let contract: string;
  let hub: RunningHub | null = null;
  let adminKey: string;
  const env = { CUSTODY_HUB_PASSPHRASE: PASSPHRASE };

  beforeAll(async () => {
    dir = tempDir('custody-hub-chain-');
    keyFile = join(dir, 'owner.key');
    writeFileSync(keyFile, `${OWNER.privateKey}\n`, { mode: 0o600 });
    adminKey = (await initHub({ database: null, dataDir: dir }, { org: 'Daily Planet' })).adminKey;
    await initHub({ database: null, dataDir: dir }, { org: 'Evening Star' });
    // Creates the hub's vault at a cheap scrypt cost (the CLI reads the cost stored with it).
    await hubChainKeys({ database: null, dataDir: dir }, PASSPHRASE, TEST_SCRYPT);
  });
  afterAll(async () => hub?.close());

  it('deploys the committed artifact, owned by the key file\'s address', async () => {
    const r = await runCli(['hub', 'chain', 'deploy', '--rpc', node.chain.url, '--key-file', keyFile, '--chain-id', '31337', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { chainId: number; contract: string; owner: string; tx: string; block: number };
    expect(d).toMatchObject({ chainId: 31337, owner: OWNER.address, tx: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    contract = d.contract;
    expect(await node.chain.provider.getCode(contract)).toBe(readArtifact().deployedBytecode);
    expect(await registryAt(contract, node.chain.provider).getFunction('owner').staticCall()).toBe(OWNER.address);
  });

  it('registers and funds every organisation\'s anchoring address; a second run changes nothing', async () => {
    const args = ['hub', 'chain', 'set-anchoring-key', '--rpc', node.chain.url, '--key-file', keyFile, '--contract', contract, '--data', dir, '--fund', '0.25', '--json'];
    const keys = await hubChainKeys({ database: null, dataDir: dir }, PASSPHRASE);
    const star = keys.find((k) => k.org === 'Evening Star')!;
    // --tenant: one organisation only (as when an organisation joins the hub later).
    const one = await runCli([...args, '--tenant', star.tenantId], env);
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { keys: { tenantId: string }[] }).keys.map((k) => k.tenantId)).toEqual([star.tenantId]);
    const r = await runCli(args, env);
    expect(r.code, r.stderr).toBe(0);
    const set = JSON.parse(r.stdout) as { keys: { tenantId: string; logId: string; address: string; tx: string | null; funded: string | null; balance: string }[] };
    expect(set.keys).toHaveLength(2);
    const registry = registryAt(contract, node.chain.provider);
    for (const k of keys) {
      const sent = k === star ? { tx: null, funded: null } : { tx: expect.stringMatching(/^0x/), funded: expect.stringMatching(/^0x/) };
      expect(set.keys.find((s) => s.tenantId === k.tenantId)).toMatchObject({ logId: k.logId, address: k.address, ...sent, balance: '0.25' });
      expect(await registry.getFunction('anchoringKeyOf').staticCall(k.logId)).toBe(k.address);
      expect(await node.chain.provider.getBalance(k.address)).toBe(parseEther('0.25'));
    }
    const again = JSON.parse((await runCli(args, env)).stdout) as typeof set;
    expect(again.keys.map((k) => [k.tx, k.funded])).toEqual([[null, null], [null, null]]);
  });

  it('a hub serving with that chain anchors its checkpoints there', async () => {
    const loc = { database: null, dataDir: dir };
    hub = await startHub(loc, { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: 100, chain: { rpc: node.chain.url, chainId: 31337, contract, pollMs: 100 } });
    const desk = deskKey();
    const { apiKey } = await enrolKey(hub.url, adminKey, desk);
    const rec = signedRecord(desk);
    expect((await call(hub.url, 'POST', '/v1/records', { token: apiKey, json: { records: [rec] } })).status).toBe(200);
    const proof = await until('the record anchored', async () => {
      const p = await call(hub!.url, 'GET', `/v1/log/records/${rec.id}/proof`, { token: apiKey });
      return p.status === 200 && (p.body as { chain: unknown }).chain !== null && (p.body as { chain: { chainId: number; contract: string } });
    }, 60_000);
    expect(proof.chain).toMatchObject({ chainId: 31337, contract });
    const planet = (await hubChainKeys(loc, PASSPHRASE)).find((k) => k.org === 'Daily Planet')!;
    expect(Number(await registryAt(contract, node.chain.provider).getFunction('latestTreeSize').staticCall(planet.logId))).toBeGreaterThan(0);
  });

  it('refuses a key file without a key, a key file others may read, another chain, and an address with no contract', async () => {
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not a key\n', { mode: 0o600 });
    const r1 = await runCli(['hub', 'chain', 'deploy', '--rpc', node.chain.url, '--key-file', bad]);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/INVALID_ARGUMENT.*private key/);
    const open = join(dir, 'open.key');
    writeFileSync(open, `${OWNER.privateKey}\n`);
    chmodSync(open, 0o644);
    const r0 = await runCli(['hub', 'chain', 'deploy', '--rpc', node.chain.url, '--key-file', open, '--chain-id', '31337']);
    expect(r0.code).not.toBe(0);
    expect(r0.stderr).toMatch(/INVALID_ARGUMENT.*readable by its owner only.*mode 0644.*chmod 600/);
    const r2 = await runCli(['hub', 'chain', 'deploy', '--rpc', node.chain.url, '--key-file', keyFile, '--chain-id', '137']);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/ANCHOR_WRONG_CHAIN.*expected chain 137.*got chain 31337/);
    const r3 = await runCli(['hub', 'chain', 'set-anchoring-key', '--rpc', node.chain.url, '--key-file', keyFile, '--contract', OWNER.address, '--log-id', `0x${'11'.repeat(32)}`, '--address', OWNER.address]);
    expect(r3.stderr).toMatch(/ANCHOR_WRONG_CHAIN.*no contract there/);
  });
});
