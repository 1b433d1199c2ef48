// Issue 17: web mode (`custody web`) runs the hub sync worker as the desktop app's main process does: a record
// signed while the server runs reaches the hub without `custody sync`, a locked desk starts syncing at its unlock,
// and closing the server stops the worker.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { inProcessHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let web: WebServer | null = null;
let dir: string;

beforeAll(async () => {
  hub = await inProcessHub('Daily Planet');
  desk = await tempDesk('Daily Planet', 'web sync passphrase');
  dir = tempDir('custody-web-sync-');
  await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(), name: 'web desk' });
}, 60_000);
afterAll(async () => {
  await web?.close();
  desk?.close();
  await hub?.close();
});

async function signOne(d: Desk, i: number): Promise<string> {
  const p = join(dir, `p${i}.png`);
  await sharp(photo('coffee.png')).resize(240 + i * 16).png().toFile(p);
  return (await d.sign(p, { actor: d.bootstrapActor()!, outDir: join(dir, 'out') })).recordId;
}

async function onHub(id: string, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await hub.records()).some((r) => r.id === id)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('web mode syncs with the hub', { timeout: 90_000 }, () => {
  it('pushes what is queued at start and each record signed while it serves; stops with the server', async () => {
    const before = await signOne(desk, 1);
    const lines: string[] = [];
    web = await startWebServer(desk, { rendererDir: dir, log: (l) => lines.push(l) });
    expect(desk.hub.running).not.toBeNull();
    expect(await onHub(before)).toBe(true);
    const during = await signOne(desk, 2);
    expect(await onHub(during)).toBe(true);
    expect(lines.some((l) => /^custody web: hub: \d+ record\(s\) pushed/.test(l))).toBe(true);
    await web.close();
    web = null;
    expect(desk.hub.running).toBeNull();
    const after = await signOne(desk, 3);
    expect(await onHub(after, 1500)).toBe(false);
  });

  it('a desk served locked starts syncing when it is unlocked through the API', async () => {
    const home = desk.home;
    desk.close();
    desk = Desk.open(home);
    const queued = desk.store.get<{ ref: string }>({ text: "SELECT ref FROM outbox WHERE kind = 'record' AND state = 'pending' ORDER BY seq DESC LIMIT 1", params: [] })!.ref;
    web = await startWebServer(desk, { rendererDir: dir, log: () => {} });
    expect(desk.hub.running).toBeNull();
    const base = new URL(web.url).origin;
    const res = await fetch(`${base}/api/unlock`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, origin: base, 'content-type': 'application/json' }, body: JSON.stringify({ passphrase: 'web sync passphrase' }) });
    expect(res.status, await res.text()).toBe(200);
    expect(desk.hub.running).not.toBeNull();
    expect(await onHub(queued)).toBe(true);
  });
});
