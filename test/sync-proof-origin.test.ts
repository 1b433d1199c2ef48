// One hub signs the checkpoints of every organisation's log with the same key; the origin (`<key name>/<tenant id>`)
// says whose log a checkpoint is of. A hub (or its network path) answering a desk's proof request with the desk's leaf
// in another organisation's log must not make the desk believe its record is in its own organisation's log: the
// checkpoint's origin must be the tenant the desk enrolled in, or the proof is an alarm and is not kept, and a proof
// row of another log planted in desk.db fails the verify report's anchor check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import type { Desk } from '../core/desk.ts';
import { anchorCheck } from '../core/provenance/anchor-check.ts';
import { sql } from '../core/store/db.ts';
import { proofOf, type PullReport } from '../core/sync/proofs.ts';
import { signCheckpoint } from '../core/tlog/checkpoint.ts';
import { leafHash } from '../core/tlog/merkle.ts';
import { formatTlogProof } from '../core/tlog/tlog-proof.ts';
import { openHubDatabase } from '../server/db/connect.ts';
import { HubVault } from '../server/keys/hub-vault.ts';
import { initHub } from '../server/serve.ts';
import { loadLogKey, type LogKey } from '../server/tlog/log-key.ts';
import { CHEAP_SCRYPT } from './helpers/cli.ts';
import { closeBoth, deskWithHub, signResized, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;
let logKey: LogKey;
let otherTenant: string;

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-origin-'));
  // A second organisation on the same hub: its log is signed by the same key, under its own origin.
  otherTenant = (await initHub({ database: null, dataDir: hub.dataDir }, { org: 'Other Org' })).tenant.id;
  const db = await openHubDatabase({ database: null, dataDir: hub.dataDir });
  try {
    logKey = await loadLogKey(await HubVault.open(db.db, new PassphraseProtector('hub passphrase for the sync tests', CHEAP_SCRYPT)));
  } finally {
    await db.close();
  }
}, 60_000);
afterAll(() => closeBoth(desk, hub));

/** The hub's proof of a leaf, moved into a one-leaf log of the other organisation, signed with the hub's own key. */
function inOtherLog(p: Record<string, unknown>): Record<string, unknown> {
  const root = leafHash(new TextEncoder().encode(p.leaf as string));
  const note = signCheckpoint({ origin: `${logKey.key.name}/${otherTenant}`, size: 1, root, extensions: [] }, logKey.key.name, logKey.secretKey);
  return { ...p, proof: formatTlogProof({ index: 0, hashes: [], checkpoint: note, extra: null }), chain: null };
}

/** The real hub behind a network path that rewrites every proof of a batch answer with inOtherLog. */
const otherLogPath: typeof fetch = async (url, init) => {
  const res = await fetch(url, init);
  if (!String(url).endsWith('/v1/log/records/proofs') || res.status !== 200) return res;
  const body = (await res.json()) as { proofs: { proof?: Record<string, unknown> }[] };
  return Response.json({ proofs: body.proofs.map((a) => (a.proof ? { ...a, proof: inOtherLog(a.proof) } : a)) });
};

async function pullUntilAnswered(f?: typeof fetch): Promise<PullReport> {
  for (let i = 0; i < 50; i++) {
    const r = await desk.hub.puller(f ? { fetch: f } : {}).pull();
    if (r.alarm || r.error || (r.notReady === 0 && r.fetched + r.heads > 0)) return r;
    await new Promise((d) => setTimeout(d, 200));
  }
  throw new Error('no proof within 10 s');
}

describe("a checkpoint of another organisation's log", { timeout: 60_000 }, () => {
  let id: string;

  it('is an alarm when the hub answers with it, and nothing of it is kept', async () => {
    id = await signResized(desk, dir, 1);
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    const r = await pullUntilAnswered(otherLogPath);
    expect(r.alarm).toMatch(new RegExp(`CHECKPOINT_WRONG_KEY: .*${otherTenant}`));
    expect(proofOf(desk.store, id)).toBeNull();
    // no checkpoint of the other log kept (one of the desk's own log may be, from an audit head's proof the same pull
    // took before the record's answer came: the path rewrites the records' proofs only)
    const notes = desk.store.all<{ note: string }>(sql`SELECT note FROM hub_checkpoints`).map((c) => c.note);
    expect(notes.filter((n) => n.includes(otherTenant))).toEqual([]);
    expect(desk.hub.anchorState(id)).toMatchObject({ state: 'pending' });
  });

  it("the proof from the organisation's own log is kept as before", async () => {
    const r = await pullUntilAnswered();
    expect(r).toMatchObject({ alarm: null, error: null });
    expect(proofOf(desk.store, id)).not.toBeNull();
    expect(anchorCheck(desk.store, id)).toMatchObject({ status: 'absent', state: 'logged' });
  });

  it('planted in desk.db, fails the anchor check of a verification', () => {
    const held = JSON.parse(proofOf(desk.store, id)!.file) as Record<string, unknown>;
    desk.store.run(sql`UPDATE hub_proofs SET proof = ${JSON.stringify(inOtherLog(held))} WHERE record_id = ${id}`);
    expect(anchorCheck(desk.store, id)).toMatchObject({ status: 'fail', state: 'proof_invalid', code: 'CHECKPOINT_WRONG_KEY' });
  });
});
