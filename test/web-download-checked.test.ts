// A signed copy goes out only while it holds the bytes that were signed (found in review): an editor who could write
// the output folder put a link to the desk's own database where their signed copy was, and web mode's download sent
// the database, with every user's password hash. Now the download, the ZIP of a selection and the Library's preview
// open the file once, check its hash and read through the same handle; a link or another file is refused.
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { webClient } from './helpers/web-client.ts';

const SQLITE = Buffer.from('SQLite format 3\0', 'latin1');

let desk: Desk;
let web: WebServer;
let ed: ReturnType<typeof webClient>;
let root: string;
let signed: { recordId: string; output: string };
let signedBytes: Buffer;

beforeAll(async () => {
  desk = await tempDesk();
  root = tempDir();
  const out = join(root, 'out');
  mkdirSync(out);
  const admin = desk.bootstrapActor()!;
  desk.setAllowedRoots(admin, [root]);
  await desk.directory.addUser(admin, { name: 'ada', roles: ['admin'], password: 'ada-tidal-lantern-42-1' });
  await desk.directory.addUser({ name: 'ada', roles: ['admin'] }, { name: 'ed', roles: ['editor'], password: 'ed-tidal-lantern-42-1' });
  web = await startWebServer(desk, { rendererDir: tempDir(), log: () => undefined });
  ed = webClient(web);
  expect((await ed.call('login', { name: 'ed', password: 'ed-tidal-lantern-42-1' })).body.ok).toBe(true);
  const src = join(root, 'pic.png');
  await sharp(photo('astronaut.png')).toFile(src);
  const answer = await ed.call('sign', { paths: [src], outDir: out });
  signed = answer.body.result.receipts[0] as { recordId: string; output: string };
  signedBytes = readFileSync(signed.output);
}, 120_000);

afterAll(async () => {
  await web?.close();
  desk?.close();
});

/** The selection's ZIP as web mode's page asks for it: the body, or null when the download was broken off. */
async function zipOf(ids: string[]): Promise<Buffer | null> {
  const headers = { authorization: `Bearer ${web.token}`, origin: ed.base, cookie: ed.cookie(), 'content-type': 'application/json' };
  const t = await fetch(`${ed.base}/files/zip/ticket`, { method: 'POST', headers, body: JSON.stringify({ ids, published: false }) });
  const { result } = (await t.json()) as { result: { url: string } };
  try {
    return Buffer.from(await (await fetch(`${ed.base}${result.url}`, { headers: { cookie: ed.cookie() } })).arrayBuffer());
  } catch {
    return null;
  }
}

/** The signed copy's download refused as not holding the signed bytes (saying `why`), with none of the database's. */
async function expectRefused(why: string): Promise<void> {
  const res = await ed.download(signed.recordId);
  const body = Buffer.from(await res.arrayBuffer());
  expect(res.status).toBe(409);
  expect(body.includes(SQLITE)).toBe(false);
  expect(JSON.parse(body.toString('utf8'))).toMatchObject({ ok: false, error: { code: 'INTEGRITY_FAILED', message: expect.stringContaining(why) } });
}

const restore = () => {
  rmSync(signed.output, { force: true });
  copyFileSync(join(root, 'kept.png'), signed.output);
};

describe('downloading a signed copy', () => {
  it('sends the signed bytes, and the ZIP holds them', async () => {
    copyFileSync(signed.output, join(root, 'kept.png'));
    const res = await ed.download(signed.recordId);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(signedBytes)).toBe(true);
    const zip = await zipOf([signed.recordId]);
    expect(zip!.includes(signedBytes.subarray(0, 4096))).toBe(true);
  });

  it('refuses a link put where the signed copy was, and sends none of what it leads to', async () => {
    rmSync(signed.output);
    symlinkSync(join(desk.home, 'desk.db'), signed.output);
    try {
      await expectRefused('a link to another file');
      // the ZIP is broken off before the entry's bytes
      const zip = await zipOf([signed.recordId]);
      expect(zip?.includes(SQLITE) ?? false).toBe(false);
    } finally {
      restore();
    }
  });

  it('refuses another file copied over the signed copy, and its preview is not made from it', async () => {
    rmSync(signed.output);
    copyFileSync(join(desk.home, 'desk.db'), signed.output);
    try {
      await expectRefused('holds others');
    } finally {
      restore();
    }
    // another picture in its place: the preview comes from the original, which still holds its signed bytes, not
    // from the picture put there (a viewer sees previews)
    rmSync(signed.output);
    await sharp(photo('coffee.png')).png().toFile(signed.output);
    try {
      const thumb = await ed.call('thumbnail', { id: signed.recordId, size: 64 });
      const made = Buffer.from((thumb.body.result.dataUrl as string).split(',')[1]!, 'base64');
      const fromOriginal = await sharp(join(root, 'pic.png')).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
      const fromOther = await sharp(photo('coffee.png')).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
      const px = await sharp(made).raw().toBuffer();
      const diff = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - (b[i] ?? 0)), 0) / a.length;
      expect(diff(px, fromOriginal)).toBeLessThan(diff(px, fromOther));
    } finally {
      restore();
    }
    // and the file back as it was is sent again
    const again = await ed.download(signed.recordId);
    expect(Buffer.from(await again.arrayBuffer()).equals(signedBytes)).toBe(true);
  });
});
