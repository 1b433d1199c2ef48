// Web mode over real HTTP: token, Host check, the DeskApi routes, upload → sign → verify → download.
import { readFileSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import type { Desk } from '../core/desk.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let web: WebServer;
let base: string;

beforeAll(async () => {
  desk = await tempDesk('Web Desk');
  const rendererDir = tempDir();
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
  web = await startWebServer(desk, { rendererDir });
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
