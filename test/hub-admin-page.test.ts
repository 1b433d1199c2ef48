// The hub's admin pages in Debian's Chromium: a hub admin logs in (a wrong password is refused with its sentence),
// creates an organisation, an API key that is shown once and works, an enrolment token a desk then enrols with,
// revokes the key and the desk, and logs out, which ends the session on the server too. Beside it, the session
// cookie's CSRF defences: a request it authenticates that changes something needs the session's X-CSRF-Token and,
// when the browser names one, the hub's own Origin; a page on another origin, in the same logged-in browser,
// changes nothing. Screenshots go to test-output/screenshots/.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentProofBytes } from '../core/sync/hub-records.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { SCREENSHOTS, UI_WAIT, launchChromium } from './helpers/browser.ts';
import { tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

const PASSWORD = 'a hub admin passphrase for the pages';
let hub: RunningHub;
let browser: Browser;
let adminKey: string;

beforeAll(async () => {
  const dir = tempDir('custody-hub-admin-page-');
  ({ adminKey } = await initHub({ dataDir: dir }, { org: 'Daily Planet', admin: { name: 'root', password: PASSWORD }, scrypt: { N: 1 << 10, r: 8, p: 1 } }));
  hub = await startHub({ dataDir: dir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

/** A desk's enrolment over HTTP with a fresh key and its proof of possession. */
async function enrolWith(token: string, name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');
  const proof = sign(null, enrolmentProofBytes(token, pub), privateKey).toString('hex');
  return call(hub.url, 'POST', '/v1/enrol', { json: { token, name, keys: [{ publicKey: pub, proof }], c2paRootPem: null } });
}

/** Logs in over HTTP as the pages do: the session cookie and the CSRF token. */
async function webLogin(): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${hub.url}/v1/admin/web-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'root', password: PASSWORD }) });
  expect(r.status).toBe(200);
  const setCookie = r.headers.getSetCookie()[0]!;
  expect(setCookie).toMatch(/^custody_hub_admin=chs_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Expires=/);
  const body = (await r.json()) as { csrf: string; name: string };
  expect(body.name).toBe('root');
  expect(JSON.stringify(body)).not.toContain('chs_');
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrf };
}

async function withCookie(method: string, path: string, cookie: string, headers: Record<string, string> = {}, json?: unknown) {
  const r = await fetch(hub.url + path, {
    method,
    headers: { cookie, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('the hub admin pages', () => {
  it('log in, create an organisation, a key shown once, an enrolment token; revoke a key and a desk; log out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !/status of 40[13]/.test(m.text()) && scriptErrors.push(m.text()));
    await page.goto(`${hub.url}/admin`);

    await page.fill('#name', 'root');
    await page.fill('#password', 'not the password');
    await page.click('#login-btn');
    await expect.poll(() => page.textContent('#login-error'), UI_WAIT).toContain('NOT_AUTHENTICATED');
    await page.fill('#password', PASSWORD);
    await page.click('#login-btn');
    await expect.poll(() => page.textContent('#who'), UI_WAIT).toBe('root');
    await expect.poll(() => page.$$eval('#tenants tr', (trs) => trs.map((t) => t.firstElementChild?.textContent)), UI_WAIT).toEqual(['Daily Planet']);
    // The session token stays in the HttpOnly cookie: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.fill('#tenant-name', 'Metro <b>Desk</b>');
    await page.click('#new-tenant button');
    await expect.poll(() => page.textContent('#tenant-title'), UI_WAIT).toBe('Metro <b>Desk</b>');
    expect(await page.$$('#tenant-title b')).toHaveLength(0); // text, never markup

    await page.fill('#key-label', 'wire feed');
    await page.click('#new-key button');
    await expect.poll(() => page.textContent('#secret-value'), UI_WAIT).toMatch(/^chk_/);
    const apiKey = (await page.textContent('#secret-value'))!;
    expect(await page.textContent('#secret')).toContain('not shown again');
    expect((await call(hub.url, 'POST', '/v1/verify', { token: apiKey, json: { sha256: '00'.repeat(32) } })).status).toBe(200);
    await page.screenshot({ path: join(SCREENSHOTS, 'hub-admin-key-shown-once.png'), fullPage: true });

    await page.fill('#enrol-label', 'bureau');
    await page.click('#new-enrol button');
    await expect.poll(() => page.textContent('#secret-value'), UI_WAIT).toMatch(/^che_/);
    const enrolled = await enrolWith((await page.textContent('#secret-value'))!, 'bureau desk');
    expect(enrolled.status).toBe(201);

    // A reload keeps the session (the cookie), shows no secret again, and lists the desk and both keys.
    await page.reload();
    await expect.poll(() => page.textContent('#who'), UI_WAIT).toBe('root');
    await page.click('#tenants tr:has-text("Metro") button.open');
    await expect.poll(() => page.$$eval('#desks tr', (trs) => trs.map((t) => [t.children[0]!.textContent, t.querySelector('.status')!.textContent])), UI_WAIT).toEqual([['bureau desk', 'active']]);
    const keyRows = () => page.$$eval('#keys tr', (trs) => trs.map((t) => [t.children[0]!.textContent, t.querySelector('.status')!.textContent!.split(' ')[0]]));
    expect((await keyRows()).sort()).toEqual([['desk bureau desk', 'active'], ['wire feed', 'active']]);
    expect(await page.content()).not.toContain(apiKey);
    expect(await page.isVisible('#secret')).toBe(false);

    await page.click('#keys tr:has-text("wire feed") button.revoke');
    await expect.poll(async () => (await keyRows()).find((k) => k[0] === 'wire feed')?.[1], UI_WAIT).toBe('revoked');
    expect((await call(hub.url, 'POST', '/v1/verify', { token: apiKey, json: { sha256: '00'.repeat(32) } })).body.code).toBe('REVOKED');
    await page.click('#desks tr:has-text("bureau desk") button.revoke');
    await expect.poll(() => page.textContent('#desks .status'), UI_WAIT).toMatch(/^revoked /);
    // Revoking the desk revoked its own key too.
    await expect.poll(async () => (await keyRows()).find((k) => k[0] === 'desk bureau desk')?.[1], UI_WAIT).toBe('revoked');
    await page.screenshot({ path: join(SCREENSHOTS, 'hub-admin-revoked.png'), fullPage: true });

    const cookie = (await context.cookies()).find((c) => c.name === 'custody_hub_admin')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.click('#logout');
    await expect.poll(() => page.isVisible('#login-form'), UI_WAIT).toBe(true);
    // Logging out ended the session on the server: the old cookie no longer opens anything.
    expect((await withCookie('GET', '/v1/tenants', `custody_hub_admin=${cookie.value}`)).status).toBe(401);
    expect(scriptErrors).toEqual([]);
    await context.close();
  });

  it('take a cookie-authenticated change only with the CSRF token and the own Origin', async () => {
    const { cookie, csrf } = await webLogin();
    const own = new URL(hub.url).origin;
    expect((await withCookie('GET', '/v1/tenants', cookie)).status).toBe(200);
    const create = (headers: Record<string, string>, name: string) => withCookie('POST', '/v1/tenants', cookie, headers, { name });
    for (const [headers, why] of [
      [{}, /X-CSRF-Token.*got none/i],
      [{ 'x-csrf-token': 'f'.repeat(64) }, /got a wrong one/],
      [{ 'x-csrf-token': csrf, origin: 'http://evil.example' }, /evil\.example/],
    ] as const) {
      const r = await create(headers, 'Forged Org');
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('NOT_PERMITTED');
      expect(r.body.message).toMatch(why);
    }
    expect((await create({ 'x-csrf-token': csrf, origin: own }, 'Real Org')).status).toBe(201);
    expect((await create({ 'x-csrf-token': csrf }, 'Real Org 2')).status).toBe(201);
    // The per-organisation routes the pages use: a hub admin on any organisation (404 for none), an organisation's
    // admin key on its own only.
    const tenants = (await withCookie('GET', '/v1/tenants', cookie)).body.tenants as { id: string; name: string }[];
    const planet = tenants.find((t) => t.name === 'Daily Planet')!.id;
    const real = tenants.find((t) => t.name === 'Real Org')!.id;
    expect((await call(hub.url, 'GET', `/v1/tenants/${planet}/desks`, { token: adminKey })).status).toBe(200);
    expect((await call(hub.url, 'GET', `/v1/tenants/${real}/desks`, { token: adminKey })).body.code).toBe('NOT_PERMITTED');
    expect((await call(hub.url, 'GET', `/v1/tenants/${real}/api-keys`, { token: adminKey })).body.code).toBe('NOT_PERMITTED');
    expect((await call(hub.url, 'POST', `/v1/tenants/${real}/enrolment-tokens`, { token: adminKey, json: { label: 'x' } })).body.code).toBe('NOT_PERMITTED');
    expect((await withCookie('GET', `/v1/tenants/${real}/desks`, cookie)).status).toBe(200);
    expect((await withCookie('GET', '/v1/tenants/tenant_none/desks', cookie)).body.code).toBe('NOT_FOUND');
    // Another session's token does not fit this one; a login from another origin is refused.
    const other = await webLogin();
    expect((await create({ 'x-csrf-token': other.csrf }, 'Forged Org')).status).toBe(403);
    const r = await fetch(`${hub.url}/v1/admin/web-login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ name: 'root', password: PASSWORD }) });
    expect(r.status).toBe(403);
    expect(r.headers.getSetCookie()).toEqual([]);
    // A cookie holding anything but a session (an API key, say) is refused, not taken as a bearer.
    const keyCookie = await withCookie('GET', '/v1/tenants', `custody_hub_admin=${adminKey}`);
    expect([keyCookie.status, keyCookie.body.code]).toEqual([401, 'NOT_AUTHENTICATED']);
    const names = async () => ((await withCookie('GET', '/v1/tenants', cookie)).body.tenants as { name: string }[]).map((t) => t.name);
    expect(await names()).not.toContain('Forged Org');

    // In a browser logged in to the hub, a page on another origin posts a form and a no-cors fetch at it.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${hub.url}/admin`);
    await page.fill('#name', 'root');
    await page.fill('#password', PASSWORD);
    await page.click('#login-btn');
    await expect.poll(() => page.textContent('#who'), UI_WAIT).toBe('root');
    const attacker: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id="f" method="POST" action="${hub.url}/v1/tenants" enctype="text/plain"><input name='{"name":"Evil Form","x":"' value='"}'></form>
<script>fetch(${JSON.stringify(`${hub.url}/v1/tenants`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'Evil Fetch' }) })
  .finally(() => document.getElementById('f').submit());</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const evil = await context.newPage();
      const answered = evil.waitForResponse((res) => res.url() === `${hub.url}/v1/tenants` && res.request().method() === 'POST' && res.request().resourceType() === 'document', UI_WAIT);
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      expect((await answered).status()).toBeGreaterThanOrEqual(400);
    } finally {
      attacker.close();
      await context.close();
    }
    expect((await names()).filter((n) => n.startsWith('Evil'))).toEqual([]);
    expect(await names()).toContain('Real Org');
  });
});
