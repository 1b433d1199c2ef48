// `custody hub init` and `custody hub serve` as a fresh machine runs them: child processes, the embedded SQLite in a
// data folder, a hub admin who logs in and creates a second organisation; init refuses an organisation twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `custody hub serve` and resolves with its URL once it says it is serving. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'hub', 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /hub: serving (http:\/\/\S+)/.exec(stderr);
      if (m) resolve({ url: m[1]!, child });
    });
    child.on('exit', (code) => reject(new Error(`hub serve exited with ${code}: ${stderr}`)));
  });
}

describe('custody hub init / serve', () => {
  it('creates the organisation and a hub admin, serves, and stops on SIGTERM', async () => {
    const data = join(tempDir('custody-hub-cli-'), 'hub');
    const init = await runCli(['hub', 'init', '--org', 'Daily Planet', '--data', data, '--admin', 'root', '--json'], { CUSTODY_PASSWORD: 'a long admin password' });
    expect(init.code, init.stderr).toBe(0);
    const created = JSON.parse(init.stdout) as { tenantId: string; org: string; adminKey: string; hubAdmin: string };
    expect(created).toMatchObject({ org: 'Daily Planet', hubAdmin: 'root' });
    expect(created.adminKey).toMatch(/^chk_/);

    const again = await runCli(['hub', 'init', '--org', 'Daily Planet', '--data', data]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/ALREADY_INITIALIZED/);

    // The hub seals its checkpoint key with its passphrase: without one it does not start.
    await expect(serve(['--data', data], { CUSTODY_HUB_PASSPHRASE: '' })).rejects.toThrow(/KEY_LOCKED/);
    const { url, child } = await serve(['--data', data, '--log-name', 'hub.test/daily'], { CUSTODY_HUB_PASSPHRASE: 'hub vault passphrase for the cli test' });
    expect((await call(url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', database: 'sqlite', tenants: 1 });
    const key = await runCli(['hub', 'key', '--data', data]);
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout.trim()).toMatch(/^hub\.test\/daily\+[0-9a-f]{8}\+A/);
    expect((await call(url, 'GET', '/v1/log/key')).body.key).toBe(key.stdout.trim());
    expect((await call(url, 'GET', '/v1/desks', { token: created.adminKey })).body).toEqual({ desks: [] });

    // The hub admin logs in and adds an organisation with its own admin key; an org key cannot do that.
    expectCode(await call(url, 'POST', '/v1/admin/login', { json: { name: 'root', password: 'wrong password!' } }), 401, 'NOT_AUTHENTICATED');
    const login = await call(url, 'POST', '/v1/admin/login', { json: { name: 'root', password: 'a long admin password' } });
    expect(login.status).toBe(200);
    const session = login.body.token as string;
    const t = await call(url, 'POST', '/v1/tenants', { token: session, json: { name: 'Evening Star' } });
    expect(t.status).toBe(201);
    const k = await call(url, 'POST', `/v1/tenants/${t.body.id as string}/api-keys`, { token: session, json: { label: 'first', scopes: ['admin'] } });
    expect(k.status).toBe(201);
    expect((await call(url, 'GET', '/v1/api-keys', { token: k.body.token as string })).body.keys).toHaveLength(1);
    expectCode(await call(url, 'POST', '/v1/tenants', { token: created.adminKey, json: { name: 'Rogue' } }), 403, 'NOT_PERMITTED');
    expectCode(await call(url, 'POST', `/v1/tenants/${t.body.id as string}/api-keys`, { token: created.adminKey, json: { label: 'x', scopes: ['admin'] } }), 403, 'NOT_PERMITTED');
    expect((await call(url, 'GET', '/v1/tenants', { token: session })).body.tenants).toHaveLength(2);

    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);

  it('refuses a database URL that is not PostgreSQL', async () => {
    const r = await runCli(['hub', 'init', '--org', 'X', '--database', 'mysql://localhost/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT.*postgres:\/\//);
  }, 60_000);
});

function expectCode(r: { status: number; body: Record<string, unknown> }, status: number, code: string): void {
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
}
