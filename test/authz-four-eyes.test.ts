// Four-eyes and object-level checks, attacked the way an insider would, through the real DeskApi of a desk with
// users: the person who set up a watched folder approving the photo it signed, a resubmitter approving, someone
// else withdrawing an item, a viewer commenting. Each got through before the authorization layer; each is now
// NOT_PERMITTED.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession } from '../core/api/context.ts';
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import type { WatchOutcome } from '../core/watch/engine.ts';
import { tempDir } from './helpers/cli.ts';
import { addUsers, fakeSignedItem, testDesk } from './helpers/workflow-desk.ts';
import { uniqueJpeg } from './watch-helpers.ts';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; rule?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: string; message: string; details?: { rule?: string } };
    return { code: err.code, message: err.message, ...(err.details?.rule ? { rule: err.details.rule } : {}) };
  }
  throw new Error('expected a refusal, got success');
}

describe('four-eyes that cannot be side-stepped', () => {
  let desk: Desk;
  let host: DeskHost;
  const outcomes: WatchOutcome[] = [];
  const as: Record<string, DeskApi> = {};

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { erin: ['editor'], eve: ['editor'], chris: ['editor', 'chief'], vic: ['viewer'] });
    host = new DeskHost(desk, { kind: 'test', watch: { onOutcome: (o) => outcomes.push(o), engine: { rescanMs: 60_000 } } });
    for (const name of ['ada', 'erin', 'eve', 'chris', 'vic']) {
      as[name] = host.api(memorySession());
      await as[name].login({ name, password: `${name}-tidal-lantern-42` });
    }
    // Hot folders live under the roots an admin allows.
    await as.ada!.settingsSet({ allowedRoots: [tmpdir()] });
  });
  afterAll(async () => {
    await host.close();
    desk.close();
  });

  it("counts a watched folder's items as submissions of whoever configured it: they cannot approve them", async () => {
    const inDir = tempDir('custody-in-');
    const outDir = join(tempDir('custody-out-'), 'out');
    mkdirSync(outDir, { recursive: true });
    const folder = await as.erin!.watchAdd({ path: inDir, outDir, stableMs: 100, workflowTemplate: 'news' });
    expect(folder.createdBy).toBe('erin');
    writeFileSync(join(inDir, 'frame.jpg'), await uniqueJpeg());
    await expect.poll(() => outcomes.length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    const o = outcomes.at(-1)!;
    expect(o.status).toBe('signed');
    const id = o.recordId!;
    const status = (await as.erin!.item({ id })).workflow;
    expect(status).toMatchObject({ state: 'in_review', stage: 'desk', submittedBy: 'erin' });
    // The folder signed and submitted as erin, in the audit log too.
    expect([...auditEntries(desk.store, { subject: id })].map((e) => `${e.actor}:${e.action}`)).toEqual(['erin:record.signed', 'erin:workflow.submit']);
    expect(status.can).not.toContain('approve');
    expect(await refusal(as.erin!.approve({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSubmitter' });
    // Anyone else at the stage may.
    expect(await as.eve!.approve({ id })).toMatchObject({ stage: 'chief' });
    await as.erin!.watchStop({ id: folder.id });
  });

  it('does not let whoever signed an item review it, though someone else submitted it', async () => {
    // The photographer signs, a colleague sends the day's pictures to review: the photographer's own vote must not
    // count at any stage, nor may they reject it or ask for changes. Before, erin approved her own photo.
    const dir = tempDir('custody-shot-');
    writeFileSync(join(dir, 'shot.jpg'), await uniqueJpeg());
    const id = (await as.erin!.sign({ paths: [join(dir, 'shot.jpg')] })).receipts[0]!.recordId;
    await as.eve!.submit({ id });
    expect((await as.erin!.item({ id })).workflow.can).toEqual([]);
    expect(await refusal(as.erin!.approve({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSigner', message: expect.stringMatching(/got erin, who signed it/) });
    expect(await refusal(as.erin!.requestChanges({ id, comment: 'fine as it is' }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSigner' });
    expect(await as.erin!.bulk({ action: 'approve', ids: [id] })).toMatchObject({ results: [{ id, ok: false, code: 'NOT_PERMITTED' }] });
    expect((await as.erin!.item({ id })).workflow).toMatchObject({ state: 'in_review', stage: 'desk', approvals: [] });
    expect([...auditEntries(desk.store, { subject: id })].filter((e) => e.action === 'workflow.refused').map((e) => [e.actor, e.details.rule])).toEqual([
      ['erin', 'notSigner'],
      ['erin', 'notSigner'],
      ['erin', 'notSigner'],
    ]);
    // chris, neither signer nor submitter, reviews it; at the chief stage erin has no role anyway.
    expect(await as.chris!.approve({ id })).toMatchObject({ stage: 'chief' });
  });

  it('lets only its owner or an admin remove a watched folder', async () => {
    const folder = await as.erin!.watchAdd({ path: tempDir('custody-in-'), outDir: join(tempDir('custody-out-'), 'out'), start: false });
    expect(await refusal(as.eve!.watchRemove({ id: folder.id }))).toMatchObject({ code: 'NOT_PERMITTED', message: expect.stringMatching(/^expected erin, who configured .*, or an admin to remove it, got eve/) });
    expect(await as.ada!.watchRemove({ id: folder.id })).toEqual({ removed: folder.id });
  });

  it('makes whoever resubmits a submitter: they may not approve at any stage', async () => {
    const id = fakeSignedItem(desk).id;
    await as.erin!.submit({ id });
    await as.eve!.requestChanges({ id, comment: 'wrong caption' });
    // chris, an editor and a chief, fixes the caption and sends it back.
    await as.chris!.resubmit({ id, note: 'caption fixed' });
    expect(await refusal(as.chris!.approve({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSubmitter', message: expect.stringMatching(/who resubmitted this item/) });
    expect(await refusal(as.erin!.approve({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSubmitter', message: expect.stringMatching(/who submitted this item/) });
    expect(await as.eve!.approve({ id })).toMatchObject({ stage: 'chief' });
    // At the chief stage, where his role reviews, he is still a submitter.
    expect((await as.chris!.item({ id })).workflow.can).not.toContain('approve');
    expect(await refusal(as.chris!.approve({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSubmitter' });
    expect([...auditEntries(desk.store, { subject: id })].filter((e) => e.action === 'workflow.refused').map((e) => e.actor)).toEqual(['chris', 'erin', 'chris']);
  });

  it('lets only a submitter or an admin withdraw an item', async () => {
    const id = fakeSignedItem(desk).id;
    await as.erin!.submit({ id });
    expect(await refusal(as.eve!.withdraw({ id }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'submitterOrAdmin' });
    expect(await refusal(as.chris!.withdraw({ id, comment: 'mine now' }))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'submitterOrAdmin' });
    expect((await as.erin!.item({ id })).workflow.state).toBe('in_review');
    expect(await as.erin!.withdraw({ id })).toMatchObject({ state: 'withdrawn' });
    const other = fakeSignedItem(desk).id;
    await as.erin!.submit({ id: other });
    expect(await as.ada!.withdraw({ id: other, comment: 'legal hold' })).toMatchObject({ state: 'withdrawn' });
  });

  it('does not let a viewer comment, through the DeskApi or the desk itself', async () => {
    const id = fakeSignedItem(desk).id;
    const before = [...auditEntries(desk.store, { subject: id })].length;
    expect(await refusal(as.vic!.comment({ id, text: 'looks fake to me' }))).toMatchObject({ code: 'NOT_PERMITTED' });
    expect(() => desk.comment({ name: 'vic', roles: ['viewer'] }, id, 'looks fake to me')).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
    expect([...auditEntries(desk.store, { subject: id })].length).toBe(before);
    expect((await as.vic!.item({ id })).comments).toEqual([]);
  });

  it('does not let "desk" act once the desk has users', () => {
    const desk_ = { name: 'desk', roles: ['admin' as const] };
    expect(() => desk.setHybridPq(desk_, true)).toThrow(expect.objectContaining({ code: 'NOT_AUTHENTICATED' }));
    expect(() => desk.actorFor('desk')).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
    expect(desk.hybridPq).toBe(false);
  });
});
