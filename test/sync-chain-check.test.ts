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
import type { ChainRef } from '../core/tlog/proof-file.ts';
import type { RunningHub } from '../server/serve.ts';
import { sharedMiningNode, until } from './helpers/chain.ts';
import { ADMIN, anchoringHubAndDesk } from './helpers/anchoring-desk.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { photo } from './fixtures/photos.ts';

const PASSPHRASE = 'hub vault passphrase for the chain check test';
const node = sharedMiningNode();

let hub: RunningHub;
let desk: Desk;
let dir: string;
let contract: string;
let recordId: string;
let output: string;

beforeAll(async () => {
  dir = tempDir('custody-chain-check-');
  ({ hub, desk, contract } = await anchoringHubAndDesk(node, dir, PASSPHRASE));
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

/**
 * A hub (or its network path) that rewrites the chain section of the proofs it serves on `paths` (nothing signs it):
 * `served()` counts the proofs so rewritten.
 */
function forging(forge: (c: ChainRef) => ChainRef, paths = /\/v1\/log\/records\//): { fetch: typeof fetch; served: () => number } {
  let served = 0;
  const rewrite = (p: { chain?: ChainRef | null }) => {
    if (!p.chain) return p;
    served++;
    return { ...p, chain: forge(p.chain) };
  };
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!paths.test(url) || res.status !== 200) return res;
    const body = (await res.json()) as { proofs?: { proof?: { chain?: ChainRef | null } }[] } & { chain?: ChainRef | null };
    const out = Array.isArray(body.proofs) ? { ...body, proofs: body.proofs.map((a) => (a.proof ? { ...a, proof: rewrite(a.proof) } : a)) } : rewrite(body);
    return new Response(JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: f as typeof fetch, served: () => served };
}

/** A minute passes for the proofs held without a chain reference: the puller asks for them again. */
const aMinuteLater = () => {
  desk.store.run(sql`UPDATE hub_proofs SET received_at = '2000-01-01T00:00:00.000Z' WHERE chain IS NULL`);
  desk.store.run(sql`UPDATE hub_audit_proofs SET received_at = '2000-01-01T00:00:00.000Z' WHERE chain IS NULL`);
};

const standingAlarms = () => desk.hub.status().refuted.filter((x) => x.supersededAt === null);
const refutedOf = (c: ChainRef) => desk.hub.status().refuted.find((x) => x.chain.tx === c.tx && x.chain.block === c.block);

describe('a hub that keeps serving a refuted chain reference', { timeout: 90_000 }, () => {
  let genuine: ChainRef;
  let forged: ChainRef;

  it('alarms at the first refutation only: the same reference served again is not kept, raises nothing new, and stands in hub status', async () => {
    await proofWithChain();
    genuine = proofOf(desk.store, recordId)!.chain!;
    forged = { ...genuine, block: genuine.block + 7 };
    // the genuine reference confirmed: what earlier tests refuted for the record stands no more
    await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    desk.hub.rememberChainCheck(ADMIN, { rpc: node.chain.url, contract });
    // the desk holds the record's proof without its reference, as after a refutation: the puller asks for it again
    desk.store.run(sql`UPDATE hub_proofs SET chain = NULL, chain_checked_at = NULL, received_at = '2000-01-01T00:00:00.000Z' WHERE record_id = ${recordId}`);
    const before = alarms().length;
    const path = forging(() => forged);
    const bg = desk.hub.start(undefined, { fetch: path.fetch, idleMs: 50 })!;
    try {
      await until('the hub to serve the forged reference three times', async () => {
        aMinuteLater();
        return path.served() >= 3;
      }, 60_000);
    } finally {
      await bg.stop();
    }
    const raised = alarms().slice(before);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ subject: recordId, details: { code: 'ANCHOR_MISMATCH', chain: forged } });
    // the forged reference is not held again: the record reads "logged", not "anchored"
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
    expect(desk.hub.anchorState(recordId)).toMatchObject({ state: 'logged' });
    const standing = standingAlarms();
    expect(standing).toEqual([{ recordId, seq: null, treeSize: expect.any(Number), chain: forged, code: 'ANCHOR_MISMATCH', message: raised[0]!.details.message, refutedAt: raised[0]!.at, servedAgain: expect.any(Number), lastServedAt: expect.any(String), supersededAt: null, supersededBy: null }]);
    expect(standing[0]!.servedAgain).toBeGreaterThanOrEqual(1);
    // the same claim (this reference for this batch) served again: not kept, counted, no alarm
    const { treeSize } = standing[0]!;
    aMinuteLater();
    expect(await desk.hub.puller({ fetch: forging(() => forged).fetch }).pull()).toMatchObject({ alarm: null, refutedAgain: 1 });
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toEqual({ confirmed: 0, headsConfirmed: 0, refuted: [], error: null });
    expect(alarms()).toHaveLength(before + 1);
    expect(standingAlarms()[0]!.servedAgain).toBe(standing[0]!.servedAgain + 1);
    // the same reference for another batch (the log grew since): kept and checked, refuted again without a new alarm
    desk.store.run(sql`UPDATE hub_refuted_refs SET tree_size = ${treeSize - 1} WHERE kind = 'record' AND ref = ${recordId} AND superseded_at IS NULL`);
    aMinuteLater();
    expect(await desk.hub.puller({ fetch: forging(() => forged).fetch }).pull()).toMatchObject({ alarm: null, refutedAgain: 0 });
    expect(proofOf(desk.store, recordId)!.chain).toEqual(forged);
    const again = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(again.refuted).toEqual([{ recordId, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/refuted before and served again, is still not borne out by the chain \(a standing alarm/), standing: true }]);
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
    expect(alarms()).toHaveLength(before + 1);
    expect(standingAlarms()).toEqual([expect.objectContaining({ treeSize, refutedAt: raised[0]!.at, servedAgain: standing[0]!.servedAgain + 2 })]);
    const env = { CUSTODY_HOME: desk.home, CUSTODY_PASSPHRASE: 'test passphrase' };
    const status = await runCli(['hub', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`STANDING ALARM since ${raised[0]!.at.replace(/[.]/g, '\\.')}: record ${recordId}: the hub keeps serving chain reference \\(chain 31337, transaction ${forged.tx}, block ${forged.block}\\), which the chain refuted \\(ANCHOR_MISMATCH\\); served again ${standing[0]!.servedAgain + 2} time\\(s\\)`));
    desk.hub.rememberChainCheck(ADMIN, null);
  });

  it('another reference for the same record is checked as any: a new forgery alarms again, the genuine one is confirmed and supersedes the standing alarms', async () => {
    const other = { ...genuine, tx: `0x${'ab'.repeat(32)}` };
    aMinuteLater();
    expect(await desk.hub.puller({ fetch: forging(() => other).fetch }).pull()).toMatchObject({ alarm: null, refutedAgain: 0 });
    expect(proofOf(desk.store, recordId)!.chain).toEqual(other);
    const before = alarms().length;
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r.refuted).toEqual([{ recordId, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/not borne out by the chain/) }]);
    expect(alarms()).toHaveLength(before + 1);
    expect(standingAlarms().map((x) => x.chain)).toEqual([other, forged]);
    // the hub serves the genuine reference again: confirmed, and the standing alarms of the record are superseded
    await proofWithChain();
    // (the log grew meanwhile: the hub's proof may be against a newer checkpoint, in another batch)
    const real = proofOf(desk.store, recordId)!.chain!;
    expect([other, forged]).not.toContainEqual(real);
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ confirmed: 1, refuted: [], error: null });
    const confirmedAt = proofOf(desk.store, recordId)!.chainCheckedAt;
    expect(standingAlarms()).toEqual([]);
    expect([refutedOf(other), refutedOf(forged)].map((x) => [x?.supersededAt, x?.supersededBy])).toEqual([[confirmedAt, real], [confirmedAt, real]]);
    expect(alarms()).toHaveLength(before + 1);
    const status = await runCli(['hub', 'status'], { CUSTODY_HOME: desk.home, CUSTODY_PASSPHRASE: 'test passphrase' });
    expect(status.stdout).not.toMatch(/STANDING ALARM/);
    expect(status.stdout).toMatch(new RegExp(`superseded alarm: record ${recordId}: chain reference \\(chain 31337, transaction ${other.tx}, block ${other.block}\\) refuted at .*; a reference confirmed on the chain at ${confirmedAt!.replace(/[.]/g, '\\.')} superseded it`));
    // were the proof asked for again (held without its reference), a hub going back to a claim the chain refuted, for
    // the very batch it was refuted for, is not waved through: that alarm was superseded, so the claim is kept,
    // checked and refuted as new, a new alarm that stands again
    const held = proofOf(desk.store, recordId)!;
    desk.store.run(sql`UPDATE hub_refuted_refs SET tree_size = ${held.treeSize} WHERE kind = 'record' AND ref = ${recordId}`);
    desk.store.run(sql`UPDATE hub_proofs SET chain = NULL, chain_checked_at = NULL, received_at = '2000-01-01T00:00:00.000Z' WHERE record_id = ${recordId}`);
    expect(await desk.hub.puller({ fetch: forging(() => other).fetch }).pull()).toMatchObject({ alarm: null, refutedAgain: 0 });
    expect(proofOf(desk.store, recordId)!.chain).toEqual(other);
    const back = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(back.refuted).toEqual([{ recordId, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/not borne out by the chain/) }]);
    expect(alarms()).toHaveLength(before + 2);
    expect(standingAlarms().map((x) => x.chain)).toEqual([other]);
  });

  it("an audit head's refuted reference served again is not kept and raises nothing new", async () => {
    await proofWithChain();
    const head = newestHead()!;
    const forgedHead = { ...(JSON.parse(head.chain!) as ChainRef), block: (JSON.parse(head.chain!) as ChainRef).block + 5 };
    desk.store.run(sql`UPDATE hub_audit_proofs SET chain = NULL, chain_checked_at = NULL, received_at = '2000-01-01T00:00:00.000Z' WHERE seq = ${head.seq}`);
    const leaves = /\/v1\/log\/leaves\//;
    await desk.hub.puller({ fetch: forging(() => forgedHead, leaves).fetch }).pull();
    expect(newestHead()).toMatchObject({ seq: head.seq, chain: JSON.stringify(forgedHead) });
    const before = alarms().length;
    expect((await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).refuted).toContainEqual(expect.objectContaining({ recordId: null, seq: head.seq }));
    const after = alarms().length;
    expect(after).toBeGreaterThan(before);
    aMinuteLater();
    expect(await desk.hub.puller({ fetch: forging(() => forgedHead, leaves).fetch }).pull()).toMatchObject({ alarm: null, refutedAgain: 1 });
    expect(newestHead()).toMatchObject({ seq: head.seq, chain: null });
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ headsConfirmed: 0, refuted: [] });
    expect(alarms()).toHaveLength(after);
    expect(refutedOf(forgedHead)).toMatchObject({ recordId: null, seq: head.seq, chain: forgedHead, servedAgain: 1, supersededAt: null });
    // the genuine one again: confirmed, superseding it
    aMinuteLater();
    await proofWithChain();
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ refuted: [] });
    expect(desk.hub.status().refuted.filter((x) => x.supersededAt === null)).toEqual([]);
  });
});

describe('the last chain check is on record', { timeout: 90_000 }, () => {
  const env = () => ({ CUSTODY_HOME: desk.home, CUSTODY_PASSPHRASE: 'test passphrase' });
  const last = () => desk.hub.status().proofs.lastChainCheck;

  it('the background sync with an unreachable node: recorded and shown by hub status, not an alarm, sync exit codes as before', async () => {
    const down = 'http://127.0.0.1:9';
    desk.hub.rememberChainCheck(ADMIN, { rpc: down, contract });
    desk.store.run(sql`UPDATE hub_proofs SET chain_checked_at = NULL WHERE record_id = ${recordId}`);
    const before = alarms().length;
    const bg = desk.hub.start(undefined, { idleMs: 50 })!;
    try {
      await until('the background chain check to be on record', async () => last()?.outcome === 'unreachable');
    } finally {
      await bg.stop();
    }
    expect(last()).toEqual({ at: expect.any(String), by: 'sync', rpc: down, outcome: 'unreachable', error: expect.stringMatching(/^expected the JSON-RPC endpoint http:\/\/127\.0\.0\.1:9 to answer/), checked: 0, confirmed: 0, refuted: 0, left: expect.any(Number) });
    expect(last()!.left).toBeGreaterThanOrEqual(1);
    expect(alarms()).toHaveLength(before);
    const status = await runCli(['hub', 'status'], env());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/\n {2}last chain check \S+ by the sync with http:\/\/127\.0\.0\.1:9: the node did not answer \(expected the JSON-RPC endpoint http:\/\/127\.0\.0\.1:9 to answer [^\n]*\); 0 checked, 0 confirmed, 0 refuted, \d+ left unchecked\n/);
    // custody sync --once: the exit code as before (nothing left to push), the outcome on record again
    const at = last()!.at;
    const once = await runCli(['sync', '--once'], env());
    expect(once.code, once.stderr).toBe(0);
    expect(last()).toMatchObject({ outcome: 'unreachable', by: 'sync' });
    expect(last()!.at > at).toBe(true);
    desk.hub.rememberChainCheck(ADMIN, null);
  });

  it('custody hub check-chain by hand behaves as before and updates the record', async () => {
    const down = await runCli(['hub', 'check-chain', '--rpc', 'http://127.0.0.1:9', '--contract', contract], env());
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/CHAIN_UNREACHABLE/);
    expect(last()).toMatchObject({ by: 'desk', rpc: 'http://127.0.0.1:9', outcome: 'unreachable', confirmed: 0 });
    const ok = await runCli(['hub', 'check-chain', '--rpc', node.chain.url, '--contract', contract], env());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^1 record and \d+ audit head chain reference\(s\) confirmed on the chain, 0 not borne out/);
    expect(last()).toEqual({ at: expect.any(String), by: 'desk', rpc: node.chain.url, outcome: 'ok', error: null, checked: expect.any(Number), confirmed: expect.any(Number), refuted: 0, left: 0 });
    expect(last()!.confirmed).toBeGreaterThanOrEqual(1);
    expect(last()!.checked).toBe(last()!.confirmed);
    const status = await runCli(['hub', 'status'], env());
    expect(status.stdout).toMatch(/\n {2}last chain check \S+ by desk with http:\/\/127\.0\.0\.1:\d+: ok; \d+ checked, \d+ confirmed, 0 refuted, 0 left unchecked\n/);
    // nothing left to check: the node is not asked, and the record says so rather than "ok" (a dead node would pass)
    const idle = await runCli(['hub', 'check-chain', '--rpc', 'http://127.0.0.1:9', '--contract', contract], env());
    expect(idle.code, idle.stderr).toBe(0);
    expect(last()).toMatchObject({ rpc: 'http://127.0.0.1:9', outcome: 'idle', error: null, checked: 0, left: 0 });
    expect((await runCli(['hub', 'status'], env())).stdout).toMatch(/last chain check \S+ by desk with http:\/\/127\.0\.0\.1:9: nothing to check, the node was not asked; 0 checked/);
  });
});
