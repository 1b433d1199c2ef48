// Web mode over real HTTP: the token header, Host and Origin checks, the DeskApi routes, upload → sign → verify →
// download, uploads kept private and deleted, paths confined to uploads and the allowed roots, and one login
// session per browser (a cookie) on a desk with users. The browser attacks are in test/ui/web-attacks.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import type { Desk } from '../core/desk.ts';
import { setSetting } from '../core/store/settings.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { webClient, type Answer } from './helpers/web-client.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

const client = webClient;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('web mode on a desk without users', () => {
  let desk: Desk;
  let web: WebServer;
  let page: ReturnType<typeof client>;
  let base: string;
  const logged: string[] = [];

  beforeAll(async () => {
    desk = await tempDesk('Web Desk');
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    web = await startWebServer(desk, { rendererDir, log: (l) => logged.push(l) });
    page = client(web);
    base = page.base;
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  const post = (method: string, headers: Record<string, string>, body = '{}') => fetch(`${base}/api/${method}`, { method: 'POST', headers, body });

  it('prints a loopback URL with the token', () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('answers 401 without the token header: not from a cookie, not from the URL', async () => {
    const json = { 'content-type': 'application/json', origin: base };
    expect((await post('info', json)).status).toBe(401);
    expect((await post('info', { ...json, authorization: `Bearer ${'x'.repeat(32)}` })).status).toBe(401);
    expect((await post('info', { ...json, cookie: `custody_token=${web.token}` })).status).toBe(401);
    expect((await fetch(`${base}/api/info?token=${web.token}`, { method: 'POST', headers: json, body: '{}' })).status).toBe(401);
    expect((await post('info', { ...json, authorization: `Bearer ${web.token}` })).status).toBe(200);
  });

  it('serves the page without handing out any cookie', async () => {
    const res = await fetch(web.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Custody</title>');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      const req = request(`${base}/api/info`, { method: 'POST', headers: { host: 'evil.example', authorization: `Bearer ${web.token}`, 'content-type': 'application/json' } }, (res) => resolve(res.statusCode ?? 0));
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it.each([
    ['another origin', { origin: 'http://127.0.0.1:1' }, 403],
    ['another port of the same host (same-site, not same-origin)', { 'sec-fetch-site': 'same-site' }, 403],
    ['a cross-site request', { 'sec-fetch-site': 'cross-site' }, 403],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['a text/plain body (what a no-cors fetch or a form can send)', { 'content-type': 'text/plain' }, 415],
    ['no content type', { 'content-type': '' }, 415],
  ])('refuses a state-changing call from %s', async (_what, change, status) => {
    const headers: Record<string, string> = { authorization: `Bearer ${web.token}`, 'content-type': 'application/json', origin: base, ...change };
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await post('comment', headers, JSON.stringify({ id: 'rec_x', text: 'forged' }));
    expect(res.status).toBe(status);
  });

  it('sends the content security policy and framing refusals with the page', async () => {
    const res = await fetch(web.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|\*/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('validates arguments: 400 with INVALID_ARGUMENT, 404 for unknown methods', async () => {
    expect(await page.call('verify', { path: 42 })).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_ARGUMENT' } } });
    expect((await page.call('dropTables')).status).toBe(404);
    const notJson = await post('info', { authorization: `Bearer ${web.token}`, 'content-type': 'application/json' }, '{nope');
    expect(notJson.status).toBe(400);
  });

  it('uploads into a private folder outside the desk, signs into the desk, deletes the upload, verifies and downloads', async () => {
    const png = await sharp(photo('chelsea.png')).png().toBuffer();
    const up = await page.upload('../../chelsea cat.png', png);
    const path = up.body.result.path as string;
    expect(path.startsWith(web.uploads.dir)).toBe(true);
    expect(path.startsWith(desk.home)).toBe(false);
    expect(path.endsWith('chelsea cat.png')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(statSync(web.uploads.dir).mode & 0o777).toBe(0o700);

    const signed = await page.call('sign', { paths: [path] });
    const receipt = signed.body.result.receipts[0] as { recordId: string; output: string; outputSha256: string };
    expect(dirname(receipt.output)).toBe(desk.signedDir);
    expect(existsSync(path)).toBe(false); // deleted once the sign call answered
    const dl = await page.download(receipt.recordId);
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(sha256(bytes)).toBe(receipt.outputSha256);

    const copy = (await page.upload('copy.png', bytes)).body.result.path as string;
    const report = await page.call('verify', { path: copy });
    expect(report.body.result).toMatchObject({ verdict: 'authentic', recordId: receipt.recordId });
    expect(existsSync(copy)).toBe(false);
  });

  it('hands out a download ticket once, and not without one', async () => {
    const id = desk.items(1)[0]!.id;
    expect((await fetch(`${base}/files/${id}`)).status).toBe(401);
    const t = await fetch(`${base}/files/${id}/ticket`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'content-type': 'application/json', origin: base }, body: '{}' });
    const url = ((await t.json()) as Answer).result.url as string;
    expect((await fetch(`${base}${url}`)).status).toBe(200);
    expect((await fetch(`${base}${url}`)).status).toBe(401);
    // Without the token header there is no ticket either.
    expect((await fetch(`${base}/files/${id}/ticket`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: '{}' })).status).toBe(401);
  });

  it('verifies or signs nothing outside the uploads and the allowed roots, and never echoes a file', async () => {
    for (const p of ['/etc/shadow', '/etc/passwd', join(homedir(), '.ssh', 'id_rsa'), '/etc/no-such-file', join(desk.home, 'desk.db')]) {
      const v = await page.call('verify', { path: p });
      expect(v).toMatchObject({ status: 403, body: { error: { code: 'PATH_NOT_ALLOWED' } } });
      expect(v.body.error!.message).not.toMatch(/root:|\$6\$|SQLite/);
      const s = await page.call('sign', { paths: [p] });
      expect(s.body.result.failures[0]).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    }
    // The same refusal whether the file exists or not: web mode does not say which paths exist.
    const exists = (await page.call('verify', { path: '/etc/passwd' })).body.error!.message.replace('/etc/passwd', 'P');
    const missing = (await page.call('verify', { path: '/etc/nope' })).body.error!.message.replace('/etc/nope', 'P');
    expect(exists).toBe(missing);
    // A file the desk was not given stays out of reach until an admin makes its folder an allowed root.
    const root = tempDir();
    const src = join(root, 'pier.jpg');
    await sharp(photo('coffee.png')).jpeg().toFile(src);
    expect((await page.call('sign', { paths: [src] })).body.result.failures[0]).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    desk.setAllowedRoots(desk.bootstrapActor()!, [root]);
    expect((await page.call('sign', { paths: [src], outDir: join(root, 'signed') })).body.result.receipts[0].output).toBe(join(realpathSync(root), 'signed', 'pier.signed.jpg'));
    expect((await page.call('sign', { paths: [src], outDir: tempDir() })).body.result.failures[0]).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    desk.setAllowedRoots(desk.bootstrapActor()!, []);
  });

  it('says a text file is a text file, without quoting it', async () => {
    const up = await page.upload('notes.txt', 'root:$6$secret:19000:0:99999:7:::\n');
    expect(up).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_FORMAT' } } });
    expect(up.body.error!.message).not.toContain('root');
  });

  it('says only that the desk failed when something unexpected breaks, and logs the rest', async () => {
    const sign = desk.sign.bind(desk);
    desk.sign = () => Promise.reject(new Error('secret detail /etc/shadow'));
    try {
      const png = await sharp(photo('coffee.png')).png().toBuffer();
      const path = (await page.upload('c.png', png)).body.result.path as string;
      const r = await page.call('sign', { paths: [path] });
      expect(r).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL' } } });
      expect(r.body.error!.message).not.toContain('secret');
      expect(logged.join('\n')).toContain('secret detail');
    } finally {
      desk.sign = sign;
    }
  });
});

describe('web mode uploads', () => {
  let desk: Desk;
  let web: WebServer;
  beforeAll(async () => {
    desk = await tempDesk('Upload Desk');
    setSetting(desk.store, 'limits.max_image_bytes', String(1 << 20));
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
    web = await startWebServer(desk, { rendererDir });
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  it("refuses an image over the desk's image limit with 413, known from its first bytes, and leaves nothing", async () => {
    const big = Buffer.alloc(3 << 20);
    Buffer.from('89504e470d0a1a0a', 'hex').copy(big);
    const r = await client(web).upload('huge.png', big);
    expect(r).toMatchObject({ status: 413, body: { error: { code: 'FILE_TOO_LARGE', message: expect.stringMatching(/at most 1\.0 MB/) } } });
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });

  it('keeps a file name to its last part, and one session cannot use what another uploaded', async () => {
    const png = await sharp(photo('coffee.png')).png().toBuffer();
    const a = client(web);
    const path = (await a.upload('..', png)).body.result.path as string;
    expect(path.startsWith(web.uploads.dir)).toBe(true);
    expect(path.endsWith('upload.bin')).toBe(true);
    const malformed = await fetch(`${a.base}/api/upload`, {
      method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'content-type': 'application/octet-stream', 'x-file-name': '%E0%A4%A' }, body: png,
    });
    expect(malformed.status).toBe(400);
    // On a desk without users every browser is the desk itself; the owner check is exercised with users below.
    expect(readdirSync(web.uploads.dir).length).toBe(1);
  });

  it('deletes the uploads folder when the server stops', async () => {
    const other = await startWebServer(desk, { rendererDir: tempDir() });
    await client(other).upload('x.png', await sharp(photo('coffee.png')).png().toBuffer());
    await other.close();
    expect(existsSync(other.uploads.dir)).toBe(false);
  });
});

describe('web mode on a desk with users', () => {
  let desk: Desk;
  let web: WebServer;
  let published: { id: string; sha256: string };
  let signedId: string;

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { erin: ['editor'], chris: ['editor', 'chief'], vic: ['viewer'] });
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    web = await startWebServer(desk, { rendererDir });
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  it('with the token and no login, answers the login and verification only (a verifier has no account)', async () => {
    const b = client(web);
    expect((await b.call('info')).status).toBe(200);
    expect((await b.call('whoami')).body.result.user).toBeNull();
    for (const [m, args] of [['items', {}], ['sign', { paths: ['/etc/passwd'] }], ['comment', { id: 'rec_x', text: 'x' }]] as const) {
      expect(await b.call(m, args)).toMatchObject({ status: 401, body: { ok: false, error: { code: 'NOT_AUTHENTICATED' } } });
    }
    // Verification is open, but only of the visitor's own uploads: nothing on the machine.
    expect(await b.call('verify', { path: '/etc/shadow' })).toMatchObject({ status: 403, body: { ok: false, error: { code: 'PATH_NOT_ALLOWED' } } });
    expect((await b.upload('x.png', 'x')).status).toBe(415);
    expect(readdirSync(web.uploads.dir)).toEqual([]);
  });

  it('keeps one login per browser in an HttpOnly cookie named for this server, and ends it at logout', async () => {
    const erin = client(web);
    const chris = client(web);
    const login = await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    expect(login.status).toBe(200);
    expect(web.cookieName).toMatch(/^custody-[0-9a-f]{12}-session$/);
    expect(login.set).toMatch(new RegExp(`^${web.cookieName}=[\\w-]{20,}; HttpOnly; SameSite=Strict; Path=/$`));
    await chris.call('login', { name: 'chris', password: 'chris-tidal-lantern-42' });
    expect((await erin.call('whoami')).body.result.user.name).toBe('erin');
    expect((await chris.call('whoami')).body.result.user.name).toBe('chris');

    // The login cookie alone (what another server on 127.0.0.1 receives from the browser) opens nothing.
    const stolen = await fetch(`${erin.base}/api/items`, { method: 'POST', headers: { cookie: erin.cookie(), 'content-type': 'application/json' }, body: '{}' });
    expect(stolen.status).toBe(401);

    const out = await erin.call('logout');
    expect(out.set).toMatch(/=; .*Max-Age=0/);
    expect((await erin.call('items')).status).toBe(401);
    expect((await chris.call('items')).status).toBe(200);
    expect((await client(web).call('login', { name: 'erin', password: 'wrong-tidal-lantern-42' })).status).toBe(401);
  });

  it("does not let one login sign another's upload", async () => {
    const erin = client(web);
    const chris = client(web);
    await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    await chris.call('login', { name: 'chris', password: 'chris-tidal-lantern-42' });
    const path = (await erin.upload('mine.png', await sharp(photo('coffee.png')).png().toBuffer())).body.result.path as string;
    expect((await chris.call('sign', { paths: [path] })).body.result.failures[0]).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    const r = await erin.call('sign', { paths: [path] });
    expect(r.body.result.failures).toEqual([]);
    signedId = r.body.result.receipts[0].recordId;
  });

  it('hands the signed file to those who may sign, the published one to every user; a viewer gets no unpublished work', async () => {
    const erin = client(web);
    const chris = client(web);
    const vic = client(web);
    await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    await chris.call('login', { name: 'chris', password: 'chris-tidal-lantern-42' });
    await vic.call('login', { name: 'vic', password: 'vic-tidal-lantern-42' });
    const id = signedId;
    expect((await vic.download(id)).status).toBe(403);
    expect((await erin.download(id)).status).toBe(200);

    await erin.call('submit', { id });
    await chris.call('approve', { id });
    await chris.call('approve', { id });
    published = (await chris.call('publish', { id })).body.result.publication;
    const dl = await vic.download(id, true);
    expect(dl.status).toBe(200);
    expect(sha256(Buffer.from(await dl.arrayBuffer()))).toBe(published.sha256);
    expect((await vic.download(id)).status).toBe(403);
  });

  it("refuses a ticket presented by another login than the one it was given to", async () => {
    const erin = client(web);
    await erin.call('login', { name: 'erin', password: 'erin-tidal-lantern-42' });
    const t = await fetch(`${erin.base}/files/${signedId}/ticket`, {
      method: 'POST', headers: { authorization: `Bearer ${web.token}`, 'content-type': 'application/json', origin: erin.base, cookie: erin.cookie() }, body: '{}',
    });
    const url = ((await t.json()) as Answer).result.url as string;
    expect((await fetch(`${erin.base}${url}`)).status).toBe(401);
  });
});
