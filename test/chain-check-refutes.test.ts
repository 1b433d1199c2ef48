// What the desk's chain check (core/sync/chain-check.ts, core/ledger/verify-anchor.ts) does with a chain section the
// hub (or its network path) shaped to slip by, against a real local chain and a hub anchoring on it: a registry
// address with a wrong EIP-55 checksum is refused when a proof is read, and one held from before is refuted on its
// own, without ending the run (the references after it are still checked); a block time the hub made up is refuted,
// never shown as "confirmed on the chain by this desk".
import { join } from 'node:path';
import sharp from 'sharp';
import { getAddress, hexlify, randomBytes } from 'ethers';
import { CustodyError } from '../core/errors.ts';
import { verifyAnchor } from '../core/ledger/verify-anchor.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { lastChainCheck } from '../core/sync/chain-check.ts';
import { ALARM_ACTION, proofOf } from '../core/sync/proofs.ts';
import { parseProofFile, type ChainRef } from '../core/tlog/proof-file.ts';
import type { RunningHub } from '../server/serve.ts';
import { sharedMiningNode, until } from './helpers/chain.ts';
import { ADMIN, anchoringHubAndDesk } from './helpers/anchoring-desk.ts';
import { tempDir } from './helpers/cli.ts';
import { photo } from './fixtures/photos.ts';

const PASSPHRASE = 'hub vault passphrase for the chain refutation test';
const node = sharedMiningNode();

let hub: RunningHub;
let desk: Desk;
let dir: string;
let contract: string;
const records: { recordId: string; output: string }[] = [];

/** `a` (checksummed) with one letter's case turned: mixed case, its EIP-55 checksum wrong. */
function badChecksum(a: string): string {
  const good = getAddress(a);
  for (let i = 2; i < good.length; i++) {
    const ch = good[i]!;
    if (!/[a-fA-F]/.test(ch)) continue;
    const bad = good.slice(0, i) + (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) + good.slice(i + 1);
    if (/[a-f]/.test(bad.slice(2)) && /[A-F]/.test(bad.slice(2))) return bad;
  }
  throw new Error(`expected an address with letters of both cases, got ${good}`);
}

beforeAll(async () => {
  dir = tempDir('custody-chain-refutes-');
  ({ hub, desk, contract } = await anchoringHubAndDesk(node, dir, PASSPHRASE));
  for (const i of [1, 2, 3]) {
    const src = join(dir, `quay-${i}.png`);
    await sharp(photo('coffee.png')).resize(240 + i * 16).png().toFile(src);
    records.push(await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, `out-${i}`) }));
  }
  records.sort((a, b) => (a.recordId < b.recordId ? -1 : 1));
  expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
  await proofsWithChain();
}, 180_000);
afterAll(async () => {
  desk?.close();
  await hub?.close();
});

/** Pulls until every record's proof carries the hub's chain section (a proof without one is asked for again). */
async function proofsWithChain(): Promise<void> {
  await until("the records' proofs with their chain sections", async () => {
    desk.store.run(sql`UPDATE hub_proofs SET received_at = '2000-01-01T00:00:00.000Z' WHERE chain IS NULL`);
    await desk.hub.puller().pull();
    return records.every((r) => (proofOf(desk.store, r.recordId)?.chain ?? null) !== null);
  }, 90_000);
}

/** Holds `chain` as the record's reference (in the row and in the proof file kept), unconfirmed, as a pull would. */
function hold(recordId: string, chain: ChainRef): void {
  const held = proofOf(desk.store, recordId)!;
  desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify(chain)}, chain_checked_at = NULL, proof = ${JSON.stringify({ ...JSON.parse(held.file), chain })} WHERE record_id = ${recordId}`);
}

const alarms = () => [...auditEntries(desk.store)].filter((e) => e.action === ALARM_ACTION);

/** Whether a proof file naming `address` as its registry is read (the hub's file, only the address changed). */
function taken(file: { chain: ChainRef }, address: string): boolean {
  try {
    parseProofFile(JSON.stringify({ ...file, chain: { ...file.chain, contract: address } }));
    return true;
  } catch (e) {
    expect(e).toMatchObject({ code: 'PROOF_MALFORMED' });
    return false;
  }
}

describe('the registry address in a proof', () => {
  it('a proof file is read only with an address ethers takes: all lower case, all upper case, or with a right EIP-55 checksum', () => {
    const file = JSON.parse(proofOf(desk.store, records[0]!.recordId)!.file) as { chain: ChainRef };
    for (let i = 0; i < 200; i++) {
      const good = getAddress(hexlify(randomBytes(20)));
      for (const a of [good, good.toLowerCase(), `0x${good.slice(2).toUpperCase()}`]) expect(taken(file, a), a).toBe(true);
      let bad: string | null = null;
      try {
        bad = badChecksum(good);
      } catch {
        // fewer than two letters: no mixed case to get wrong
      }
      if (bad) {
        expect(() => getAddress(bad)).toThrow();
        expect(taken(file, bad), bad).toBe(false);
      }
    }
    expect(taken(file, badChecksum(contract))).toBe(false);
    expect(taken(file, '0x' + 'ab'.repeat(19))).toBe(false);
  });

  it('verifyAnchor refuses an address with a wrong checksum with a CustodyError, before asking any node', async () => {
    const held = proofOf(desk.store, records[0]!.recordId)!;
    const checkpoint = { origin: 'example.org/log', size: 1, root: new Uint8Array(32), extensions: [] };
    const o = { rpc: 'http://127.0.0.1:9', hubPublicKey: new Uint8Array(32), timeoutMs: 1_000 };
    const ofRef = await verifyAnchor({ checkpoint, chain: { ...held.chain!, contract: badChecksum(contract) } }, { ...o, contract }).catch((e: unknown) => e);
    expect(ofRef).toBeInstanceOf(CustodyError);
    expect(ofRef).toMatchObject({ code: 'PROOF_MALFORMED' });
    const pinned = await verifyAnchor({ checkpoint, chain: held.chain! }, { ...o, contract: badChecksum(contract) }).catch((e: unknown) => e);
    expect(pinned).toBeInstanceOf(CustodyError);
    expect(pinned).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe("the desk's chain check refutes what the chain does not bear out, one reference at a time", { timeout: 90_000 }, () => {
  it('a held reference naming the registry with a wrong checksum is refuted, and the run goes on to the next', async () => {
    const [first, second, third] = records.map((r) => r.recordId) as [string, string, string];
    const BADSUM = badChecksum(contract);
    expect(() => getAddress(BADSUM)).toThrow();
    const realOf = (id: string) => proofOf(desk.store, id)!.chain!;
    // the first record's reference names the registry with a bad checksum, in the row and in the proof file kept (as
    // a desk holds one pulled before proof files were read strictly); the second's in the row alone (what reaches
    // verifyAnchor whatever the file says); the third's names a block its batch is not in (plainly forged)
    hold(first, { ...realOf(first), contract: BADSUM });
    const second0 = realOf(second);
    desk.store.run(sql`UPDATE hub_proofs SET chain = ${JSON.stringify({ ...second0, contract: BADSUM })}, chain_checked_at = NULL WHERE record_id = ${second}`);
    const third0 = realOf(third);
    hold(third, { ...third0, block: third0.block + 1 });
    const before = alarms().length;
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r.error).toBeNull();
    expect(r.confirmed).toBe(0);
    expect(r.refuted).toEqual([
      { recordId: first, code: 'PROOF_MALFORMED', message: expect.stringMatching(/not borne out by the chain: PROOF_MALFORMED: .*EIP-55 checksum/) },
      { recordId: second, code: 'PROOF_MALFORMED', message: expect.stringMatching(/not borne out by the chain: PROOF_MALFORMED: .*EIP-55 checksum/) },
      { recordId: third, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/not borne out by the chain/) },
    ]);
    expect(alarms()).toHaveLength(before + 3);
    expect(alarms().slice(-3)).toMatchObject([
      { subject: first, details: { code: 'PROOF_MALFORMED' } }, { subject: second, details: { code: 'PROOF_MALFORMED' } }, { subject: third, details: { code: 'ANCHOR_MISMATCH' } },
    ]);
    for (const id of [first, second, third]) {
      expect(proofOf(desk.store, id)!.chain).toBeNull();
      expect(JSON.parse(proofOf(desk.store, id)!.file).chain).toBeNull();
      expect(desk.hub.anchorState(id).state).toBe('logged');
    }
    expect(lastChainCheck(desk.store)).toMatchObject({ outcome: 'ok', error: null, refuted: 3 });
    // the proofs are asked for again, and the hub's real references check out
    await proofsWithChain();
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ confirmed: 3, refuted: [], error: null });
  });

  it('a pinned registry address with a wrong checksum is refused before any reference is touched', async () => {
    const e = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract: badChecksum(contract), all: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CustodyError);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(records.every((r) => proofOf(desk.store, r.recordId)!.chain !== null)).toBe(true);
  });

  it("a block time the hub made up is refuted, not shown as confirmed on the chain by this desk", async () => {
    const { recordId, output } = records[0]!;
    await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract }); // whatever is left unconfirmed (run alone)
    const real = proofOf(desk.store, recordId)!.chain!;
    // the hub's own reference carries the block's time, and the check takes it (any ISO form of the same instant)
    expect(real.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    hold(recordId, { ...real, timestamp: new Date(real.timestamp!).toISOString().replace('.000Z', 'Z') });
    expect(await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).toMatchObject({ confirmed: 1, refuted: [], error: null });

    const FORGED = '2001-09-09T01:46:40.000Z';
    hold(recordId, { ...real, timestamp: FORGED });
    const before = alarms().length;
    const r = await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract });
    expect(r.confirmed).toBe(0);
    expect(r.refuted).toEqual([{ recordId, code: 'ANCHOR_MISMATCH', message: expect.stringMatching(/not borne out by the chain: ANCHOR_MISMATCH: expected the time of block .*got "2001-09-09T01:46:40.000Z"/) }]);
    expect(alarms()).toHaveLength(before + 1);
    expect(proofOf(desk.store, recordId)!.chain).toBeNull();
    const st = desk.hub.anchorState(recordId);
    expect(st.state).toBe('logged');
    expect(JSON.stringify(st)).not.toContain(FORGED);
    expect((await desk.verify(output)).checks.anchor).toMatchObject({ status: 'absent', state: 'logged' });

    // a time a second off is refuted too (the block's time has whole seconds, and the hub writes it exactly)
    await proofsWithChain();
    const again = proofOf(desk.store, recordId)!.chain!;
    expect(again).toEqual(real);
    hold(recordId, { ...real, timestamp: new Date(Date.parse(real.timestamp!) + 1000).toISOString() });
    expect((await desk.hub.checkChain(ADMIN, { rpc: node.chain.url, contract })).refuted).toEqual([expect.objectContaining({ recordId, code: 'ANCHOR_MISMATCH' })]);
  });
});
