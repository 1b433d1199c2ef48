// `custody hub serve --trust-proxy <addresses>`: behind a reverse proxy that appends the client's address to
// X-Forwarded-For, the per-address limits count that appended (right-most) entry, not the left-most one the client
// writes itself (security review: with every hop trusted a client escaped the limits by sending a new
// X-Forwarded-For each request). The proxy here is the test itself, connecting from 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedProxies } from '../server/http/app.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { createHubAdmin } from '../server/tenants/tenants.ts';
import { ROOT, runCli, tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

const LIMIT = 3;

describe('hub behind a reverse proxy (--trust-proxy)', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    const dir = tempDir('custody-hub-trust-proxy-');
    await initHub({ dataDir: dir, database: null }, { org: 'Hub Owner' });
    hub = await startHub({ dataDir: dir, database: null }, { trustProxy: '127.0.0.1', rateLimits: { perAddress: LIMIT, windowMs: 60_000 } });
    await createHubAdmin(hub.hub.db, 'root', 'correct horse battery staple', { scrypt: { N: 1024, r: 8, p: 1 } });
  });
  afterAll(async () => hub?.close());

  /** A failed admin login (an anonymous route) as the proxy forwards it: X-Forwarded-For as the client sent it, then the client's address. */
  const login = (xff: string) => fetch(`${hub.url}/v1/admin/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': xff }, body: JSON.stringify({ name: 'root', password: 'wrong password!' }),
  }).then((r) => r.status);
  const rotating = async (realClient: string, n: number) => {
    const s: number[] = [];
    for (let i = 0; i < n; i++) s.push(await login(`10.${i}.${Math.floor(Math.random() * 250)}.1, ${realClient}`));
    return s;
  };

  it('a client writing a new left-most X-Forwarded-For entry each request is still limited by its real address', async () => {
    const s = await rotating('198.51.100.9', LIMIT + 3);
    expect(s.slice(0, LIMIT).every((x) => x === 401), s.join(' ')).toBe(true);
    expect(s.slice(LIMIT), s.join(' ')).toEqual([429, 429, 429]);
  });

  it('two real clients behind the proxy are counted separately', async () => {
    const other = await rotating('198.51.100.10', LIMIT + 1);
    expect(other, other.join(' ')).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    expect(await login('198.51.100.11')).toBe(401);
  });

  it('refused API keys are limited by the real client too', async () => {
    const s: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      s.push(await fetch(`${hub.url}/v1/desks`, { headers: { authorization: `Bearer chk_AAAAAAAAAAAA_${'A'.repeat(43)}`, 'x-forwarded-for': `10.1.${i}.1, 198.51.100.20` } }).then((r) => r.status));
    }
    expect(s, s.join(' ')).toContain(429);
  });

  it('only names of proxies are accepted: addresses, CIDR ranges, or the loopback / linklocal / uniquelocal ranges', () => {
    expect(trustedProxies('127.0.0.1')).toBe('127.0.0.1');
    expect(trustedProxies(' 10.0.0.0/8, ::1 ,fd00::/8,loopback')).toBe('10.0.0.0/8,::1,fd00::/8,loopback');
    for (const bad of ['', 'true', '1', '2', '10.0.0.0/33', '::1/0', '10.0.0.1,', 'proxy.example.org', '10.0.0.0/8;rm']) {
      expect(() => trustedProxies(bad), bad).toThrow(/INVALID_ARGUMENT|expected the trusted reverse proxies/);
    }
    expect(() => trustedProxies('1')).toThrow(/number of hops is not accepted/);
  });
});

describe('custody hub serve --trust-proxy', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('serves with the proxies named', async () => {
    const data = tempDir('custody-hub-trust-proxy-serve-');
    await initHub({ dataDir: data, database: null }, { org: 'Hub Owner' });
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'hub', 'serve', '--port', '0', '--data', data, '--trust-proxy', '127.0.0.1,::1'], {
      cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', CUSTODY_HUB_PASSPHRASE: 'hub vault passphrase for the cli test' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /hub: serving (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`hub serve exited with ${code}: ${stderr}`)));
    });
    expect((await call(url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('refuses the option without a value, or with a value that names no proxy', async () => {
    const data = tempDir('custody-hub-trust-proxy-cli-');
    const env = { CUSTODY_HUB_PASSPHRASE: 'hub vault passphrase for the cli test', LOG_LEVEL: 'warn' };
    const missing = await runCli(['hub', 'serve', '--port', '0', '--data', data, '--trust-proxy'], env);
    expect(missing.code, missing.stderr).not.toBe(0);
    expect(missing.stderr).toMatch(/--trust-proxy <addresses>' argument missing/);
    for (const bad of ['true', '1', 'everything']) {
      const r = await runCli(['hub', 'serve', '--port', '0', '--data', data, '--trust-proxy', bad], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/INVALID_ARGUMENT.*trusted reverse proxies/);
    }
  }, 120_000);
});
