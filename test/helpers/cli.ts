// Runs the real `custody` command in a child process against a throw-away desk.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'custody.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'custody-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> {
  return runNode([BIN, ...args], env, input);
}

/** `node ...nodeArgs` (a script and its arguments, with node's options before) in the project folder. */
export function runNode(nodeArgs: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * A fresh desk (CUSTODY_HOME) with a passphrase; returns the env to run commands against it. With `admin`, the desk
 * also gets that first admin (password `admin.password`), and the env acts as them (CUSTODY_USER, CUSTODY_PASSWORD).
 */
export async function freshDesk(org = 'Test Newsroom', admin?: { name: string; password: string }): Promise<Record<string, string>> {
  const env: Record<string, string> = { CUSTODY_HOME: join(tempDir('custody-home-'), 'desk'), CUSTODY_PASSPHRASE: 'correct horse battery staple' };
  if (admin) Object.assign(env, { CUSTODY_USER: admin.name, CUSTODY_PASSWORD: admin.password });
  const r = await runCli(['init', '--org', org, ...(admin ? ['--admin', admin.name] : [])], env);
  if (r.code !== 0) throw new Error(`custody init failed: ${r.stderr}`);
  return env;
}
