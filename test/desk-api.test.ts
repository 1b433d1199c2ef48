// The DeskApi handlers over a real desk: who is acting (login sessions, the single-user desk), the workflow acted
// through the API by two users, comments, and the admin methods' role checks. Adapters are tested elsewhere.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import { memorySession } from '../core/api/context.ts';
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost, createDeskHandlers } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

/** Calls the API and returns the error code it was refused with (or fails the test when it was not refused). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

async function jpeg(name: string, from = 'coffee.png'): Promise<string> {
  const p = join(tempDir(), name);
  await sharp(photo(from)).jpeg({ quality: 90 }).toFile(p);
  return p;
}

const actions = (desk: Desk, action: string) => [...auditEntries(desk.store)].filter((e) => e.action === action);

describe('a desk without users', () => {
  let desk: Desk;
  let api: DeskApi;
  beforeAll(async () => {
    desk = (await testDesk({ admin: false })).desk;
    api = createDeskHandlers(desk);
  });
  afterAll(() => desk.close());

  it('works as a single-user desk: the desk itself acts while its keys are unlocked', async () => {
    expect(await api.whoami({})).toEqual({ user: { name: 'desk', roles: ['admin'] }, mode: 'single-user', expiresAt: null, may: expect.arrayContaining(['sign', 'settingsSet', 'bulk']) });
    expect((await api.info({})).users).toBe(false);
    const r = await api.sign({ paths: [await jpeg('one.jpg')] });
    expect(r.receipts).toHaveLength(1);
    expect(await api.items({})).toHaveLength(1);
    expect(actions(desk, 'record.signed').at(-1)?.actor).toBe('desk');
  });

  it('lets the passphrase holder add the first user, who must be an admin; then everyone logs in', async () => {
    expect(await refusal(api.userAdd({ name: 'erin', roles: ['editor'], password: 'erin-tidal-lantern-42' }))).toBe('NOT_PERMITTED');
    const ada = await api.userAdd({ name: 'ada', roles: ['admin'], password: 'ada-tidal-lantern-42' });
    expect(ada).toMatchObject({ name: 'ada', roles: ['admin'], createdBy: 'desk', disabledAt: null });
    expect((await api.whoami({})).mode).toBe('users');
    expect(await refusal(api.items({}))).toBe('NOT_AUTHENTICATED');
  });
});

describe('a desk with users', () => {
  let desk: Desk;
  let host: DeskHost;
  let anon: DeskApi;
  let ada: DeskApi;
  let erin: DeskApi;
  let chris: DeskApi;
  let vic: DeskApi;
  let item: string;

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { erin: ['editor'], chris: ['editor', 'chief'], vic: ['viewer'] });
    host = new DeskHost(desk, { kind: 'test' });
    anon = host.api(memorySession());
    // One session per caller, as web mode keeps one per browser.
    [ada, erin, chris, vic] = [host.api(memorySession()), host.api(memorySession()), host.api(memorySession()), host.api(memorySession())];
    await ada.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
    await erin.login({ name: 'erin', password: 'erin-tidal-lantern-42' });
    await chris.login({ name: 'chris', password: 'chris-tidal-lantern-42' });
    await vic.login({ name: 'vic', password: 'vic-tidal-lantern-42' });
  });
  afterAll(async () => {
    await host.close();
    desk.close();
  });

  it('asks who is acting before any read or act, but lets anyone verify', async () => {
    expect(await anon.whoami({})).toEqual({ user: null, mode: 'users', expiresAt: null, may: ['info', 'unlock', 'login', 'logout', 'whoami', 'pickFiles', 'pickFolder', 'verify', 'progress', 'publicRecord'] });
    expect((await anon.info({})).users).toBe(true);
    for (const call of [anon.items({}), anon.queue({}), anon.auditList({}), anon.users({}), anon.settings({}), anon.sign({ paths: ['/x.jpg'] })]) {
      expect(await refusal(call)).toBe('NOT_AUTHENTICATED');
    }
    const report = await anon.verify({ path: await jpeg('stranger.jpg', 'astronaut.png') });
    expect(report.verdict).toBe('unknown');
    expect(actions(desk, 'record.verified').at(-1)?.actor).toBe('anonymous');
  });

  it('refuses a wrong password with NOT_AUTHENTICATED and records the attempt', async () => {
    const s = host.api(memorySession());
    expect(await refusal(s.login({ name: 'erin', password: 'not-her-tidal-lantern-42' }))).toBe('NOT_AUTHENTICATED');
    expect(actions(desk, 'auth.login_failed').at(-1)).toMatchObject({ subject: 'erin', details: { reason: 'wrong password' } });
    expect((await s.whoami({})).user).toBeNull();
  });

  it('signs as the logged-in user; a viewer may not sign', async () => {
    expect((await erin.whoami({})).user).toEqual({ name: 'erin', roles: ['editor'] });
    const r = await erin.sign({ paths: [await jpeg('harbour.jpg')] });
    item = r.receipts[0]!.recordId;
    expect(actions(desk, 'record.signed').at(-1)).toMatchObject({ actor: 'erin', subject: item });
    expect(await refusal(vic.sign({ paths: [await jpeg('v.jpg')] }))).toBe('NOT_PERMITTED');
  });

  it('takes an item through approval to published, each step by the user of its session', async () => {
    const draft = await erin.item({ id: item });
    expect(draft.workflow.state).toBe('draft');
    expect(draft.workflow.can).toEqual(['submit']);
    expect((await vic.item({ id: item })).workflow.can).toEqual([]);

    const submitted = await erin.submit({ id: item, note: 'front page' });
    expect(submitted).toMatchObject({ state: 'in_review', stage: 'desk', submittedBy: 'erin' });
    // Four-eyes: the submitter cannot approve her own item, and the machine's can() says so first.
    expect(submitted.can).not.toContain('approve');
    expect(await refusal(erin.approve({ id: item }))).toBe('NOT_PERMITTED');
    expect((await erin.queue({ scope: 'mine' })).map((q) => q.item.id)).not.toContain(item);
    expect((await erin.queue({ scope: 'all' })).map((q) => q.item.id)).toContain(item);

    const queue = await chris.queue({ scope: 'mine' });
    expect(queue.map((q) => q.item.id)).toEqual([item]);
    expect(queue[0]!.status.can).toContain('approve');
    expect(await chris.approve({ id: item, comment: 'good' })).toMatchObject({ state: 'in_review', stage: 'chief' });
    expect(await chris.approve({ id: item })).toMatchObject({ state: 'approved' });
    const { status, publication } = await chris.publish({ id: item });
    expect(status.state).toBe('published');
    expect(publication.id).toMatch(/^pub_/);

    const history = (await ada.item({ id: item })).workflow.history.map((h) => `${h.actor}:${h.event}`);
    expect(history).toEqual(['erin:submit', 'chris:approve', 'chris:approve', 'chris:publish']);
    expect(actions(desk, 'workflow.publish').at(-1)).toMatchObject({ actor: 'chris', subject: item });
    expect((await ada.items({ state: 'published' })).map((i) => i.id)).toEqual([item]);
  });

  it('keeps comments on an item in the audit log, by their author; a viewer only reads them', async () => {
    const c = await chris.comment({ id: item, text: '  Is the caption cleared?  ' });
    expect(c).toMatchObject({ by: 'chris', text: 'Is the caption cleared?' });
    expect((await erin.item({ id: item })).comments).toEqual([c]);
    expect((await vic.item({ id: item })).comments).toEqual([c]);
    expect([...auditEntries(desk.store, { subject: item })].find((e) => e.seq === c.seq)).toMatchObject({ action: 'item.commented', actor: 'chris' });
    expect(await refusal(vic.comment({ id: item, text: 'me too' }))).toBe('NOT_PERMITTED');
    expect(await refusal(erin.comment({ id: item, text: '   ' }))).toBe('INVALID_ARGUMENT');
    expect(await refusal(erin.comment({ id: 'rec_00000000000000000000000000', text: 'hm' }))).toBe('NOT_FOUND');
  });

  it('lets only admins change settings, certificates, trust and templates', async () => {
    expect(await refusal(erin.settingsSet({ hybridPq: true }))).toBe('NOT_PERMITTED');
    expect(await refusal(erin.trustAdd({ pem: (await ada.certificates({})).orgRootPem! }))).toBe('NOT_PERMITTED');
    const news = (await erin.templates({})).find((t) => t.template.name === 'news')!.template;
    expect(await refusal(erin.templateSave({ template: { ...news, name: 'quick' } }))).toBe('NOT_PERMITTED');

    expect((await ada.settingsSet({ hybridPq: true })).hybridPq).toBe(true);
    expect(actions(desk, 'settings.changed').at(-1)).toMatchObject({ actor: 'ada', subject: 'pq.enabled' });
    await ada.settingsSet({ hybridPq: false });

    const saved = await ada.templateSave({ template: { ...news, name: 'quick', stages: [{ id: 'desk', roles: ['chief'], quorum: 1 }] } });
    expect(saved).toMatchObject({ version: 1, updatedBy: 'ada', template: { name: 'quick' } });
    expect(await refusal(ada.templateSave({ template: { ...news, stages: [] } }))).toBe('INVALID_ARGUMENT');
  });

  it('describes the certificates and adds trust anchors that are certificates, nothing else', async () => {
    const certs = await vic.certificates({});
    expect(certs.chain.length).toBeGreaterThan(0);
    expect(certs.chain[0]!.subject).toContain('Test Newsroom');
    expect(certs.anchors.map((a) => a.sha256)).toHaveLength(1);
    expect(certs.orgRootPem).toMatch(/BEGIN CERTIFICATE/);
    expect(await refusal(ada.trustAdd({ pem: 'not a certificate' }))).toBe('INVALID_ARGUMENT');
    expect(await ada.trustAdd({ pem: certs.chain.map((c) => c.pem).join('') })).toEqual({ added: certs.chain.length, already: 0 });
    expect((await vic.certificates({})).anchors.length).toBe(1 + certs.chain.length);
  });

  it('manages users through the directory: roles, disabling, and a disabled user stops at once', async () => {
    expect(await refusal(erin.userAdd({ name: 'mal', roles: ['admin'], password: 'mal-tidal-lantern-42' }))).toBe('NOT_PERMITTED');
    await ada.userAdd({ name: 'lee', roles: ['legal'], password: 'lee-tidal-lantern-42' });
    const lee = host.api(memorySession());
    await lee.login({ name: 'lee', password: 'lee-tidal-lantern-42' });
    expect((await ada.userSetRoles({ name: 'lee', roles: ['legal', 'viewer'] })).roles).toEqual(['legal', 'viewer']);
    expect((await lee.whoami({})).user?.roles).toEqual(['legal', 'viewer']);
    await ada.userDisable({ name: 'lee' });
    expect(await refusal(lee.items({}))).toBe('NOT_AUTHENTICATED');
    expect((await lee.whoami({})).user).toBeNull();
  });

  it('ends a session at logout', async () => {
    const s = host.api(memorySession());
    await s.login({ name: 'vic', password: 'vic-tidal-lantern-42' });
    expect((await s.logout({})).loggedOut).toBe(true);
    expect(await refusal(s.items({}))).toBe('NOT_AUTHENTICATED');
    expect(actions(desk, 'auth.logout').at(-1)?.actor).toBe('vic');
  });

  it('offers native dialogs and "show in folder" only where the host has them', async () => {
    expect(await refusal(ada.pickFiles({ purpose: 'sign' }))).toBe('NOT_PERMITTED');
    expect(await refusal(ada.reveal({ id: item }))).toBe('NOT_PERMITTED');
    const shown: string[] = [];
    const electronLike = new DeskHost(desk, {
      kind: 'electron',
      dialogs: { pickFiles: async ({ multiple }) => (multiple ? ['/a.jpg', '/b.jpg'] : ['/a.jpg']), pickFolder: async () => null },
      reveal: (p) => shown.push(p),
    }).api(memorySession());
    await electronLike.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
    expect((await electronLike.info({})).host).toEqual({ kind: 'electron', nativeDialogs: true });
    expect(await electronLike.pickFiles({ purpose: 'sign', multiple: true })).toEqual({ paths: ['/a.jpg', '/b.jpg'] });
    expect(await electronLike.pickFolder({ purpose: 'watch' })).toEqual({ path: null });
    await electronLike.reveal({ id: item, published: true });
    await electronLike.reveal({ id: item });
    const record = (await ada.item({ id: item })).record;
    expect(shown).toEqual([(await ada.item({ id: item })).workflow.publication!.output, record.outputPath]);
  });
});
