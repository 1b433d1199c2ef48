// `custody web` resumes the desk's stored watch folders at start, as the desktop app does: a photo dropped into a
// folder added earlier (by another process) is signed while the web server runs and no page is open; `--no-watch`
// leaves them to another process.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './fixtures/photos.ts';
import { rendererBuild } from './helpers/browser.ts';
import { ROOT, freshDesk, runCli, tempDir } from './helpers/cli.ts';

const ADMIN = { name: 'ada', password: 'a long admin password 1' };

/** `custody web` in a child process; resolves once it printed its URL, with what it wrote to stderr so far. */
function serve(env: Record<string, string>, args: string[] = []): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'web', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Custody desk at http://127.0.0.1:')) ok({ child, stderr: () => err });
    });
    child.once('exit', (code) => fail(new Error(`expected custody web to start, but it exited with ${code}: ${err}`)));
  });
}

/** The pid holding a stored folder's lease ("host|pid|nonce"), or null when no process holds it. */
async function leaseOwnerPid(env: Record<string, string>, path: string): Promise<number | null> {
  const listed = JSON.parse((await runCli(['watch-folders', 'list', '--json'], env)).stdout) as { path: string; lease: { owner: string } | null }[];
  const owner = listed.find((f) => f.path === path)?.lease?.owner;
  return owner ? Number(owner.split('|')[1]) : null;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`expected ${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('custody web and stored watch folders', () => {
  let env: Record<string, string>;
  let inDir: string;
  let outDir: string;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    rendererBuild();
    env = await freshDesk('Test Newsroom', ADMIN);
    const root = tempDir('custody-roots-');
    inDir = join(root, 'in');
    outDir = join(root, 'out');
    mkdirSync(inDir);
    expect((await runCli(['settings', 'set', 'allowed-roots', root], env)).code).toBe(0);
    const added = await runCli(['watch-folders', 'add', inDir, '--out', outDir, '--json'], env);
    expect(JSON.parse(added.stdout)).toMatchObject({ status: 'stopped' });
  }, 300_000);

  afterEach(async () => {
    if (running && running.exitCode === null) {
      const exited = new Promise((r) => running!.once('exit', r));
      running.kill('SIGTERM');
      await exited;
    }
    running = undefined;
  });

  it('leaves them alone with --no-watch', async () => {
    const web = await serve(env, ['--no-watch']);
    running = web.child;
    await until('the --no-watch notice on stderr', () => (web.stderr().includes('left to another process') ? true : undefined));
    expect(await leaseOwnerPid(env, inDir)).toBeNull();
    expect(web.stderr()).not.toContain(`watching ${inDir}`);
  }, 120_000);

  it('resumes them at start and signs what lands in them', async () => {
    const web = await serve(env);
    running = web.child;
    await until('the resumed folder reported on stderr', () => (web.stderr().includes(`watching ${inDir}`) ? true : undefined));
    expect(await leaseOwnerPid(env, inDir)).toBe(web.child.pid);
    copyFileSync(photo('chelsea.png'), join(inDir, 'cat.png'));
    await until('the original moved aside once signed', () => (existsSync(join(outDir, 'originals', 'cat.png')) ? true : undefined));
    expect(readdirSync(outDir)).toContain('cat.png');
    const verdict = await runCli(['verify', join(outDir, 'cat.png'), '--json'], env);
    expect(JSON.parse(verdict.stdout)).toMatchObject({ verdict: 'authentic' });
  }, 180_000);
});
