// The DeskApi's data methods over a real desk: library filters, thumbnails, the audit log (page, check, export),
// watched folders run by the host's engine, and a locked desk.
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl } from '../core/audit/export.ts';
import { memorySession } from '../core/api/context.ts';
import type { DeskApi } from '../core/api/desk-api.ts';
import { DeskHost, createDeskHandlers } from '../core/api/handlers.ts';
import { THUMBNAIL_DIR } from '../core/api/thumbnails.ts';
import { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { photo } from './fixtures/photos.ts';
import { makeSlideshow } from './fixtures/video.ts';
import { tempDir } from './helpers/cli.ts';
import { CHEAP, PASSPHRASE, addUsers, testDesk } from './helpers/workflow-desk.ts';

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

let desk: Desk;
let home: string;
let host: DeskHost;
let ada: DeskApi;
let erin: DeskApi;
const ids: Record<string, string> = {};

beforeAll(async () => {
  const t = await testDesk();
  desk = t.desk;
  home = t.home;
  await addUsers(desk, t.admin, { erin: ['editor'], chris: ['chief'] });
  host = new DeskHost(desk, { kind: 'test', watch: { engine: { rescanMs: 500 } } });
  ada = host.api(memorySession());
  erin = host.api(memorySession());
  await ada.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
  await erin.login({ name: 'erin', password: 'erin-tidal-lantern-42' });
  const dir = tempDir();
  for (const [name, from, day] of [['harbour.jpg', 'coffee.png', '2025-03-01'], ['cat.png', 'chelsea.png', '2025-03-05'], ['rocket.jpg', 'rocket.jpg', '2025-04-10']] as const) {
    const src = join(dir, name);
    await sharp(photo(from)).toFile(src);
    ids[name] = (await desk.sign(src, { now: new Date(`${day}T10:00:00Z`), actor: { name: 'erin', roles: ['editor'] } })).recordId;
  }
  await erin.submit({ id: ids['cat.png']! });
});
afterAll(async () => {
  await host.close();
  desk.close();
});

describe('the library', () => {
  it('finds items by name or id, by day, and by workflow state', async () => {
    const names = async (args: Parameters<DeskApi['items']>[0]) => (await erin.items(args)).map((i) => i.inputName).sort();
    expect(await names({})).toEqual(['cat.png', 'harbour.jpg', 'rocket.jpg']);
    expect(await names({ search: 'HARB' })).toEqual(['harbour.jpg']);
    expect(await names({ search: ids['rocket.jpg']!.slice(0, 20) })).toEqual(['rocket.jpg']);
    expect(await names({ from: '2025-03-02', to: '2025-03-31' })).toEqual(['cat.png']);
    expect(await names({ to: '2025-03-05' })).toEqual(['cat.png', 'harbour.jpg']);
    expect(await names({ state: 'in_review' })).toEqual(['cat.png']);
    expect(await names({ state: 'unsubmitted' })).toEqual(['harbour.jpg', 'rocket.jpg']);
    expect(await names({ limit: 1 })).toHaveLength(1);
    const cat = (await erin.items({ search: 'cat' }))[0]!;
    expect(cat.workflow).toMatchObject({ state: 'in_review', stage: 'desk' });
  });

  it('makes a small JPEG preview once and serves it from the cache after', async () => {
    const { dataUrl } = await erin.thumbnail({ id: ids['harbour.jpg']!, size: 96 });
    const jpeg = Buffer.from(dataUrl!.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBe(96);
    const cached = join(home, THUMBNAIL_DIR, `${ids['harbour.jpg']}-96.jpg`);
    expect(existsSync(cached)).toBe(true);
    // Served from the cache: a different file in its place is what comes back.
    const other = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).jpeg().toBuffer();
    writeFileSync(cached, other);
    expect((await erin.thumbnail({ id: ids['harbour.jpg']!, size: 96 })).dataUrl).toBe(`data:image/jpeg;base64,${other.toString('base64')}`);
  });

  it('has no preview for an item whose files are gone, and none for an unknown id', async () => {
    const r = desk.items().find((i) => i.id === ids['rocket.jpg'])!;
    rmSync(r.outputPath!);
    rmSync(r.inputPath!);
    expect(await erin.thumbnail({ id: r.id })).toEqual({ dataUrl: null });
    expect(await refusal(erin.thumbnail({ id: 'rec_00000000000000000000000000' }))).toBe('NOT_FOUND');
  });
});

describe('the audit log', () => {
  it('pages newest first, filtered by actor, action prefix, subject and day', async () => {
    const all = await ada.auditList({});
    expect(all.entries.map((e) => e.seq)).toEqual([...all.entries.map((e) => e.seq)].sort((a, b) => b - a));
    expect(all.total).toBe(all.entries.length);
    expect(all.actions).toContain('workflow.submit');

    const signed = await ada.auditList({ action: 'record.signed', limit: 2 });
    expect(signed.entries.map((e) => e.subject)).toEqual([ids['rocket.jpg'], ids['cat.png']]);
    expect(signed.next).toBe(signed.entries[1]!.seq);
    const older = await ada.auditList({ action: 'record.signed', limit: 2, before: signed.next! });
    expect(older.entries.map((e) => e.subject)).toEqual([ids['harbour.jpg']]);
    expect(older.next).toBeNull();

    expect((await ada.auditList({ action: 'workflow.' })).entries.map((e) => e.action)).toEqual(['workflow.submit']);
    expect((await ada.auditList({ actor: 'erin', subject: ids['cat.png']! })).entries.map((e) => e.action)).toEqual(['workflow.submit', 'record.signed']);
    expect((await ada.auditList({ action: 'record.signed', from: '2025-04-01' })).entries.map((e) => e.subject)).toEqual([ids['rocket.jpg']]);
  });

  it('exports JSON Lines that verify offline, recording the export itself first', async () => {
    const r = await erin.auditExport({ format: 'jsonl' });
    expect(r.filename).toMatch(/^custody-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const entries = parseJsonl(r.content);
    expect(entries).toHaveLength(r.entries);
    expect(entries.at(-1)).toMatchObject({ actor: 'erin', action: 'audit.exported', details: { format: 'jsonl' } });
    const csv = await erin.auditExport({ format: 'csv' });
    expect(csv.content.split('\n')[0]).toBe('seq,at,actor,action,subject,details,prev_hash,hash,key_id,signature');
    expect(csv.entries).toBe(r.entries + 1);
  });

  it('checks the log, and names the first entry edited behind its back', async () => {
    expect(await erin.auditVerify({})).toMatchObject({ ok: true, firstBad: null, workflow: { items: 1, problems: [] } });
    const seq = (await ada.auditList({ action: 'record.signed', limit: 1 })).entries[0]!.seq;
    // Someone with the database file: the append-only trigger is no obstacle to them.
    desk.store.exec('DROP TRIGGER audit_log_no_edit');
    desk.store.run(sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = ${seq}`);
    const broken = await erin.auditVerify({});
    expect(broken.ok).toBe(false);
    expect(broken.firstBad).toMatchObject({ seq, kind: 'changed' });
    desk.store.run(sql`UPDATE audit_log SET actor = 'erin' WHERE seq = ${seq}`);
    expect((await erin.auditVerify({})).ok).toBe(true);
  });
});

describe('watched folders', () => {
  it('adds a folder, signs what lands in it, shows it live, stops and removes it; editors and admins only', async () => {
    const root = tempDir();
    const inDir = join(root, 'card');
    const outDir = join(root, 'signed');
    mkdirSync(inDir);
    const viewer = host.api(memorySession());
    await ada.userAdd({ name: 'vic', roles: ['viewer'], password: 'vic-tidal-lantern-42' });
    await viewer.login({ name: 'vic', password: 'vic-tidal-lantern-42' });
    expect(await refusal(viewer.watchAdd({ path: inDir, outDir }))).toBe('NOT_PERMITTED');
    // Until an admin sets the allowed roots, no folder may be watched; an editor may not set them.
    expect(await refusal(erin.watchAdd({ path: inDir, outDir }))).toBe('PATH_NOT_ALLOWED');
    expect(await refusal(erin.settingsSet({ allowedRoots: [root] }))).toBe('NOT_PERMITTED');
    expect((await ada.settingsSet({ allowedRoots: [root] })).allowedRoots).toEqual([realpathSync(root)]);

    const folder = await erin.watchAdd({ path: inDir, outDir, stableMs: 100 });
    expect(folder).toMatchObject({ status: 'running', outDir: expect.stringContaining('signed'), jobs: {}, recent: [] });
    await sharp(photo('astronaut.png')).jpeg().toFile(join(inDir, 'frame 1.jpg'));
    await expect.poll(async () => (await viewer.watchFolders({}))[0]?.recent[0]?.status, { timeout: 20_000, interval: 200 }).toBe('signed');
    const [seen] = await viewer.watchFolders({});
    expect(seen!.jobs).toEqual({ done: 1 });
    expect(seen!.recent[0]).toMatchObject({ path: 'frame 1.jpg', recordId: expect.stringMatching(/^rec_/) });
    expect(readdirSync(inDir)).toEqual([]);

    expect((await erin.watchStop({ id: folder.id })).status).toBe('stopped');
    expect((await erin.watchStart({ id: folder.id })).status).toBe('running');
    expect(await erin.watchRemove({ id: folder.id })).toEqual({ removed: folder.id });
    expect(await viewer.watchFolders({})).toEqual([]);
    const log = (await ada.auditList({ subject: folder.id })).entries.map((e) => `${e.actor}:${e.action}`);
    expect(log).toEqual(['erin:watch.folder_removed', 'erin:watch.folder_added']);
  });

  it('refuses folders that overlap, with the reason', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'in'));
    await ada.settingsSet({ allowedRoots: [root] });
    const e = await erin.watchAdd({ path: join(root, 'in'), outDir: join(root, 'in', 'out'), start: false }).catch((x: { code: string; message: string }) => x);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('long work', () => {
  it("reports a video's signing progress under the caller's key while it runs, and nothing after", async () => {
    const src = join(tempDir(), 'long.mp4');
    await makeSlideshow(src, { width: 320, height: 240, fps: 25, seconds: 30 });
    const key = 'k-0123456789abcdef';
    expect(await erin.progress({ key })).toBeNull();
    const seen: { phase: string; percent: number; doneSec: number; totalSec: number }[] = [];
    let done = false;
    const poll = (async () => {
      while (!done) {
        const p = await erin.progress({ key });
        if (p) seen.push(p);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const r = await erin.sign({ paths: [src], progressKey: key });
    done = true;
    await poll;
    expect(r.receipts[0]?.video).toMatchObject({ segments: 6 });
    const ticks = seen.filter((p) => p.totalSec > 0);
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.every((p) => Math.abs(p.totalSec - 30) < 1 && p.doneSec >= 0 && p.doneSec <= p.totalSec)).toBe(true);
    // the board's figure only moves forward while the video is signed
    expect(seen.every((p, i) => p.percent >= 0 && p.percent <= 100 && (i === 0 || p.percent >= seen[i - 1]!.percent))).toBe(true);
    expect(seen.some((p) => p.percent > 0 && p.percent < 100)).toBe(true);
    expect(await erin.progress({ key })).toBeNull();
  });
});

describe('a locked desk', () => {
  it('reads without the keys, refuses acts that need them with KEY_LOCKED, and unlocks with the passphrase', async () => {
    const t = await testDesk({ admin: false });
    t.desk.close();
    const locked = Desk.open(t.home, { passwordParams: CHEAP });
    try {
      const api = createDeskHandlers(locked);
      expect((await api.info({})).unlocked).toBe(false);
      expect((await api.whoami({})).user).toBeNull();
      expect(await api.items({})).toEqual([]);
      const src = join(tempDir(), 'a.png');
      await sharp(photo('coffee.png')).toFile(src);
      expect(await refusal(api.sign({ paths: [src] }))).toBe('KEY_LOCKED');
      expect(await refusal(api.auditExport({ format: 'jsonl' }))).toBe('KEY_LOCKED');
      expect(await refusal(api.unlock({ passphrase: 'wrong' }))).toBe('KEY_LOCKED');
      expect(await api.unlock({ passphrase: PASSPHRASE })).toEqual({ unlocked: true });
      expect((await api.whoami({})).user?.name).toBe('desk');
    } finally {
      locked.close();
    }
  });
});
