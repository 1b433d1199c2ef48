// Web mode over real HTTP: token, Host check, the DeskApi routes, upload → sign → verify → download, and one login
// session per browser (a cookie) on a desk with users.
import { readFileSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { webBrowser } from './helpers/web-browser.ts';
import { tempDesk } from './helpers/desk.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

let desk: Desk;
let web: WebServer;
let base: string;

beforeAll(async () => {
  desk = await tempDesk('Web Desk');
  const rendererDir = tempDir();
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
  web = await startWebServer(desk, { rendererDir, maxUploadBytes: 4 << 20 });
  base = new URL(web.url).origin;
});
afterAll(async () => {
  await web.close();
  desk.close();
});

const call = (method: string, args: unknown, token: string | null = web.token) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(args) });

describe('web mode', () => {
  it('prints a loopback URL with the token', () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('answers 401 to /api/ without the token or with another one', async () => {
    expect((await call('info', {}, null)).status).toBe(401);
    expect((await call('info', {}, 'x'.repeat(32))).status).toBe(401);
    expect((await fetch(`${base}/files/rec_x`)).status).toBe(401);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      const req = request(`${base}/api/info`, { method: 'POST', headers: { host: 'evil.example', authorization: `Bearer ${web.token}` } }, (res) => resolve(res.statusCode ?? 0));
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('serves the renderer and sets the token cookie on the first visit', async () => {
    const res = await fetch(web.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Custody</title>');
    expect(res.headers.get('set-cookie')).toMatch(/custody_token=.*HttpOnly; SameSite=Strict/);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const info = await fetch(`${base}/api/info`, { method: 'POST', headers: { cookie }, body: '{}' });
    expect(info.status).toBe(200);
  });

  it('sends the content security policy with the page, allowing data: images and nothing from elsewhere', async () => {
    const csp = (await fetch(web.url)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toMatch(/unsafe-eval|\*/);
  });

  it('validates arguments: 400 with INVALID_ARGUMENT, 404 for unknown methods', async () => {
    const bad = await call('verify', { path: 42 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect((await call('dropTables', {})).status).toBe(404);
    const notJson = await fetch(`${base}/api/info`, { method: 'POST', headers: { authorization: `Bearer ${web.token}` }, body: '{nope' });
    expect(notJson.status).toBe(400);
  });

  it('uploads, signs, verifies and downloads a photo', async () => {
    const png = await sharp(photo('chelsea.png')).png().toBuffer();
    const up = await fetch(`${base}/api/upload`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'x-file-name': encodeURIComponent('../../chelsea cat.png') }, body: png });
    const { result } = (await up.json()) as { result: { path: string } };
    expect(result.path.startsWith(join(desk.home, 'uploads'))).toBe(true);
    expect(result.path.endsWith('chelsea cat.png')).toBe(true);

    const signed = (await (await call('sign', { paths: [result.path] })).json()) as { ok: true; result: { receipts: { recordId: string; outputSha256: string }[] } };
    const receipt = signed.result.receipts[0]!;
    const dl = await fetch(`${base}/files/${receipt.recordId}`, { headers: { authorization: `Bearer ${web.token}` } });
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(receipt.outputSha256);

    const up2 = await fetch(`${base}/api/upload`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'x-file-name': 'copy.png' }, body: bytes });
    const copy = ((await up2.json()) as { result: { path: string } }).result.path;
    const report = (await (await call('verify', { path: copy })).json()) as { result: { verdict: string; recordId: string } };
    expect(report.result).toMatchObject({ verdict: 'authentic', recordId: receipt.recordId });
    expect(readFileSync(copy).equals(bytes)).toBe(true);
  });
});

describe('web mode uploads', () => {
  it('refuses an upload over the limit with 413 FILE_TOO_LARGE and leaves no partial file', async () => {
    const res = await fetch(`${base}/api/upload`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'x-file-name': 'huge.mp4' }, body: Buffer.alloc(5 << 20) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'FILE_TOO_LARGE' } });
    const { readdirSync } = await import('node:fs');
    const left = readdirSync(join(desk.home, 'uploads'), { recursive: true }).map(String).filter((f) => f.endsWith('huge.mp4'));
    expect(left).toEqual([]);
  });

  it('refuses a malformed file name with 400, and never writes outside the uploads folder', async () => {
    const bad = await fetch(`${base}/api/upload`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'x-file-name': '%E0%A4%A' }, body: 'x' });
    expect(bad.status).toBe(400);
    const dots = await fetch(`${base}/api/upload`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'x-file-name': '..' }, body: 'x' });
    const { result } = (await dots.json()) as { result: { path: string } };
    expect(result.path.startsWith(join(desk.home, 'uploads'))).toBe(true);
    expect(result.path.endsWith('upload.bin')).toBe(true);
  });
});

describe('web mode on a desk with users', () => {
  let desk: Desk;
  let web: WebServer;
  let base: string;

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { erin: ['editor'], chris: ['editor', 'chief'] });
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    web = await startWebServer(desk, { rendererDir });
    base = new URL(web.url).origin;
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  const browser = () => webBrowser(web);

  it('answers 401 NOT_AUTHENTICATED to a browser that has the token but no login', async () => {
    const b = browser();
    expect(await b('items')).toMatchObject({ status: 401, body: { ok: false, error: { code: 'NOT_AUTHENTICATED' } } });
    expect((await b('info')).body.result.users).toBe(true);
  });

  it('keeps one login per browser in an HttpOnly cookie, and ends it at logout', async () => {
    const erin = browser();
    const chris = browser();
    const login = await erin('login', { name: 'erin', password: 'erin-password' });
    expect(login.status).toBe(200);
    expect(login.set).toMatch(/^custody_session=[\w-]{20,}; HttpOnly; SameSite=Strict; Path=\/$/);
    await chris('login', { name: 'chris', password: 'chris-password' });
    expect((await erin('whoami')).body.result.user.name).toBe('erin');
    expect((await chris('whoami')).body.result.user.name).toBe('chris');

    const out = await erin('logout');
    expect(out.set).toMatch(/^custody_session=; .*Max-Age=0/);
    expect((await erin('items')).status).toBe(401);
    expect((await chris('items')).status).toBe(200);
    expect((await browser()('login', { name: 'erin', password: 'wrong-password' })).status).toBe(401);
  });

  it('hands out signed and published files only to a logged-in browser', async () => {
    const erin = browser();
    const chris = browser();
    await erin('login', { name: 'erin', password: 'erin-password' });
    const chrisLogin = await chris('login', { name: 'chris', password: 'chris-password' });
    const src = join(tempDir(), 'pier.png');
    await sharp(photo('coffee.png')).toFile(src);
    const id = (await erin('sign', { paths: [src] })).body.result.receipts[0].recordId as string;
    await erin('submit', { id });
    expect((await erin('approve', { id })).body.error?.code).toBe('NOT_PERMITTED');
    await chris('approve', { id });
    await chris('approve', { id });
    const pub = (await chris('publish', { id })).body.result.publication as { output: string; sha256: string };

    const auth = { authorization: `Bearer ${web.token}` };
    expect((await fetch(`${base}/files/${id}`, { headers: auth })).status).toBe(401);
    const cookie = chrisLogin.set!.split(';')[0]!;
    const dl = await fetch(`${base}/files/${id}?published=1`, { headers: { ...auth, cookie } });
    expect(dl.status).toBe(200);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(Buffer.from(await dl.arrayBuffer())).digest('hex')).toBe(pub.sha256);
  });
});
