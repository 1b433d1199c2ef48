// Signing the same file again asks first (issue 22): the desk refuses original bytes it already has a record of with
// ALREADY_SIGNED, naming the record, when it was signed and by whom, before anything is written; `again` signs them
// as a new record. The check is in core, so the DeskApi (and every front end over it) carries the answer per file.
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession } from '../core/api/context.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import type { Actor } from '../core/directory/roles.ts';
import { sql } from '../core/store/db.ts';
import { makeSlideshow } from './fixtures/video.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

let desk: Desk;
let users: Record<string, Actor>;
let dir: string;
let src: string;

const records = () => desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM records WHERE kind != 'segment'`)!.n;
const audit = () => [...auditEntries(desk.store)].length;

beforeAll(async () => {
  const t = await testDesk();
  desk = t.desk;
  users = await addUsers(desk, t.admin, { ed: ['editor'], cy: ['chief'] });
  dir = tempDir('custody-again-');
  src = join(dir, 'harbour.jpg');
  await sharp(photo('coffee.png')).jpeg({ quality: 90 }).toFile(src);
});
afterAll(() => desk.close());

describe('signing the same bytes again', () => {
  let first: Awaited<ReturnType<Desk['sign']>>;

  it('refuses bytes already signed, naming the record, when and by whom, and writes nothing', async () => {
    first = await desk.sign(src, { actor: users.ed!, outDir: join(dir, 'out') });
    // The same bytes under another name and folder are the same photo.
    const copy = join(tempDir(), 'renamed.jpg');
    copyFileSync(src, copy);
    const [n, entries] = [records(), audit()];
    const e = await desk.sign(copy, { actor: users.cy!, outDir: join(dir, 'out2') }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ALREADY_SIGNED', details: { recordId: first.recordId, signedAt: first.signedAt, by: 'ed', sha256: first.sha256 } });
    expect((e as Error).message).toContain(`record ${first.recordId}, signed ${first.signedAt} by ed`);
    expect(records()).toBe(n);
    expect(audit()).toBe(entries);
    expect(readdirSync(join(dir))).not.toContain('out2');
  });

  it('signs them as a new record when asked to sign again, and then names the newest record', async () => {
    const again = await desk.sign(src, { actor: users.cy!, outDir: join(dir, 'out'), again: true });
    expect(again.recordId).not.toBe(first.recordId);
    expect(again.sha256).toBe(first.sha256);
    expect(again.output).not.toBe(first.output);
    await expect(desk.sign(src, { actor: users.ed!, outDir: join(dir, 'out') })).rejects.toMatchObject({ code: 'ALREADY_SIGNED', details: { recordId: again.recordId, by: 'cy' } });
  });

  it('signs a re-encoded copy, or the signed copy itself, without asking: other bytes', async () => {
    const reencoded = join(dir, 'harbour-q80.jpg');
    await sharp(src).jpeg({ quality: 80 }).toFile(reencoded);
    await expect(desk.sign(reencoded, { actor: users.ed!, outDir: join(dir, 'out') })).resolves.toMatchObject({ recordId: expect.stringMatching(/^rec_/) });
    await expect(desk.sign(first.output, { actor: users.ed!, outDir: join(dir, 'out-of-signed') })).resolves.toMatchObject({ recordId: expect.stringMatching(/^rec_/) });
  });

  it('refuses a video signed before ahead of fingerprinting it, and signs it again when asked', async () => {
    const clip = join(dir, 'clip.mp4');
    await makeSlideshow(clip, { width: 320, height: 180, fps: 10, seconds: 6 });
    const v = await desk.sign(clip, { actor: users.ed!, outDir: join(dir, 'video') });
    let progressed = 0;
    const e = await desk.sign(clip, { actor: users.ed!, outDir: join(dir, 'video'), onProgress: () => void (progressed += 1) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ALREADY_SIGNED', details: { recordId: v.recordId, by: 'ed' } });
    expect(progressed).toBe(0);
    const again = await desk.sign(clip, { actor: users.ed!, outDir: join(dir, 'video'), again: true });
    expect(again.recordId).not.toBe(v.recordId);
    expect(again.video?.segments).toBe(v.video?.segments);
  }, 120_000);
});

describe('through the DeskApi', () => {
  it('reports the refusal per file with the record it names, and signs again when asked', async () => {
    const host = new DeskHost(desk, { kind: 'test' });
    try {
      const api = host.api(memorySession());
      await api.login({ name: 'ed', password: 'ed-tidal-lantern-42' });
      const fresh = join(dir, 'fresh.png');
      writeFileSync(fresh, await sharp(photo('astronaut.png')).png().toBuffer());
      const r = await api.sign({ paths: [src, fresh], outDir: join(dir, 'api') });
      expect(r.receipts.map((x) => x.input)).toEqual([fresh]);
      expect(r.failures).toEqual([
        { path: src, code: 'ALREADY_SIGNED', message: expect.stringContaining('sign it again'), already: { recordId: expect.stringMatching(/^rec_/), signedAt: expect.any(String), by: 'cy' } },
      ]);
      const again = await api.sign({ paths: [src], outDir: join(dir, 'api'), again: true });
      expect(again.failures).toEqual([]);
      expect(again.receipts).toHaveLength(1);
    } finally {
      await host.close();
    }
  });
});
