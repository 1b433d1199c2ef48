// Exactly once through crashes. A child engine SIGKILLs itself after a chosen durable step or file-system call;
// a fresh engine then replays the queue. Every original must end up in originals/ (or rejected/) byte for byte,
// every distinct good file must have one record and one signed copy, and the hot folder must be empty.
// test/watch-crash.slow.test.ts kills at every file-system call in turn.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { getRecord } from '../core/store/records.ts';
import { sql } from '../core/store/db.ts';
import { claimJob, getJob, listJobs } from '../core/watch/jobs.ts';
import { nodeFs } from '../core/watch/fs.ts';
import { step } from '../core/watch/steps.ts';
import { addFolder, crashFiles, expectExactlyOnce, newDesk, resume, runChild, sha256, uniqueJpeg } from './watch-helpers.ts';

let desk: Desk;
beforeAll(async () => {
  desk = await newDesk();
});
afterAll(() => desk.close());

describe('kill -9 of the watcher, then a restart', () => {
  it.each(['step:staged:2', 'step:signed:1', 'step:placing:2', 'op:9', 'op:23'])(
    'at %s: the restart finishes what was in flight, signs nothing twice and loses nothing',
    async (mode) => {
      const s = addFolder(desk);
      const { dropped, bad } = await crashFiles(s.inDir);
      const child = await runChild(desk, s.folder.id, mode);
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const open = listJobs(desk.store, { folderId: s.folder.id, open: true });
      if (mode.startsWith('step:')) expect(open.length).toBeGreaterThan(0);
      await resume(desk, s);
      expectExactlyOnce(desk, s, dropped, bad);
    },
  );
});

describe('kill -9 of a watcher signing in sign workers (concurrency 2), then a restart', () => {
  // Two renders in flight in worker threads when the process dies; the database and the files are written only by
  // the main thread, so the replay is the same as for one thread.
  it.each(['step:signed:2', 'op:23'])(
    'at %s: the restart finishes what was in flight, signs nothing twice and loses nothing',
    async (mode) => {
      const s = addFolder(desk, { concurrency: 2 });
      const { dropped, bad } = await crashFiles(s.inDir);
      const child = await runChild(desk, s.folder.id, mode);
      expect(child.signal, child.stderr).toBe('SIGKILL');
      await resume(desk, s);
      expectExactlyOnce(desk, s, dropped, bad);
    },
  );
});

describe('replaying a step from states a crash can leave', () => {
  const ctx = () => ({ desk, fs: nodeFs, now: () => new Date() });

  it('removes a signed output whose record never committed (a crash between the write and the commit) and signs once', async () => {
    const s = addFolder(desk);
    const bytes = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'p.jpg'), bytes);
    const claimed = claimJob(desk.store, s.folder, { relPath: 'p.jpg', sourcePath: join(s.inDir, 'p.jpg'), size: bytes.length, mtimeMs: (await nodeFs.stat(join(s.inDir, 'p.jpg'))).mtimeMs }, new Date())!;
    const staged = await step(ctx(), claimed);
    expect(staged.state).toBe('staged');
    expect(existsSync(join(s.inDir, 'p.jpg'))).toBe(false);
    const orphanDir = join(staged.stagedPath!, '..', '..', 'signed');
    mkdirSync(orphanDir, { recursive: true });
    writeFileSync(join(orphanDir, basename(staged.stagedPath!)), 'half of a signed copy');
    writeFileSync(join(orphanDir, `.p.jpg.0123456789ab.part`), 'a temp file');

    await resume(desk, s);
    expect(getJob(desk.store, staged.id).state).toBe('done');
    expect(existsSync(orphanDir)).toBe(false);
    expectExactlyOnce(desk, s, new Map([['p.jpg', bytes]]));
  });

  it.each([
    ['after the link, before the temporary name was removed', true],
    ['after the record committed, before the link', false],
  ])('finishes the placement of a watcher process that died %s, then places the job once', async (_, linked) => {
    const s = addFolder(desk);
    const bytes = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'l.jpg'), bytes);
    const st = await nodeFs.stat(join(s.inDir, 'l.jpg'));
    const claimed = claimJob(desk.store, s.folder, { relPath: 'l.jpg', sourcePath: join(s.inDir, 'l.jpg'), size: st.size, mtimeMs: st.mtimeMs }, new Date())!;
    const signed = await step(ctx(), await step(ctx(), claimed));
    expect(signed.state).toBe('signed');
    const output = getRecord(desk.store, signed.recordId!)!.outputPath!;
    // What a process killed mid-placement leaves: its intent row, the temporary name, and the final name or not.
    const tmp = join(dirname(output), `.${basename(output)}.${signed.recordId}.part`);
    if (linked) linkSync(output, tmp);
    else renameSync(output, tmp);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    desk.store.run(sql`INSERT INTO output_intents (temp_path, record_id, pid, created_at) VALUES (${tmp}, ${signed.recordId}, ${dead}, ${new Date().toISOString()})`);

    await resume(desk, s);
    expect(getJob(desk.store, signed.id).state).toBe('done');
    expect(existsSync(tmp)).toBe(false);
    expect(desk.store.all(sql`SELECT * FROM output_intents WHERE record_id = ${signed.recordId}`)).toEqual([]);
    expectExactlyOnce(desk, s, new Map([['l.jpg', bytes]]));
  });

  it('releases a claim whose file changed before it was taken, and takes the new content as a new job', async () => {
    const s = addFolder(desk);
    const first = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'c.jpg'), first);
    const st = await nodeFs.stat(join(s.inDir, 'c.jpg'));
    const claimed = claimJob(desk.store, s.folder, { relPath: 'c.jpg', sourcePath: join(s.inDir, 'c.jpg'), size: st.size, mtimeMs: st.mtimeMs }, new Date())!;
    // The photographer replaces the file while the watcher is down.
    await new Promise((r) => setTimeout(r, 20));
    const second = await uniqueJpeg();
    writeFileSync(join(s.inDir, 'c.jpg'), second);

    const r = await resume(desk, s);
    expect(getJob(desk.store, claimed.id)).toMatchObject({ state: 'released', lastError: expect.stringMatching(/^expected c\.jpg unchanged since it was claimed/) });
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({ status: 'signed', sha256: sha256(second) });
    expect(readFileSync(join(s.outDir, 'originals/c.jpg')).equals(second)).toBe(true);
  });

  it('releases a claim whose file is gone, and moves nothing', async () => {
    const s = addFolder(desk);
    writeFileSync(join(s.inDir, 'g.jpg'), await uniqueJpeg());
    const st = await nodeFs.stat(join(s.inDir, 'g.jpg'));
    const claimed = claimJob(desk.store, s.folder, { relPath: 'g.jpg', sourcePath: join(s.inDir, 'g.jpg'), size: st.size, mtimeMs: st.mtimeMs }, new Date())!;
    await nodeFs.rename(join(s.inDir, 'g.jpg'), join(s.inDir, '..', `${basename(s.inDir)}-taken-back.jpg`));
    const r = await resume(desk, s);
    expect(getJob(desk.store, claimed.id).state).toBe('released');
    expect(r.outcomes).toEqual([]);
  });
});
