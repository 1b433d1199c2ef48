// Proofs back from the hub's transparency log (docs/anchoring.md): after a push, the desk pulls each record's
// inclusion proof, checks it with the hub's pinned log key against the leaf it computes from its own record, keeps it
// with the record, and keeps each checkpoint only when a consistency proof links it to the last one it kept. A log
// that does not extend what the desk saw, or a checkpoint under another key, is an alarm (audit log, status), and
// nothing of it is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { setSetting } from '../core/store/settings.ts';
import { getRecord } from '../core/store/records.ts';
import { hubRecordOf, signHubRecord } from '../core/sync/hub-records.ts';
import { outboxOfRecord } from '../core/sync/outbox.ts';
import { ALARM_ACTION, HUB_LOG_KEY_SETTING, proofOf, type PullReport } from '../core/sync/proofs.ts';
import { recordLeafOf } from '../core/tlog/leaves.ts';
import { formatVerifierKey, noteKeyOf, parseVerifierKey } from '../core/tlog/note.ts';
import { parseProofFile, verifyProofFile } from '../core/tlog/proof-file.ts';
import { closeBoth, deskWithHub, signResized, type TestHub } from './helpers/sync-hub.ts';
import { deskSigner } from './helpers/hub-desk.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

const signOne = (i: number): Promise<string> => signResized(desk, dir, i);

/** Pushes, then pulls until every delivered record has a proof (the hub signs a checkpoint every 200 ms). */
async function syncUntilProven(): Promise<PullReport> {
  expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
  for (let i = 0; i < 50; i++) {
    const r = await desk.hub.puller().pull();
    if (r.alarm || r.error || r.notReady === 0) return r;
    await new Promise((d) => setTimeout(d, 200));
  }
  throw new Error('no proof within 10 s');
}

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-proofs-'));
}, 60_000);
afterAll(() => closeBoth(desk, hub));

describe('proofs from the hub', { timeout: 60_000 }, () => {
  let first: string[];

  it('pulls a proof per pushed record, checks it against the desk\'s own record and keeps it', async () => {
    first = [await signOne(1), await signOne(2)];
    expect(desk.hub.anchorState(first[0]!)).toMatchObject({ state: 'pending' });
    const r = await syncUntilProven();
    expect(r).toMatchObject({ fetched: 2, alarm: null, error: null });
    const key = parseVerifierKey(desk.hub.status().proofs.logKey!);
    for (const id of first) {
      const p = proofOf(desk.store, id)!;
      const record = signHubRecord(hubRecordOf(getRecord(desk.store, id)!, outboxOfRecord(desk.store, id)!.manifest), (await deskSigner(desk)).sign);
      // The kept file verifies on its own, with the pinned key, about exactly this record, signed as a whole.
      expect(verifyProofFile(parseProofFile(p.file), key).leaf).toMatchObject({ type: 'record', v: 2, id });
      expect(verifyProofFile(parseProofFile(p.file), key, { expectLeaf: recordLeafOf(record) }).leaf).toMatchObject({ type: 'record', id });
      expect(desk.hub.anchorState(id)).toMatchObject({ state: 'logged', detail: expect.stringMatching(/not yet on chain/) });
    }
    expect(desk.hub.status().proofs).toMatchObject({ held: 2, checkpoint: { size: expect.any(Number) } });
  });

  it('a later checkpoint is kept only after its consistency proof with the last one verifies', async () => {
    const before = desk.hub.status().proofs.checkpoint!.size;
    await signOne(3);
    expect(await syncUntilProven()).toMatchObject({ fetched: 1, alarm: null });
    const sizes = desk.store.all<{ tree_size: number }>(sql`SELECT tree_size FROM hub_checkpoints ORDER BY tree_size`).map((c) => c.tree_size);
    // The checkpoint kept before is still there (an audit head's proof may have brought a later one too).
    expect(sizes).toContain(before);
    expect(sizes.at(-1)).toBeGreaterThan(before);
  });

  it('a consistency proof refused (HTTP 403) is no answer, not evidence: no alarm, and the proof is kept once the hub answers', async () => {
    const alarms = () => [...auditEntries(desk.store)].filter((e) => e.action === ALARM_ACTION).length;
    const before = alarms();
    const id = await signOne(5);
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    let asked = 0;
    const refusing: typeof fetch = (input, init) => {
      if (!String(input).includes('/v1/log/consistency')) return fetch(input, init);
      asked++;
      return Promise.resolve(new Response(JSON.stringify({ code: 'NOT_PERMITTED', message: 'expected a key with the verify scope' }), { status: 403, headers: { 'content-type': 'application/json' } }));
    };
    let r: PullReport | null = null;
    for (let i = 0; i < 50 && asked === 0; i++) {
      r = await desk.hub.puller({ fetch: refusing }).pull();
      if (asked === 0) await new Promise((d) => setTimeout(d, 200));
    }
    expect(asked).toBeGreaterThan(0);
    expect(r).toMatchObject({ alarm: null, error: expect.stringMatching(/HTTP 403/) });
    expect(alarms()).toBe(before);
    expect(proofOf(desk.store, id)).toBeNull();
    expect(await syncUntilProven()).toMatchObject({ alarm: null });
    expect(proofOf(desk.store, id)).not.toBeNull();
  });

  it('a log that does not extend the checkpoint the desk kept is an alarm, and its proof is not kept', async () => {
    // The desk saw another history at the newest size it kept (what a hub that rewrote its log would have shown).
    desk.store.run(sql`UPDATE hub_checkpoints SET root = ${'00'.repeat(32)} WHERE tree_size = (SELECT max(tree_size) FROM hub_checkpoints)`);
    const id = await signOne(4);
    const r = await syncUntilProven();
    expect(r.alarm).toMatch(/INTEGRITY_FAILED: .*rewritten/);
    expect(proofOf(desk.store, id)).toBeNull();
    const alarms = [...auditEntries(desk.store)].filter((e) => e.action === ALARM_ACTION);
    // The record's proof, or the proof of an audit head pulled in the same round, whichever met the rewrite first.
    expect(alarms.at(-1)).toMatchObject({ details: { code: 'INTEGRITY_FAILED' } });
    expect([id, null]).toContain(alarms.at(-1)!.subject);
    expect(desk.hub.status().alarms[0]).toMatchObject({ code: 'INTEGRITY_FAILED' });
  });

  it('a checkpoint signed by another key than the one pinned is an alarm', async () => {
    desk.store.run(sql`DELETE FROM hub_checkpoints`);
    const other = formatVerifierKey(noteKeyOf(parseVerifierKey(desk.hub.status().proofs.logKey!).name, new Uint8Array(32).fill(7)));
    setSetting(desk.store, HUB_LOG_KEY_SETTING, other);
    const r = await desk.hub.puller().pull();
    expect(r.alarm).toMatch(/CHECKPOINT_WRONG_KEY/);
  });
});
