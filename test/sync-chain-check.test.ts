// `custody hub check-chain` (core/sync/chain-check.ts) against a real local chain (`hardhat node` on 127.0.0.1) and a
// hub anchoring on it: a desk signs, syncs, and holds a proof whose chain section is the hub's word until the desk
// confirms it on the chain; a reference the chain does not bear out (what a hub or its network path could hand a
// desk) is an alarm and is dropped, and verify stops calling the record anchored; an unreachable node decides
// nothing; only an admin names the node and the registry.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { ALARM_ACTION, proofOf } from '../core/sync/proofs.ts';
import { hubChainKeys, initHub, startHub, type RunningHub } from '../server/serve.ts';
import { deployRegistry, fund, registerLog, sharedMiningNode, until } from './helpers/chain.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { TEST_SCRYPT, tempDesk } from './helpers/desk.ts';
import { call } from './helpers/hub-desk.ts';
import { photo } from './fixtures/photos.ts';

const PASSPHRASE = 'hub vault passphrase for the chain check test';
const ADMIN = { name: 'desk', roles: ['admin' as const] };
const node = sharedMiningNode();

let hub: RunningHub;
let desk: Desk;
let dir: string;
let contract: string;
let recordId: string;
let output: string;

beforeAll(async () => {
  dir = tempDir('custody-chain-check-');
  const loc = { database: null, dataDir: join(dir, 'hub') };
  const init = await initHub(loc, { org: 'Daily Planet' });
  const registry = await deployRegistry(node.owner);
  contract = registry.target as string;
  const [k] = await hubChainKeys(loc, PASSPHRASE, TEST_SCRYPT);
  await registerLog(registry, k!.origin, k!.address);
  await fund(node.chain, [k!.address]);
  hub = await startHub(loc, {
    passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: 100,
    chain: { rpc: node.chain.url, chainId: 31337, contract, pollMs: 100 },
  });
  desk = await tempDesk('Daily Planet');
  desk.setAllowedRoots(desk.bootstrapActor()!, [dir]);
  const token = (await call(hub.url, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'desk' } })).body.token as string;
  await desk.hub.connect(ADMIN, { url: hub.url, token, name: 'photo desk' });
  const src = join(dir, 'quay.png');
  await sharp(photo('coffee.png')).png().toFile(src);
  ({ recordId, output } = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') }));
  expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
  await proofWithChain();
}, 120_000);
afterAll(async () => {
  desk?.close();
  await hub?.close();
});

/**
 * Pulls until the record's proof and the newest audit head's carry their chain sections (a proof without one is made
 * stale, so it is asked for again).
 */
async function proofWithChain(): Promise<void> {
  await until("the record's proof and the newest head's with their chain sections", async () => {
    desk.store.run(sql`UPDATE hub_proofs SET received_at = '2000-01-01T00:00:00.000Z' WHERE chain IS NULL`);
    desk.store.run(sql`UPDATE hub_audit_proofs SET received_at = '2000-01-01T00:00:00.000Z' WHERE chain IS NULL`);
    await desk.hub.puller().pull();
    return (proofOf(desk.store, recordId)?.chain ?? null) !== null && newestHead()?.chain != null;
  }, 60_000);
}

const newestHead = () => desk.store.get<{ seq: number; proof: string; chain: string | null; chain_checked_at: string | null }>(sql`SELECT seq, proof, chain, chain_checked_at FROM hub_audit_proofs ORDER BY seq DESC LIMIT 1`);

const alarms = () => [...auditEntries(desk.store)].filter((e) => e.action === ALARM_ACTION);

describe('confirming the hub\'s chain references on the chain', { timeout: 60_000 }, () => {
  it('holds the reference as the hub\'s word until checked, then confirms it', async () => {
    expect(proofOf(desk.store, recordId)).toMatchObject({ chainCheckedAt: null });
    expect((await desk.verify(output)).checks.anchor).toMatchObject({ status: 'pass', state: 'anchored', detail: expect.stringMatching(/the hub reports/) });
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r).toEqual({ confirmed: 1, headsConfirmed: expect.any(Number), refuted: [], error: null });
    expect(r.headsConfirmed).toBeGreaterThanOrEqual(1);
    expect(newestHead()!.chain_checked_at).toEqual(expect.any(String));
    expect(proofOf(desk.store, recordId)!.chainCheckedAt).toEqual(expect.any(String));
    expect((await desk.verify(output)).checks.anchor).toMatchObject({ status: 'pass', state: 'anchored', detail: expect.stringMatching(/as this desk confirmed on the chain at/) });
    // confirmed references are not asked about again unless --all
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toEqual({ confirmed: 0, headsConfirmed: 0, refuted: [], error: null });
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract, all: true })).toMatchObject({ confirmed: 1, refuted: [], error: null });
  });

  it('an unreachable node decides nothing', async () => {
    const r = await desk.hub.checkChain(ADMIN, { rpc: 'http://127.0.0.1:9', contract, all: true, timeoutMs: 2_000 });
    expect(r).toMatchObject({ confirmed: 0, refuted: [], error: expect.stringMatching(/^expected the JSON-RPC endpoint/) });
    expect(proofOf(desk.store, recordId)!.chain).not.toBeNull();
  });

  it('refuses anyone but an admin', async () => {
    await expect(desk.hub.checkChain({ name: 'ed', roles: ['editor'] }, { rpc: node.chain.url, contract })).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
  });

  it('a reference the chain does not bear out is an alarm, and is dropped from the proof and from verify', async () => {
    const held = proofOf(desk.store, recordId)!;
    // the hub (or its path) names another block for the same batch
    const forged = { ...held.chain!, block: held.chain!.block + 1 };
    desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify(forged)}, chain_checked_at = NULL, proof = ${JSON.stringify({ ...JSON.parse(held.file), chain: forged })} WHERE record_id = ${recordId}`);
    const before = alarms().length;
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r.confirmed).toBe(0);
    expect(r.refuted).toEqual([{ recordId, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/not borne out by the chain/) }]);
    expect(alarms()).toHaveLength(before + 1);
    expect(alarms().at(-1)).toMatchObject({ subject: recordId, details: { code: 'ANCHOR_MISMATCH' } });
    const now = proofOf(desk.store, recordId)!;
    expect(now.chain).toBeNull();
    expect(JSON.parse(now.file).chain).toBeNull();
    expect((await desk.verify(output)).checks.anchor).toMatchObject({ status: 'absent', state: 'logged' });
    // the puller asks for the proof again and gets the hub's real reference, which checks out
    await proofWithChain();
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ confirmed: 1, refuted: [], error: null });
  });

  it("an audit head's reference the chain does not bear out is an alarm too, and is dropped", async () => {
    const head = newestHead()!;
    const chain = JSON.parse(head.chain!) as { block: number };
    const forged = { ...chain, block: chain.block + 3 };
    desk.store.run(sql`UPDATE hub_audit_proofs SET chain = ${JSON.stringify(forged)}, chain_checked_at = NULL WHERE seq = ${head.seq}`);
    const before = alarms().length;
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r.refuted).toEqual([{ recordId: null, seq: head.seq, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(new RegExp(`^audit head ${head.seq}: .*not borne out by the chain`)) }]);
    expect(alarms()).toHaveLength(before + 1);
    expect(alarms().at(-1)).toMatchObject({ details: { code: 'ANCHOR_MISMATCH', seq: head.seq } });
    expect(newestHead()).toMatchObject({ seq: head.seq, chain: null, chain_checked_at: null });
    expect(JSON.parse(newestHead()!.proof).chain).toBeNull();
  });

  it('custody hub check-chain: the report, and exit 2 with the alarm when a reference is refuted', async () => {
    const env = { CUSTODY_HOME: desk.home, CUSTODY_PASSPHRASE: 'test passphrase' };
    const ok = await runCli(['hub', 'check-chain', '--rpc', node.chain.url, '--contract', contract, '--all'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^1 record and \d+ audit head chain reference\(s\) confirmed on the chain, 0 not borne out/);
    const held = proofOf(desk.store, recordId)!;
    const forged = { ...held.chain!, tx: `0x${'ee'.repeat(32)}` };
    desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify(forged)}, chain_checked_at = NULL WHERE record_id = ${recordId}`);
    const bad = await runCli(['hub', 'check-chain', '--rpc', node.chain.url, '--contract', contract], env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/0 record and 0 audit head chain reference\(s\) confirmed on the chain, 1 not borne out\n {2}alarm: record .* ANCHOR_MISMATCH/);
    expect(bad.stderr).toMatch(/INTEGRITY_FAILED/);
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
  });

  it('remembered by an admin, the background sync checks each new reference after pulling proofs', async () => {
    await expect(Promise.resolve().then(() => desk.hub.rememberChainCheck({ name: 'ed', roles: ['editor'] }, { rpc: node.chain.url, contract }))).rejects.toMatchObject({ code: 'NOT_PERMITTED' });
    expect(() => desk.hub.rememberChainCheck(ADMIN, { rpc: node.chain.url, contract: '0x1234' })).toThrow(/registry's address/);
    expect(await desk.hub.checkChainRemembered()).toBeNull();
    desk.hub.rememberChainCheck(ADMIN, { rpc: node.chain.url, contract });
    expect(desk.hub.status().proofs.chainCheck).toEqual({ rpc: node.chain.url, contract });
    expect([...auditEntries(desk.store)].at(-1)).toMatchObject({ action: 'settings.changed', subject: 'hub.chain_check', details: { value: { rpc: node.chain.url, contract } } });
    await proofWithChain();
    const held = proofOf(desk.store, recordId)!;
    const forged = { ...held.chain!, block: held.chain!.block + 2 };
    desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify(forged)}, chain_checked_at = NULL WHERE record_id = ${recordId}`);
    const before = alarms().length;
    const bg = desk.hub.start()!;
    try {
      await until('the background sync to refute the forged reference', async () => alarms().length > before);
    } finally {
      await bg.stop();
    }
    expect(alarms().at(-1)).toMatchObject({ subject: recordId, details: { code: 'ANCHOR_MISMATCH' } });
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
  });

  it('custody sync --once checks the new references with the remembered node: exit 3 and the alarm on a forged one', async () => {
    await proofWithChain();
    const env = { CUSTODY_HOME: desk.home, CUSTODY_PASSPHRASE: 'test passphrase' };
    const ok = await runCli(['sync', '--once'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/chain references: 1 record and \d+ audit head reference\(s\) confirmed on the chain, 0 not borne out/);
    expect(proofOf(desk.store, recordId)!.chainCheckedAt).toEqual(expect.any(String));
    const held = proofOf(desk.store, recordId)!;
    desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify({ ...held.chain!, chainId: 31337, tx: `0x${'0d'.repeat(32)}` })}, chain_checked_at = NULL WHERE record_id = ${recordId}`);
    const bad = await runCli(['sync', '--once'], env);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/ALARM: record .*not borne out by the chain: ANCHOR_MISMATCH/);
    const status = await runCli(['hub', 'status'], env);
    expect(status.stdout).toMatch(/chain references checked by the sync with http:\/\/127\.0\.0\.1:\d+, registry 0x/);
    const forget = await runCli(['hub', 'check-chain-forget'], env);
    expect(forget.code, forget.stderr).toBe(0);
    expect(desk.hub.status().proofs.chainCheck).toBeNull();
  });
});
