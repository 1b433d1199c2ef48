// The hub's admin pages: a hub admin logs in (a local admin, or the newsroom's directory with `hub serve
// --directory`), lists and creates organisations, and for one organisation sees its desks (revoke), its API keys
// (create, with the key shown once; revoke) and makes one-time enrolment tokens (shown once). Served by the hub
// itself, no build step and no third-party code; the script calls the same /v1 routes as any client, authenticated
// by the session cookie and the CSRF token (server/auth/web-session.ts), and renders with textContent only, so
// nothing a name or label says becomes markup. The Content-Security-Policy allows this one script and nothing else.
export const ADMIN_PAGE_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const ADMIN_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Hub administration · Custody</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border-radius:10px;padding:1rem 1.2rem;margin:1rem 0}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:.2rem 0 .6rem}h3{font-size:1rem;margin:1rem 0 .4rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e4e4e0;vertical-align:top}
input[type=text],input[type=password]{padding:.35rem;border:1px solid #aaa;border-radius:6px}
button{padding:.35rem .8rem;border-radius:6px;border:1px solid #1b5fbf;background:#1b5fbf;color:#fff;cursor:pointer}
button.quiet{background:#fff;color:#1b5fbf}button.danger{background:#fff;color:#b3261e;border-color:#b3261e}
.error{color:#b3261e}.revoked{color:#888}.hidden{display:none}
#secret{background:#fff8e1;border:1px solid #e0b000;border-radius:8px;padding:.7rem;margin-top:.8rem;word-break:break-all}
code{font-size:.95em}
</style></head>
<body><main>
<h1>Hub administration</h1>
<section id="login">
<h2>Log in</h2>
<form id="login-form"><p><label>Name <input id="name" type="text" autocomplete="username" required></label>
<label>Password <input id="password" type="password" autocomplete="current-password" required></label>
<button id="login-btn" type="submit">Log in</button></p></form>
<p id="login-error" class="error" role="alert"></p>
</section>
<div id="console" class="hidden">
<section><p>Logged in as <strong id="who"></strong> <button id="logout" class="quiet" type="button">Log out</button></p>
<p id="error" class="error" role="alert"></p></section>
<section><h2>Organisations</h2>
<table><thead><tr><th>Name</th><th>Records</th><th>Created</th><th></th></tr></thead><tbody id="tenants"></tbody></table>
<form id="new-tenant"><p><input id="tenant-name" type="text" placeholder="New organisation" required> <button type="submit">Create</button></p></form>
</section>
<section id="tenant" class="hidden">
<h2 id="tenant-title"></h2>
<h3>Desks</h3>
<table><thead><tr><th>Desk</th><th>Keys</th><th>Enrolled</th><th>Status</th><th></th></tr></thead><tbody id="desks"></tbody></table>
<form id="new-enrol"><p><input id="enrol-label" type="text" placeholder="Label of a desk to enrol" required> <button type="submit">Make enrolment token</button></p></form>
<h3>API keys</h3>
<table><thead><tr><th>Label</th><th>Scopes</th><th>Desk</th><th>Created</th><th>Last used</th><th>Status</th><th></th></tr></thead><tbody id="keys"></tbody></table>
<form id="new-key"><p><input id="key-label" type="text" placeholder="Label of a new key" required>
<label><input id="scope-verify" type="checkbox" checked> verify</label>
<label><input id="scope-ingest" type="checkbox"> ingest</label>
<label><input id="scope-admin" type="checkbox"> admin</label>
<label><input id="scope-fetch:manifests" type="checkbox"> fetch:manifests</label>
<button type="submit">Create key</button></p></form>
<div id="secret" class="hidden" role="status"><strong id="secret-what"></strong> Copy it now: it is not shown again.<br><code id="secret-value"></code></div>
</section>
</div>
</main>
<script src="/admin.js"></script>
</body></html>
`;

export const ADMIN_PAGE_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
let csrf = null;
let tenant = null;

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new Error(data && data.message ? data.code + ': ' + data.message : 'HTTP ' + r.status);
  return data;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function button(td, text, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = cls;
  b.addEventListener('click', () => guarded(onClick));
  td.appendChild(b);
  return b;
}

async function guarded(f) {
  $('error').textContent = '';
  try { await f(); } catch (e) { $('error').textContent = e.message; }
}

const day = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

function showSecret(what, value) {
  $('secret-what').textContent = what;
  $('secret-value').textContent = value;
  $('secret').classList.remove('hidden');
}

async function loadTenants() {
  const { tenants } = await api('GET', '/v1/tenants');
  const body = $('tenants');
  body.replaceChildren();
  for (const t of tenants) {
    const tr = document.createElement('tr');
    tr.dataset.id = t.id;
    cell(tr, t.name);
    cell(tr, t.records);
    cell(tr, day(t.createdAt));
    button(cell(tr, ''), 'Open', 'quiet open', () => openTenant(t));
    body.appendChild(tr);
  }
}

async function openTenant(t) {
  tenant = t;
  $('tenant-title').textContent = t.name;
  $('secret').classList.add('hidden');
  $('tenant').classList.remove('hidden');
  await loadTenant();
}

async function loadTenant() {
  const base = '/v1/tenants/' + encodeURIComponent(tenant.id);
  const [{ desks }, { keys }] = await Promise.all([api('GET', base + '/desks'), api('GET', base + '/api-keys')]);
  fill('desks', desks, (d) => [d.name, d.keys.map((k) => k.keyId).join(', '), day(d.enrolledAt)],
    (d) => api('POST', base + '/desks/' + encodeURIComponent(d.id) + '/revoke'));
  fill('keys', keys, (k) => [k.label, k.scopes.join(' '), k.deskId || '', day(k.createdAt), day(k.lastUsedAt)],
    (k) => api('POST', '/v1/api-keys/' + encodeURIComponent(k.id) + '/revoke'));
}

/** One row per desk or key: its cells, its status, and a Revoke button while it is active. */
function fill(id, items, cellsOf, revoke) {
  const body = $(id);
  body.replaceChildren();
  for (const it of items) {
    const tr = document.createElement('tr');
    tr.dataset.id = it.id;
    for (const text of cellsOf(it)) cell(tr, text);
    cell(tr, it.revokedAt ? 'revoked ' + day(it.revokedAt) : 'active', it.revokedAt ? 'revoked status' : 'status');
    const act = cell(tr, '');
    if (!it.revokedAt) button(act, 'Revoke', 'danger revoke', async () => { await revoke(it); await loadTenant(); });
    body.appendChild(tr);
  }
}

async function enter(session) {
  csrf = session.csrf;
  $('who').textContent = session.name;
  $('login').classList.add('hidden');
  $('console').classList.remove('hidden');
  await guarded(loadTenants);
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  try {
    await enter(await api('POST', '/v1/admin/web-login', { name: $('name').value, password: $('password').value }));
    $('password').value = '';
  } catch (e) { $('login-error').textContent = e.message; }
});

$('logout').addEventListener('click', () => guarded(async () => {
  await api('POST', '/v1/admin/logout');
  csrf = null;
  tenant = null;
  $('console').classList.add('hidden');
  $('tenant').classList.add('hidden');
  $('login').classList.remove('hidden');
}));

$('new-tenant').addEventListener('submit', (ev) => {
  ev.preventDefault();
  guarded(async () => {
    const t = await api('POST', '/v1/tenants', { name: $('tenant-name').value });
    $('tenant-name').value = '';
    await loadTenants();
    await openTenant(t);
  });
});

$('new-key').addEventListener('submit', (ev) => {
  ev.preventDefault();
  guarded(async () => {
    const scopes = ['verify', 'ingest', 'admin', 'fetch:manifests'].filter((s) => $('scope-' + s).checked);
    const r = await api('POST', '/v1/tenants/' + encodeURIComponent(tenant.id) + '/api-keys', { label: $('key-label').value, scopes });
    $('key-label').value = '';
    showSecret('API key “' + r.key.label + '” (' + r.key.scopes.join(' ') + ').', r.token);
    await loadTenant();
  });
});

$('new-enrol').addEventListener('submit', (ev) => {
  ev.preventDefault();
  guarded(async () => {
    const r = await api('POST', '/v1/tenants/' + encodeURIComponent(tenant.id) + '/enrolment-tokens', { label: $('enrol-label').value });
    $('enrol-label').value = '';
    showSecret('Enrolment token for ' + tenant.name + ', valid until ' + day(r.expiresAt) + ' UTC.', r.token);
  });
});

api('GET', '/v1/admin/session').then(enter, () => {});
`;
