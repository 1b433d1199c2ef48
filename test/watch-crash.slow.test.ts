// The exhaustive crash sweep (npm run test:slow; or npx vitest run --config vitest.slow.config.ts with this file):
// a child engine is SIGKILLed right after each file-system call that changes something, one call further each
// round, on one file system and across two (OUT on a tmpfs, where moves are copy + fsync + verify + unlink), and
// once more during the replay itself.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { tempDir } from './helpers/cli.ts';
import { addFolder, crashFiles, expectExactlyOnce, newDesk, resume, runChild } from './watch-helpers.ts';

let desk: Desk;
const mounts: string[] = [];
beforeAll(async () => {
  desk = await newDesk();
});
afterAll(() => {
  desk.close();
  for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
});

function tmpfs(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = tempDir('custody-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  mounts.push(dir);
  return dir;
}

function canMount(): boolean {
  const dir = tmpfs();
  if (dir === null) return false;
  execFileSync('umount', [dir], { stdio: 'ignore' });
  mounts.splice(mounts.indexOf(dir), 1);
  return true;
}

async function countOps(outRoot: () => string): Promise<number> {
  const s = addFolder(desk, { outDir: join(outRoot(), 'out') });
  await crashFiles(s.inDir);
  const r = await runChild(desk, s.folder.id, 'run');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { ops: number }).ops;
}

async function sweep(outRoot: () => string, kills: (k: number) => string[]): Promise<string[]> {
  const total = await countOps(outRoot);
  expect(total).toBeGreaterThan(20);
  const failures: string[] = [];
  for (let k = 1; k <= total; k++) {
    const s = addFolder(desk, { outDir: join(outRoot(), `out-${k}`) });
    const { dropped, bad } = await crashFiles(s.inDir);
    for (const mode of kills(k)) {
      const child = await runChild(desk, s.folder.id, mode);
      if (child.signal !== 'SIGKILL' && mode === kills(k)[0]) failures.push(`${mode}: expected SIGKILL, got exit ${child.code}: ${child.stderr}`);
    }
    await resume(desk, s);
    try {
      expectExactlyOnce(desk, s, dropped, bad);
    } catch (e) {
      failures.push(`${kills(k).join(' then ')}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return failures;
}

describe('kill -9 after every file-system call', () => {
  it('on one file system', async () => {
    expect(await sweep(() => tempDir('custody-out-'), (k) => [`op:${k}`])).toEqual([]);
  }, 600_000);

  it.skipIf(!canMount())('with OUT on another file system (tmpfs)', async () => {
    const mnt = tmpfs()!;
    expect(await sweep(() => mnt, (k) => [`op:${k}`])).toEqual([]);
  }, 900_000);

  it('twice: once in the run, once more while the restart replays', async () => {
    expect(await sweep(() => tempDir('custody-out-'), (k) => [`op:${k}`, 'op:3'])).toEqual([]);
  }, 900_000);
});
