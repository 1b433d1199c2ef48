// Runs the real `custody` command in a child process against a throw-away desk.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import { Desk } from '../../core/desk.ts';

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
 * Made in-process with cheap scrypt, which the vault and the hash keep: every later `custody` command unlocks and
 * checks the password at that cost, not at the product's (test/guessing.test.ts runs `custody init` itself).
 */
export async function freshDesk(org = 'Test Newsroom', admin?: { name: string; password: string }): Promise<Record<string, string>> {
  const env: Record<string, string> = { CUSTODY_HOME: join(tempDir('custody-home-'), 'desk'), CUSTODY_PASSPHRASE: 'correct horse battery staple' };
  if (admin) Object.assign(env, { CUSTODY_USER: admin.name, CUSTODY_PASSWORD: admin.password });
  const { desk } = await Desk.init(env.CUSTODY_HOME!, { org, protector: new PassphraseProtector(env.CUSTODY_PASSPHRASE!, CHEAP_SCRYPT), passwordParams: CHEAP_SCRYPT, ...(admin ? { admin } : {}) });
  desk.close();
  return env;
}

export const CHEAP_SCRYPT = { N: 1 << 10, r: 8, p: 1 };
