// Attacks on a watched folder by someone who can write into it (security review): a subfolder swapped for a link
// to a folder outside the allowed roots while its files settle or as one is taken, and a file swapped for a link or
// a named pipe between the check and the move. Real files and real folders; the WatchFs hook only picks the moment
// of a swap, so that the attacker wins the race every time.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { nodeFs, type WatchFs } from '../core/watch/fs.ts';
import { listJobs } from '../core/watch/jobs.ts';
import { tempDir } from './helpers/cli.ts';
import { addFolder, engineFor, newDesk, sha256, uniqueJpeg, type Scenario } from './watch-helpers.ts';

let desk: Desk;
const running: Scenario[] = [];
beforeAll(async () => {
  desk = await newDesk();
});
afterEach(async () => {
  for (const s of running.splice(0)) {
    unblockPipes(s.outDir);
    await s.engine.stop();
  }
});
afterAll(() => desk.close());

/** Every entry under dir (files, links, pipes), relative, without following links. */
function entriesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => !lstatSync(join(dir, p)).isDirectory()).sort();
}

/** Whether any regular file under dir holds these bytes. */
function holds(dir: string, bytes: Buffer): boolean {
  const h = sha256(bytes);
  return entriesUnder(dir).some((p) => lstatSync(join(dir, p)).isFile() && sha256(readFileSync(join(dir, p))) === h);
}

/** Opens every pipe under dir for writing, so that a reader stuck on one (the code before the fix) lets go. */
function unblockPipes(dir: string): void {
  for (const p of entriesUnder(dir)) {
    if (!lstatSync(join(dir, p)).isFIFO()) continue;
    try {
      closeSync(openSync(join(dir, p), constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting on it
    }
  }
}

/** An engine on a fresh folder whose fs runs `swap(src)` just before the first rename out of IN (the attacker's moment). */
async function start(opts: { stableMs?: number; swapAtRename?: (src: string) => void; failAfterRename?: boolean } = {}) {
  const { folder, inDir, outDir } = addFolder(desk, { stableMs: opts.stableMs ?? 200 });
  let swapped = false;
  let failed = false;
  const fs: WatchFs = {
    ...nodeFs,
    rename: async (a: Parameters<WatchFs['rename']>[0], b: Parameters<WatchFs['rename']>[1]) => {
      const fromIn = String(a).startsWith(inDir);
      if (fromIn && opts.swapAtRename && !swapped) {
        swapped = true;
        opts.swapAtRename(String(a));
      }
      await nodeFs.rename(a, b);
      // A step that fails right after its move (a full disk, a kill): the retry finds the entry already staged.
      if (fromIn && opts.failAfterRename && !failed) {
        failed = true;
        throw Object.assign(new Error('EIO: i/o error, injected after the rename'), { code: 'EIO' });
      }
    },
  };
  const s = engineFor(desk, folder, inDir, outDir, { fs });
  running.push(s);
  await s.engine.start([folder.id]);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a subfolder of a watched folder swapped for a link', () => {
  it('while its files settle: the files behind the link stay where they are and nothing of them reaches OUT', async () => {
    const secret = tempDir('custody-secret-');
    const photo = await uniqueJpeg();
    writeFileSync(join(secret, 'victim.jpg'), photo);
    writeFileSync(join(secret, 'id_ed25519'), 'PRIVATE KEY MATERIAL\n');
    const s = await start({ stableMs: 1000 });
    // A real subfolder with files named like the targets, noticed by the watcher, then swapped while they settle.
    mkdirSync(join(s.inDir, 'sub'));
    writeFileSync(join(s.inDir, 'sub', 'victim.jpg'), 'x');
    writeFileSync(join(s.inDir, 'sub', 'id_ed25519'), 'x');
    await sleep(400);
    rmSync(join(s.inDir, 'sub'), { recursive: true });
    symlinkSync(secret, join(s.inDir, 'sub'));
    await sleep(3000);
    await s.engine.whenIdle();

    expect(readFileSync(join(secret, 'victim.jpg')).equals(photo)).toBe(true);
    expect(readFileSync(join(secret, 'id_ed25519'), 'utf8')).toBe('PRIVATE KEY MATERIAL\n');
    expect(holds(s.outDir, photo)).toBe(false);
    expect(entriesUnder(s.outDir)).toEqual([]);
    expect(s.outcomes).toEqual([]);
    expect(desk.items().some((r) => r.sha256 === sha256(photo))).toBe(false);
  });

  it('pointing at the desk’s data folder: desk.db stays in it', async () => {
    const s = await start({ stableMs: 1000 });
    const db = readFileSync(join(desk.home, 'desk.db'));
    mkdirSync(join(s.inDir, 'sub'));
    writeFileSync(join(s.inDir, 'sub', 'desk.db'), 'x');
    await sleep(400);
    rmSync(join(s.inDir, 'sub'), { recursive: true });
    symlinkSync(desk.home, join(s.inDir, 'sub'));
    await sleep(3000);
    await s.engine.whenIdle();

    expect(existsSync(join(desk.home, 'desk.db'))).toBe(true);
    expect(holds(s.outDir, db)).toBe(false);
    expect(entriesUnder(s.outDir)).toEqual([]);
    expect(s.outcomes).toEqual([]);
  });

  it('at the moment a file is moved: the file behind the link goes back, the job is released, nothing is signed', async () => {
    const secret = tempDir('custody-secret-');
    const photo = await uniqueJpeg();
    writeFileSync(join(secret, 'victim.jpg'), photo);
    const s = await start({
      swapAtRename: () => {
        renameSync(join(s.inDir, 'sub'), join(s.inDir, '.sub-was'));
        symlinkSync(secret, join(s.inDir, 'sub'));
      },
    });
    mkdirSync(join(s.inDir, 'sub'));
    writeFileSync(join(s.inDir, 'sub', 'victim.jpg'), await uniqueJpeg());
    for (let i = 0; i < 100 && listJobs(desk.store, { folderId: s.folder.id }).every((j) => j.state !== 'released'); i++) await sleep(100);
    await s.engine.whenIdle();

    expect(readFileSync(join(secret, 'victim.jpg')).equals(photo)).toBe(true);
    expect(holds(s.outDir, photo)).toBe(false);
    expect(entriesUnder(s.outDir)).toEqual([]);
    const jobs = listJobs(desk.store, { folderId: s.folder.id });
    expect(jobs.map((j) => j.state)).toEqual(['released']);
    expect(jobs[0]!.lastError).toMatch(/replaced by a link .*left where it was/);
    expect(desk.items().some((r) => r.sha256 === sha256(photo))).toBe(false);
  });
});

describe('a file swapped between the check and the move', () => {
  it('for a link to a photo outside the roots: rejected as a link, the photo neither read, signed nor moved', async () => {
    const secret = tempDir('custody-secret-');
    const photo = await uniqueJpeg();
    writeFileSync(join(secret, 'private.jpg'), photo);
    const s = await start({
      swapAtRename: (src) => {
        symlinkSync(join(secret, 'private.jpg'), `${src}.swap`);
        renameSync(`${src}.swap`, src);
      },
    });
    writeFileSync(join(s.inDir, 'drop.jpg'), await uniqueJpeg());
    const [o] = await s.waitFor(1, 20_000);

    expect(o).toMatchObject({ status: 'rejected', path: 'drop.jpg', output: null, error: { code: 'UNSUPPORTED_FORMAT' } });
    expect(o!.error!.message).toMatch(/expected a regular file .* got a symbolic link/);
    const rejected = join(s.outDir, 'rejected', 'drop.jpg');
    expect(lstatSync(rejected).isSymbolicLink()).toBe(true);
    expect(readlinkSync(rejected)).toBe(join(secret, 'private.jpg'));
    expect(readFileSync(`${rejected}.error.txt`, 'utf8')).toMatch(/code: UNSUPPORTED_FORMAT\nerror: expected a regular file .* got a symbolic link/);
    expect(readFileSync(join(secret, 'private.jpg')).equals(photo)).toBe(true);
    expect(holds(s.outDir, photo)).toBe(false);
    expect(desk.items().some((r) => r.sha256 === sha256(photo))).toBe(false);
  });

  /** The attacker's swap for a named pipe, which a reader would wait on forever. */
  const toPipe = (src: string) => {
    execFileSync('mkfifo', [`${src}.swap`]);
    renameSync(`${src}.swap`, src);
  };

  for (const replayed of [false, true]) {
    const title = replayed
      ? 'for a named pipe already staged when its step is replayed (the step failed after the move): set aside without being opened'
      : 'for a named pipe: rejected as a pipe at once, never opened (no reader left hanging)';
    it(title, async () => {
      const s = await start({ swapAtRename: toPipe, failAfterRename: replayed });
      writeFileSync(join(s.inDir, 'drop.jpg'), await uniqueJpeg());
      const [o] = await s.waitFor(1, 15_000);

      expect(o).toMatchObject({ status: 'rejected', path: 'drop.jpg', error: { code: 'UNSUPPORTED_FORMAT' } });
      expect(o!.error!.message).toMatch(/got a named pipe/);
      expect(s.retries).toHaveLength(replayed ? 1 : 0);
      expect(lstatSync(join(s.outDir, 'rejected', 'drop.jpg')).isFIFO()).toBe(true);
      expect(existsSync(join(s.outDir, 'rejected', 'drop.jpg.error.txt'))).toBe(true);
      expect(entriesUnder(join(s.outDir, '.custody'))).toEqual([]);
    });
  }
});
