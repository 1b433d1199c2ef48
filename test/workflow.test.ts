// The workflow as the desk runs it (core, in-process): events, stored snapshots that replay must reproduce, audit
// entries in the same transaction, audited refusals, templates, and publishing.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import { auditEntries } from '../core/audit/log.ts';
import { verify as verifyEd25519 } from '../core/crypto/ed25519.ts';
import type { Desk } from '../core/desk.ts';
import type { Actor } from '../core/directory/roles.ts';
import { isCustodyError } from '../core/errors.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { sql } from '../core/store/db.ts';
import type { SignedRecord } from '../core/store/records.ts';
import { listEventRows } from '../core/workflow/items.ts';
import { eventDigest, persistSnapshot, replay } from '../core/workflow/replay.ts';
import type { WorkflowEvent } from '../core/workflow/events.ts';
import { addUsers, fakeSignedItem, testDesk, type TestDesk } from './helpers/workflow-desk.ts';

let t: TestDesk;
let desk: Desk;
let u: Record<string, Actor>;
let item: SignedRecord;

beforeEach(async () => {
  t = await testDesk();
  desk = t.desk;
  u = await addUsers(desk, t.admin, { ed: ['editor'], eve: ['editor'], cy: ['chief'], lex: ['legal'], vic: ['viewer'] });
  item = fakeSignedItem(desk);
});

const at = (iso: string) => new Date(iso);
const entries = () => [...auditEntries(desk.store)];

function expectError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isCustodyError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

describe('taking an item through approval', () => {
  it('records each event with its audit entry, and the stored state is the replay of the events', () => {
    expect(desk.workflow.status(u.ed!, item.id)).toMatchObject({ state: 'draft', stage: null, history: [], can: ['submit'] });
    desk.workflow.submit(u.ed!, item.id, { note: 'for the front page' });
    desk.workflow.approve(u.eve!, item.id, { comment: 'good' });
    const s = desk.workflow.approve(u.cy!, item.id);
    expect(s).toMatchObject({ state: 'approved', stage: null, submittedBy: 'ed', classification: 'internal', flags: [] });
    expect(s.history.map((h) => [h.actor, h.event, h.stage, h.comment])).toEqual([
      ['ed', 'submit', 'desk', 'for the front page'],
      ['eve', 'approve', 'desk', 'good'],
      ['cy', 'approve', 'chief', null],
    ]);
    expect(desk.workflow.status(u.ed!, item.id).can).toEqual(['withdraw', 'publish']);
    expect(desk.workflow.status(u.cy!, item.id).can).toEqual(['publish']);
    expect(desk.workflow.status(u.vic!, item.id).can).toEqual([]);

    const rows = listEventRows(desk.store, item.id);
    expect(rows.map((r) => [r.seq, r.type, r.actor])).toEqual([[1, 'SUBMIT', 'ed'], [2, 'APPROVE', 'eve'], [3, 'APPROVE', 'cy']]);
    const log = entries();
    for (const r of rows) {
      const e = log.find((x) => x.seq === r.audit_seq)!;
      expect(e).toMatchObject({ actor: r.actor, subject: item.id, action: `workflow.${r.type === 'SUBMIT' ? 'submit' : 'approve'}`, at: r.at });
      expect(e.details.eventSha256).toBe(eventDigest(JSON.parse(r.event) as WorkflowEvent));
    }
    const stored = desk.store.get<{ snapshot: string; state: string }>(sql`SELECT snapshot, state FROM workflow_items WHERE item_id = ${item.id}`)!;
    expect(stored.state).toBe('approved');
    expect(stored.snapshot).toBe(persistSnapshot(replay(rows.map((r) => JSON.parse(r.event) as WorkflowEvent))));
    expect(desk.workflow.check(item.id)).toMatchObject({ ok: true, events: 3, state: 'approved', problem: null });
    expect(desk.audit.verify().ok).toBe(true);
  });

  it('routes through legal for personal data, which needs consent first', () => {
    desk.workflow.submit(u.ed!, item.id, { flags: ['personal-data'], classification: 'public' });
    desk.workflow.approve(u.eve!, item.id);
    expectError(() => desk.workflow.approve(u.lex!, item.id), 'WORKFLOW_TRANSITION_REFUSED', /consent reference/);
    desk.workflow.requestChanges(u.lex!, item.id, { comment: 'model release?' });
    const back = desk.workflow.resubmit(u.ed!, item.id, { consent: 'REL-2025-17' });
    expect(back).toMatchObject({ state: 'in_review', stage: 'desk', consent: 'REL-2025-17', flags: ['personal-data'] });
    desk.workflow.approve(u.eve!, item.id);
    expect(desk.workflow.approve(u.lex!, item.id)).toMatchObject({ state: 'in_review', stage: 'chief' });
  });

  it('an embargo time sets the embargo flag, and a resubmission keeps the other flags', () => {
    const s = desk.workflow.submit(u.ed!, item.id, { flags: ['trademark'], embargo: '2030-01-01T09:00:00+01:00' });
    expect(s).toMatchObject({ flags: ['trademark', 'embargo'], embargo: '2030-01-01T08:00:00.000Z', route: ['desk', 'legal', 'chief'] });
    desk.workflow.requestChanges(u.eve!, item.id, { comment: 'later' });
    expect(desk.workflow.resubmit(u.ed!, item.id, { embargo: '2030-02-01T00:00:00Z' })).toMatchObject({ flags: ['trademark', 'embargo'], embargo: '2030-02-01T00:00:00.000Z' });
  });
});

describe('refusals', () => {
  it('are audited with who tried what and why, and change nothing else', async () => {
    desk.workflow.submit(u.ed!, item.id);
    const events = listEventRows(desk.store, item.id).length;
    expectError(() => desk.workflow.approve(u.ed!, item.id), 'NOT_PERMITTED', /four-eyes/);
    expect(entries().at(-1)).toMatchObject({ actor: 'ed', action: 'workflow.refused', subject: item.id, details: { event: 'approve', code: 'NOT_PERMITTED', rule: 'notSubmitter', state: 'in_review', stage: 'desk' } });
    await expect(desk.workflow.publish(u.ed!, item.id)).rejects.toMatchObject({
      code: 'WORKFLOW_TRANSITION_REFUSED',
      message: 'expected the item to be approved to publish it, got in_review (stage desk)',
    });
    expect(listEventRows(desk.store, item.id)).toHaveLength(events);
    expect(desk.workflow.check(item.id).ok).toBe(true);
  });

  it.each([
    ['an unknown item', () => desk.workflow.submit(u.ed!, 'rec_nope'), 'NOT_FOUND'],
    ['an unknown template', () => desk.workflow.submit(u.ed!, item.id, { template: 'sports' }), 'NOT_FOUND'],
    ['a bad classification', () => desk.workflow.submit(u.ed!, item.id, { classification: 'secret' }), 'INVALID_ARGUMENT'],
    ['a bad flag', () => desk.workflow.submit(u.ed!, item.id, { flags: ['gdpr'] }), 'INVALID_ARGUMENT'],
    ['an embargo without a zone', () => desk.workflow.submit(u.ed!, item.id, { embargo: '2030-01-01T09:00' }), 'INVALID_ARGUMENT'],
    ['a submission by a chief', () => desk.workflow.submit(u.cy!, item.id), 'NOT_PERMITTED'],
  ])('refuses %s', (_name, fn, code) => {
    expectError(fn, code);
  });
});

describe('replay checks the stored state', () => {
  beforeEach(() => {
    desk.workflow.submit(u.ed!, item.id);
    desk.workflow.approve(u.eve!, item.id);
  });

  it('an edited stored state is found, and the desk refuses to act on it', () => {
    desk.store.run(sql`UPDATE workflow_items SET state = 'approved', stage = NULL WHERE item_id = ${item.id}`);
    const c = desk.workflow.check(item.id);
    expect(c.ok).toBe(false);
    expect(c.problem).toMatch(/^expected the stored state of .* to equal the replay of its 2 events \(in_review at stage chief\), got approved after 2 events$/);
    expectError(() => desk.workflow.status(u.ed!, item.id), 'INTEGRITY_FAILED');
    expect(desk.workflow.checkAll().filter((x) => !x.ok).map((x) => x.itemId)).toEqual([item.id]);
  });

  it('an edited snapshot context (same state) is found', () => {
    const row = desk.store.get<{ snapshot: string }>(sql`SELECT snapshot FROM workflow_items WHERE item_id = ${item.id}`)!;
    desk.store.run(sql`UPDATE workflow_items SET snapshot = ${row.snapshot.replace('"by":"eve"', '"by":"cy"')} WHERE item_id = ${item.id}`);
    expect(desk.workflow.check(item.id).problem).toMatch(/stored snapshot .* differs/);
  });

  it('an edited event is found through its audit entry, even with the snapshot rebuilt to match', () => {
    const rows = listEventRows(desk.store, item.id);
    const forged = { ...(JSON.parse(rows[1]!.event) as WorkflowEvent), comment: 'looks great' };
    const events = [JSON.parse(rows[0]!.event) as WorkflowEvent, forged];
    desk.store.run(sql`UPDATE workflow_events SET event = ${canonicalJson(forged)} WHERE item_id = ${item.id} AND seq = 2`);
    desk.store.run(sql`UPDATE workflow_items SET snapshot = ${persistSnapshot(replay(events))} WHERE item_id = ${item.id}`);
    expect(desk.workflow.check(item.id).problem).toMatch(/^expected event 2 of .* to match its audit entry \d+, got an event that does not/);
  });

  it('an event the machine would refuse is found', () => {
    const rows = listEventRows(desk.store, item.id);
    const forged = { ...(JSON.parse(rows[1]!.event) as WorkflowEvent), actor: 'ed', roles: ['editor'] };
    desk.store.run(sql`UPDATE workflow_events SET event = ${canonicalJson(forged)}, actor = 'ed' WHERE item_id = ${item.id} AND seq = 2`);
    expect(desk.workflow.check(item.id).ok).toBe(false);
  });
});

describe('templates', () => {
  it('are data that admins edit; a submitted item keeps the template it was submitted under', () => {
    const news = desk.workflow.template('news');
    expect(news.version).toBe(1);
    desk.workflow.submit(u.ed!, item.id);
    const strict = { ...news.template, stages: news.template.stages.map((s) => (s.id === 'desk' ? { ...s, quorum: 2 } : s)) };
    expectError(() => desk.workflow.saveTemplate(u.ed!, strict), 'NOT_PERMITTED', /^expected an admin to edit workflow templates/);
    const saved = desk.workflow.saveTemplate(t.admin, strict);
    expect(saved.version).toBe(2);
    expect(entries().at(-1)).toMatchObject({ actor: 'ada', action: 'template.saved', subject: 'news', details: { version: 2 } });
    // The old submission still needs one desk approval; a new one needs two.
    expect(desk.workflow.approve(u.eve!, item.id).stage).toBe('chief');
    const other = fakeSignedItem(desk);
    desk.workflow.submit(u.ed!, other.id);
    expect(desk.workflow.approve(u.eve!, other.id).stage).toBe('desk');
  });

  it('are validated', () => {
    const news = desk.workflow.template('news').template;
    expectError(() => desk.workflow.saveTemplate(t.admin, { ...news, stages: [{ ...news.stages[1]! }] }), 'INVALID_ARGUMENT', /at least one stage that always applies/);
    expectError(() => desk.workflow.saveTemplate(t.admin, { ...news, stages: [news.stages[0]!, news.stages[0]!] }), 'INVALID_ARGUMENT', /unique/);
    expectError(() => desk.workflow.saveTemplate(t.admin, { ...news, submitRoles: ['owner'] }), 'INVALID_ARGUMENT', /submitRoles/);
  });
});

describe('publishing', () => {
  const approve = (it: SignedRecord, opts = {}) => {
    desk.workflow.submit(u.ed!, it.id, opts);
    desk.workflow.approve(u.eve!, it.id);
    return desk.workflow.approve(u.cy!, it.id);
  };

  it('writes a new signed output with the approvals, recorded in the database, the receipt and the audit log', async () => {
    approve(item);
    const out = mkdtempSync(join(tmpdir(), 'custody-pub-'));
    const { receipt, status } = await desk.workflow.publish(u.ed!, item.id, { outDir: out }, at('2031-01-01T00:00:00.000Z'));
    expect(status).toMatchObject({ state: 'published', publication: { id: receipt.publicationId, output: receipt.output } });
    expect(receipt.output).toBe(join(out, `${item.id}.published.jpg`));
    expect(readFileSync(receipt.output)).toEqual(readFileSync(item.outputPath!));
    expect(receipt).toMatchObject({ itemId: item.id, publishedBy: 'ed', sourceSha256: item.outputSha256, outputSha256: sha256Hex(readFileSync(receipt.output)), org: 'Test Newsroom' });
    expect(receipt.approvals.map((a) => [a.stage, a.role, a.by, a.decision])).toEqual([['desk', 'editor', 'eve', 'approved'], ['chief', 'chief', 'cy', 'approved']]);
    expect(verifyEd25519(Buffer.from(receipt.signature, 'hex'), new TextEncoder().encode(receipt.statement), Buffer.from(receipt.publicKey, 'hex'))).toBe(true);
    expect(JSON.parse(receipt.statement)).toMatchObject({ type: 'custody.publication', itemId: item.id, approvals: receipt.approvals });
    const row = desk.store.get<{ approvals: string; output_sha256: string }>(sql`SELECT approvals, output_sha256 FROM publications WHERE id = ${receipt.publicationId}`)!;
    expect(JSON.parse(row.approvals)).toEqual(receipt.approvals);
    expect(entries().at(-1)).toMatchObject({ action: 'workflow.publish', actor: 'ed', subject: item.id, details: { publicationId: receipt.publicationId, outputSha256: receipt.outputSha256 } });
    expect(desk.workflow.check(item.id).ok).toBe(true);
    expect(desk.audit.verify().ok).toBe(true);
  });

  it('writes nothing when refused: embargo, restricted, or a signed output that changed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'custody-pub-'));
    approve(item, { embargo: '2031-01-01T00:00:00Z' });
    await expect(desk.workflow.publish(u.ed!, item.id, { outDir: out }, at('2030-12-31T23:00:00.000Z'))).rejects.toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', message: expect.stringMatching(/embargo/) });

    const restricted = fakeSignedItem(desk);
    desk.workflow.submit(u.ed!, restricted.id, { classification: 'restricted' });
    desk.workflow.approve(u.eve!, restricted.id);
    desk.workflow.approve(u.lex!, restricted.id);
    desk.workflow.approve(u.cy!, restricted.id);
    await expect(desk.workflow.publish(u.cy!, restricted.id, { outDir: out })).rejects.toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', message: expect.stringMatching(/restricted, which never publishes/) });

    const changed = fakeSignedItem(desk);
    approve(changed);
    writeFileSync(changed.outputPath!, 'edited after signing');
    await expect(desk.workflow.publish(u.ed!, changed.id, { outDir: out })).rejects.toMatchObject({ code: 'CORRUPT_MEDIA' });

    expect(readdirSync(out)).toEqual([]);
    expect(desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM publications`)!.n).toBe(0);
    expect(desk.workflow.status(u.ed!, changed.id).state).toBe('approved');
  });

  it('needs the vault: a locked desk refuses with KEY_LOCKED and writes nothing', async () => {
    approve(item);
    desk.close();
    const locked = await t.reopen();
    const out = mkdtempSync(join(tmpdir(), 'custody-pub-'));
    await expect(locked.workflow.publish(u.ed!, item.id, { outDir: out })).rejects.toMatchObject({ code: 'KEY_LOCKED' });
    expect(existsSync(join(out, `${item.id}.published.jpg`))).toBe(false);
    expect(locked.workflow.status(u.ed!, item.id).state).toBe('approved');
    locked.close();
    desk = await t.reopen({ unlock: true });
  });
});
