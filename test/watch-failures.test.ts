// When OUT fails: a full disk or a refused write is reported and retried, and the files finish once the disk is
// back, with nothing signed twice. The failures are made at the file-system interface of core/watch (any host),
// and for real where the host allows it: a 2 MB tmpfs (full disk, and moves across file systems) and chattr +i
// (a permission error that binds root too).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import type { WatchEngine } from '../core/watch/engine.ts';
import { nodeFs, type WatchFs } from '../core/watch/fs.ts';
import { addWatchFolder, listWatchFolders, removeWatchFolder, updateWatchFolder } from '../core/watch/folders.ts';
import { listJobs } from '../core/watch/jobs.ts';
import { WatchEngine as Engine } from '../core/watch/engine.ts';
import { tempDir } from './helpers/cli.ts';
import { addFolder, engineFor, expectExactlyOnce, newDesk, uniqueJpeg } from './watch-helpers.ts';

let desk: Desk;
const running: WatchEngine[] = [];
beforeAll(async () => {
  desk = await newDesk();
});
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});
afterAll(() => desk.close());

const OPS = ['stat', 'lstat', 'readdir', 'mkdir', 'rename', 'link', 'unlink', 'rmdir', 'open', 'readFile', 'realpath'] as const;
const MESSAGES: Record<string, string> = { ENOSPC: 'no space left on device', EACCES: 'permission denied', EROFS: 'read-only file system' };

/** The real file system, except that `fail` may answer an errno code for a call, which is then thrown as Node would. */
function failing(fail: (op: (typeof OPS)[number], path: string, args: unknown[]) => string | null): WatchFs {
  const fs: Record<string, unknown> = {};
  for (const op of OPS) {
    fs[op] = (...args: unknown[]) => {
      const code = fail(op, String(args[0]), args);
      if (code) {
        const e = new Error(`${code}: ${MESSAGES[code] ?? 'injected'}, ${op} '${String(args[0])}'`) as NodeJS.ErrnoException;
        e.code = code;
        return Promise.reject(e);
      }
      return (nodeFs[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return fs as unknown as WatchFs;
}

const writes = (op: string, args: unknown[]) => op !== 'open' || (typeof args[1] === 'string' && /[wa+]/.test(args[1]));

describe('failures on OUT (injected at the fs interface)', () => {
  it('reports a full disk, keeps the files in the hot folder while it lasts, and finishes them once there is space', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    let full = true;
    const fs = failing((op, path, args) => (full && path.startsWith(outDir) && ['mkdir', 'rename', 'link', 'open'].includes(op) && writes(op, args) ? 'ENOSPC' : null));
    const s = engineFor(desk, folder, inDir, outDir, { fs });
    running.push(s.engine);
    await s.engine.start([folder.id]);
    const dropped = new Map([['one.jpg', await uniqueJpeg()], ['sub/two.jpg', await uniqueJpeg()]]);
    mkdirSync(join(inDir, 'sub'));
    for (const [rel, b] of dropped) writeFileSync(join(inDir, rel), b);

    const until = Date.now() + 20_000;
    while (s.retries.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.retries.length).toBeGreaterThanOrEqual(4);
    expect(s.retries[0]).toMatchObject({ code: 'IO_ERROR', state: 'claimed' });
    expect(s.retries[0]!.message).toMatch(/^expected to .+, but the file system refused: ENOSPC: no space left on device/);
    expect(s.outcomes).toEqual([]);
    for (const [rel, b] of dropped) expect(readFileSync(join(inDir, rel)).equals(b)).toBe(true);
    const attempts = listJobs(desk.store, { folderId: folder.id }).map((j) => j.attempts);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);

    full = false;
    await s.waitFor(2);
    expect(s.outcomes.every((o) => o.status === 'signed')).toBe(true);
    expectExactlyOnce(desk, s, dropped);
  });

  it('retries a refused write after signing without signing again', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    let refuse = true;
    const fs = failing((op, path) => (refuse && op === 'link' && path.includes('/.custody/') && !path.includes('.part') ? 'EACCES' : null));
    const s = engineFor(desk, folder, inDir, outDir, { fs });
    running.push(s.engine);
    await s.engine.start([folder.id]);
    const bytes = await uniqueJpeg();
    writeFileSync(join(inDir, 'p.jpg'), bytes);
    const until = Date.now() + 20_000;
    while (s.retries.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.retries.slice(0, 3).map((r) => r.state)).toEqual(['placing', 'placing', 'placing']);
    expect(s.retries[0]!.message).toMatch(/EACCES: permission denied/);
    const [job] = listJobs(desk.store, { folderId: folder.id });
    expect(job!.recordId).not.toBeNull();
    refuse = false;
    const [o] = await s.waitFor(1);
    expect(o!.recordId).toBe(job!.recordId);
    expectExactlyOnce(desk, s, new Map([['p.jpg', bytes]]));
  });
});

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = tempDir('custody-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function canChattr(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = tempDir('custody-chattr-probe-');
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('failures on OUT (for real, where the host allows)', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  });

  it.skipIf(!canMount())('a full tmpfs as OUT: ENOSPC is reported and retried; after space is freed every file lands once, copied across file systems', async () => {
    const mnt = tempDir('custody-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    mounts.push(mnt);
    const filler = join(mnt, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024 - 64 * 1024));
    const { folder, inDir, outDir } = addFolder(desk, { outDir: join(mnt, 'out') });
    const s = engineFor(desk, folder, inDir, outDir);
    running.push(s.engine);
    await s.engine.start([folder.id]);
    const dropped = new Map([['a.jpg', await uniqueJpeg()], ['b.jpg', await uniqueJpeg()]]);
    for (const [rel, b] of dropped) writeFileSync(join(inDir, rel), b);
    const until = Date.now() + 20_000;
    while (s.retries.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.retries.length).toBeGreaterThanOrEqual(3);
    expect(s.retries.map((r) => r.message).join('\n')).toMatch(/ENOSPC/);
    // Nothing half-copied is left behind, and the originals are still in the hot folder.
    for (const [rel, b] of dropped) expect(readFileSync(join(inDir, rel)).equals(b)).toBe(true);

    rmSync(filler);
    await s.waitFor(2);
    expect(s.outcomes.map((o) => o.status)).toEqual(['signed', 'signed']);
    expectExactlyOnce(desk, s, dropped);
  });

  it.skipIf(!canChattr())('an immutable OUT (chattr +i, refused even to root): EPERM is reported and retried until it is writable again', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    mkdirSync(outDir, { recursive: true });
    execFileSync('chattr', ['+i', outDir]);
    try {
      const s = engineFor(desk, folder, inDir, outDir);
      running.push(s.engine);
      await s.engine.start([folder.id]);
      const bytes = await uniqueJpeg();
      writeFileSync(join(inDir, 'locked.jpg'), bytes);
      const until = Date.now() + 20_000;
      while (s.retries.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(s.retries.length).toBeGreaterThanOrEqual(2);
      expect(s.retries[0]!.message).toMatch(/EPERM: operation not permitted/);
      execFileSync('chattr', ['-i', outDir]);
      await s.waitFor(1);
      expectExactlyOnce(desk, s, new Map([['locked.jpg', bytes]]));
    } finally {
      execFileSync('chattr', ['-i', outDir]);
    }
  });
});

describe('stored folders', () => {
  it('keeps the options, carries them as they were at claim time into every job and receipt, and writes the source type into C2PA', async () => {
    const { folder, inDir, outDir } = addFolder(desk, {
      options: { workflowTemplate: 'news', classification: 'internal', flags: ['personal-data'], digitalSourceType: 'negativeFilm' },
    });
    expect(listWatchFolders(desk.store).find((f) => f.id === folder.id)).toMatchObject({
      workflowTemplate: 'news',
      classification: 'internal',
      flags: ['personal-data'],
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/negativeFilm',
    });
    const s = engineFor(desk, folder, inDir, outDir);
    running.push(s.engine);
    await s.engine.start([folder.id]);
    writeFileSync(join(inDir, 'a.jpg'), await uniqueJpeg());
    const [o] = await s.waitFor(1);
    expect(JSON.parse(readFileSync(o!.note!, 'utf8')).watch).toEqual({
      folderId: folder.id,
      jobId: o!.jobId,
      workflowTemplate: 'news',
      classification: 'internal',
      flags: ['personal-data'],
      digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/negativeFilm',
    });
    // Submitted into the folder's template with its classification and flags.
    expect(desk.workflow.status(null, o!.recordId!)).toMatchObject({ state: 'in_review', template: 'news', classification: 'internal', flags: ['personal-data'] });
    // A scanned negative, not a camera capture: the manifest says so.
    const manifest = await readManifest(readFileSync(o!.output!), 'image/jpeg');
    expect(manifest?.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/negativeFilm' });
    const updated = updateWatchFolder(desk, desk.bootstrapActor()!, folder.id, { options: { classification: 'public', flags: [] } }, desk.folderRules);
    expect(updated).toMatchObject({ classification: 'public', flags: [], workflowTemplate: 'news' });
    expect(listJobs(desk.store, { folderId: folder.id })[0]!.options.classification).toBe('internal');
  });

  it.each([
    ['OUT inside IN', (i: string) => ({ path: i, outDir: join(i, 'out') }), 'INVALID_ARGUMENT', /expected an output folder outside the watched folder/],
    ['IN inside OUT', (i: string) => ({ path: (mkdirSync(join(i, 'in')), join(i, 'in')), outDir: i }), 'INVALID_ARGUMENT', /expected an output folder outside the watched folder/],
    ['a missing IN', (i: string) => ({ path: join(i, 'nope'), outDir: tempDir() }), 'NOT_FOUND', /expected a folder to watch at .*nope, but there is none/],
    ['concurrency 0', (i: string) => ({ path: i, outDir: tempDir(), concurrency: 0 }), 'INVALID_ARGUMENT', /expected the concurrency to be a whole number from 1 to 32, got 0/],
    ['a bad flag', (i: string) => ({ path: i, outDir: tempDir(), options: { flags: ['Has Space'] } }), 'INVALID_ARGUMENT', /expected a flag of lower-case letters/],
    ['a bad source type', (i: string) => ({ path: i, outDir: tempDir(), options: { digitalSourceType: 'http://example.com/x' } }), 'INVALID_ARGUMENT', /expected an IPTC digital source type/],
  ])('refuses %s', (_name, input, code, message) => {
    const inDir = tempDir('custody-in-');
    expect(() => addWatchFolder(desk, desk.bootstrapActor()!, input(inDir), desk.folderRules)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  it('lets one engine hold a folder at a time, refuses to remove a running folder, and keeps the history after removal', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    const a = engineFor(desk, folder, inDir, outDir);
    running.push(a.engine);
    await a.engine.start([folder.id]);
    const b = new Engine(desk);
    await expect(b.start([folder.id])).rejects.toMatchObject({ code: 'WATCH_FOLDER_BUSY', message: expect.stringMatching(/^expected .* to be free, got it watched by process \d+ on /) });
    expect(() => removeWatchFolder(desk, desk.bootstrapActor()!, folder.id)).toThrow(expect.objectContaining({ code: 'WATCH_FOLDER_BUSY' }));
    writeFileSync(join(inDir, 'x.jpg'), await uniqueJpeg());
    await a.waitFor(1);
    await a.engine.stop();
    running.splice(0);
    await b.start([folder.id]);
    await b.stop();
    removeWatchFolder(desk, desk.bootstrapActor()!, inDir);
    expect(listWatchFolders(desk.store).some((f) => f.id === folder.id)).toBe(false);
    expect(listJobs(desk.store, { folderId: folder.id }).map((j) => j.state)).toEqual(['done']);
    // The same folder can be added again afterwards.
    addWatchFolder(desk, desk.bootstrapActor()!, { path: inDir, outDir }, desk.folderRules);
  });
});
