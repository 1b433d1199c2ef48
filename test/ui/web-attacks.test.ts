// Web mode under attack from another page on the same machine, in a real Chromium: a logged-in editor visits a
// page served by a second HTTP server on another 127.0.0.1 port. Cookies are not bound to a port, so the browser
// hands that server the desk's cookies, and the page is "same-site" with the desk, so SameSite=Strict does not stop
// its requests. It posts comments and signing requests to the desk (an HTML form, no-cors and CORS fetches, an
// upload), and the server replays the cookies it received. None of it may get through; the desk's own page, in the
// same browser, still works (so the refusals are the desk's doing, not the test's).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../../core/desk.ts';
import { UI_WAIT, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, fakeSignedItem, testDesk } from '../helpers/workflow-desk.ts';

let itemId = '';
const ui = useUi(async () => {
  const { desk, admin } = await testDesk();
  await addUsers(desk, admin, { erin: ['editor'] });
  itemId = fakeSignedItem(desk, tempDir()).id;
  return desk;
});

/** The attacker's page: every way a page on another origin can send a request to the desk, results reported back. */
function attackerPage(desk: string, id: string): string {
  const comment = (text: string) => JSON.stringify({ id, text });
  return `<!doctype html><meta charset="utf-8"><title>cute cats</title>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" action="${desk}/api/comment" enctype="text/plain" target="sink">
  <input type="hidden" name='{"id":"${id}","text":"forged by a form","x":"' value='"}'>
</form>
<script>
const results = {};
const report = () => fetch('/report', { method: 'POST', body: JSON.stringify(results) });
async function attempt(name, url, init) {
  try {
    const r = await fetch(url, { credentials: 'include', ...init });
    results[name] = r.type === 'opaque' ? 'opaque' : r.status;
  } catch (e) {
    results[name] = 'blocked';
  }
}
(async () => {
  document.getElementById('f').submit();
  await attempt('no-cors comment', '${desk}/api/comment', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(comment('forged by a no-cors fetch'))} });
  await attempt('cors comment', '${desk}/api/comment', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(comment('forged by a cors fetch'))} });
  await attempt('no-cors sign', '${desk}/api/sign', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ paths: ['/etc/passwd'] }) });
  await attempt('no-cors upload', '${desk}/api/upload', { method: 'POST', mode: 'no-cors', body: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) });
  await attempt('read items', '${desk}/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await new Promise((r) => setTimeout(r, 500)); // the form's post
  await report();
})();
</script>`;
}

describe('a page on another 127.0.0.1 port', () => {
  let evil: Server;
  let evilOrigin = '';
  const seen: IncomingHttpHeaders[] = [];
  let reported: Record<string, unknown> | null = null;

  beforeAll(async () => {
    evil = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/report') {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          reported = JSON.parse(body) as Record<string, unknown>;
          res.end('ok');
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackerPage(new URL(ui.web.url).origin, itemId));
    });
    await new Promise<void>((ok) => evil.listen(0, '127.0.0.1', ok));
    evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;

    await ui.page.getByLabel('User name').fill('erin');
    await ui.page.getByLabel('Password').fill('erin-tidal-lantern-42');
    await ui.page.getByRole('button', { name: 'Log in' }).click();
    await ui.page.getByRole('heading', { name: 'Sign', level: 1 }).waitFor(UI_WAIT);
  });
  afterAll(async () => {
    evil.closeAllConnections();
    await new Promise<void>((ok) => evil.close(() => ok()));
  });

  const desk = (): Desk => ui.desk;

  it('gets nothing through from its page: no comment, no signing, no upload, nothing read', async () => {
    // The editor, logged in, follows a link to the other page (and comes back to the desk afterwards).
    await ui.page.goto(`${evilOrigin}/`);
    await expect.poll(() => reported, { timeout: 20_000, interval: 100 }).not.toBeNull();
    // The refusals happen at the desk: opaque answers and a blocked CORS call tell the page nothing either.
    expect(reported).toMatchObject({ 'cors comment': 'blocked', 'read items': 'blocked' });
    expect(desk().comments(itemId)).toEqual([]);
    expect(desk().items().map((r) => r.id)).toEqual([itemId]);
  });

  it("receives the desk's login cookie from the browser, and can do nothing with it", async () => {
    // The threat is real: the browser sent the desk's cookie to the other port.
    const leaked = seen.map((h) => h.cookie ?? '').find((c) => c.includes(ui.web.cookieName));
    expect(leaked).toBeTruthy();
    const base = new URL(ui.web.url).origin;
    for (const [method, body] of [['comment', { id: itemId, text: 'forged with a stolen cookie' }], ['sign', { paths: ['/etc/passwd'] }], ['items', {}]] as const) {
      const replay = await fetch(`${base}/api/${method}`, { method: 'POST', headers: { cookie: leaked!, 'content-type': 'application/json', origin: base }, body: JSON.stringify(body) });
      expect(replay.status).toBe(401);
    }
    expect(desk().comments(itemId)).toEqual([]);
  });

  it("still lets the desk's own page comment, in the same browser", async () => {
    await ui.page.goto(ui.web.url);
    await ui.page.getByRole('heading', { name: 'Sign', level: 1 }).waitFor(UI_WAIT); // still logged in
    const status = await ui.page.evaluate(async (id) => {
      const r = await fetch('/api/comment', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem('custody.token') ?? ''}` },
        body: JSON.stringify({ id, text: 'from the desk page' }),
      });
      return r.status;
    }, itemId);
    expect(status).toBe(200);
    expect(desk().comments(itemId).map((c) => `${c.by}: ${c.text}`)).toEqual(['erin: from the desk page']);
  });
});
