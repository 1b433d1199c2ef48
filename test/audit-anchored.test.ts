// Issue 16: the audit-log heads a desk pushes are leaves of the organisation's log; the desk pulls their proofs back
// and `audit verify` checks the local log against the newest one. Whoever holds the desk's files and its vault can
// rewrite the whole log and re-sign every entry, the witness and the head file with the desk's own key: every check
// inside the desk passes, and only the head the hub signed shows the rewrite.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_HEAD_FILE } from '../core/audit/checkpoint.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { anchoredAuditHead } from '../core/sync/audit-proofs.ts';
import { photo } from './fixtures/photos.ts';
import { closeBoth, deskWithHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-audit-anchored-'));
}, 60_000);
afterAll(() => closeBoth(desk, hub));

/** Pushes and pulls until the desk holds the proof of a head at least `seq`. */
async function anchorHead(seq: number): Promise<number> {
  for (let i = 0; i < 60; i++) {
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    const r = await desk.hub.puller().pull();
    expect(r).toMatchObject({ alarm: null });
    const a = anchoredAuditHead(desk.store);
    if (a.state === 'held' && a.seq >= seq) return a.seq;
    await new Promise((d) => setTimeout(d, 200));
  }
  throw new Error(`no proof of an audit head ≥ ${seq} within 12 s`);
}

/** The attacker's rewrite: the log emptied, then written anew through the desk's own AuditLog with the vault open. */
function rewriteWholesale(entries: number): void {
  desk.store.exec('DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_log_no_edit; DROP TRIGGER IF EXISTS audit_log_seal_once;');
  desk.store.run(sql`DELETE FROM audit_log`);
  desk.store.run(sql`DELETE FROM audit_witness`);
  rmSync(join(desk.home, AUDIT_HEAD_FILE), { force: true });
  for (let i = 0; i < entries; i++) {
    desk.audit.act(() => desk.audit.append({ actor: 'desk', action: 'record.signed', subject: `rec_${i}`, details: { i }, at: new Date().toISOString() }));
  }
}

describe('custody audit verify against the newest anchored head', { timeout: 90_000 }, () => {
  let anchored: number;

  it('pulls the proof of a pushed head, checks it, and reports it', async () => {
    expect(desk.audit.verify().anchored).toMatchObject({ state: 'none', detail: expect.stringMatching(/no anchored audit head held: the hub at .* has not proven a head/) });
    const p = join(dir, 'p.png');
    await sharp(photo('coffee.png')).resize(256).png().toFile(p);
    await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
    const head = desk.audit.verify().head!.seq;
    anchored = await anchorHead(head);
    const r = desk.audit.verify();
    expect(r).toMatchObject({ ok: true, problems: [], anchored: { state: 'held', seq: anchored, detail: expect.stringMatching(new RegExp(`^head ${anchored} \\(.*\\) is leaf \\d+ of \\d+ in the organisation's log, signed by the hub, not yet on chain$`)) } });
    const held = desk.store.get<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM hub_audit_proofs ORDER BY seq DESC LIMIT 1`)!;
    expect(held).toEqual({ seq: anchored, hash: desk.store.get<{ hash: string }>(sql`SELECT hash FROM audit_log WHERE seq = ${anchored}`)!.hash });
  });

  it('a proof row edited in desk.db fails verification with its code', () => {
    const row = desk.store.get<{ proof: string }>(sql`SELECT proof FROM hub_audit_proofs WHERE seq = ${anchored}`)!;
    const file = JSON.parse(row.proof) as { leaf: string };
    const leaf = JSON.parse(file.leaf) as { hash: string };
    const forged = JSON.stringify({ ...file, leaf: file.leaf.replace(leaf.hash, 'f'.repeat(64)) });
    desk.store.run(sql`UPDATE hub_audit_proofs SET proof = ${forged} WHERE seq = ${anchored}`);
    const r = desk.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ kind: 'anchored_head_invalid', message: expect.stringMatching(/does not check out \(PROOF_/) });
    desk.store.run(sql`UPDATE hub_audit_proofs SET proof = ${row.proof} WHERE seq = ${anchored}`);
    expect(desk.audit.verify().ok).toBe(true);
  });

  it('a log rewritten wholesale and re-signed with the desk\'s own key fails only on the anchored head', () => {
    rewriteWholesale(anchored + 3);
    const r = desk.audit.verify();
    expect(r.ok).toBe(false);
    // Every check inside the desk passes: the chain, the signatures by the vault's key, the witness and the head file.
    expect(r.problems).toEqual([{ seq: anchored, kind: 'anchored_head_mismatch', message: expect.stringMatching(new RegExp(`^expected entry ${anchored} to have hash [0-9a-f]{12}…, as the organisation's log holds it \\(head ${anchored} .*\\), got [0-9a-f]{12}…: the log was rewritten after that head was anchored$`)) }]);
  });

  it('a rewrite shorter than the anchored head is caught as truncated', () => {
    rewriteWholesale(anchored - 3); // with the genesis entry the log ends at anchored - 2
    const r = desk.audit.verify();
    expect(r.problems).toEqual([{ seq: anchored - 1, kind: 'truncated', message: expect.stringMatching(/the head anchored in the organisation's log/) }]);
  });

  it('proofs deleted: the report says no anchored head is held, and the next pull brings the head back', async () => {
    desk.store.run(sql`DELETE FROM hub_audit_proofs`);
    expect(desk.audit.verify()).toMatchObject({ ok: true, anchored: { state: 'none', detail: expect.stringMatching(/^no anchored audit head held/) } });
    // The outbox remembers which heads the hub took: their proofs are asked for again.
    expect(await desk.hub.puller().pull()).toMatchObject({ heads: 1, alarm: null });
    expect(desk.audit.verify()).toMatchObject({ ok: false, firstBad: { kind: 'truncated' }, anchored: { state: 'held', seq: anchored } });
  });
});
