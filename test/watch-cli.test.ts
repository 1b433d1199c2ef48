// `custody watch` through the real command: JSON lines and summaries, a clean stop on SIGTERM, kill -9 while
// files are in flight followed by a restart, and the folder commands.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getWatchFolder } from '../core/watch/folders.ts';
import { ROOT, freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { expectExactlyOnce, openDesk, uniqueJpeg } from './watch-helpers.ts';

let env: Record<string, string>;
beforeAll(async () => {
  env = await freshDesk();
  const roots = await runCli(['settings', 'set', 'allowed-roots', tmpdir()], env);
  expect(roots.stderr).toBe('');
});

interface Watcher {
  child: ChildProcessWithoutNullStreams;
  lines: Record<string, unknown>[];
  stderr: () => string;
  waitForLines(n: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function watcher(args: string[]): Watcher {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'custody.js'), 'watch', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitForLines = async (n: number, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (lines.length < n) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`expected ${n} JSON lines, got ${lines.length}; stderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return lines;
  };
  return { child, lines, stderr: () => err, waitForLines, exit };
}

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('custody watch', () => {
  it('prints one JSON line per file on stdout and one summary per file on stderr, and stops cleanly on SIGTERM', async () => {
    const inDir = tempDir('custody-in-');
    const outDir = join(tempDir('custody-out-'), 'out');
    const w = watcher([inDir, '--out', outDir, '--json', '--stable-ms', '300', '--flag', 'personal-data']);
    await until(() => w.stderr().includes('watching '), 'the watcher to start');
    expect(w.stderr()).toContain(`watching ${inDir} → ${outDir} (concurrency 1, flags personal-data)`);
    mkdirSync(join(inDir, 'day1'));
    writeFileSync(join(inDir, 'day1', 'a.jpg'), await uniqueJpeg());
    writeFileSync(join(inDir, 'b.jpg'), await uniqueJpeg());
    writeFileSync(join(inDir, 'notes.jpg'), 'not a photo');
    const lines = await w.waitForLines(3);
    const byPath = Object.fromEntries(lines.map((l) => [l.path, l]));
    expect(byPath['day1/a.jpg']).toMatchObject({ status: 'signed', output: join(outDir, 'day1', 'a.jpg'), original: join(outDir, 'originals', 'day1', 'a.jpg') });
    expect(byPath['b.jpg']).toMatchObject({ status: 'signed', output: join(outDir, 'b.jpg') });
    expect(byPath['notes.jpg']).toMatchObject({ status: 'rejected', error: { code: 'UNSUPPORTED_FORMAT' } });
    expect(w.stderr()).toMatch(/^signed day1\/a\.jpg → .*day1\/a\.jpg \(record rec_\w+, \d+\.\d\d s\)$/m);
    expect(w.stderr()).toMatch(/^rejected notes\.jpg → .*rejected\/notes\.jpg \(UNSUPPORTED_FORMAT: expected /m);

    w.child.kill('SIGTERM');
    expect(await w.exit).toEqual({ code: 0, signal: null });
    expect(w.stderr()).toMatch(/SIGTERM: finishing the files in flight, then stopping\nstopped: 2 signed, 1 rejected, 0 duplicates\n$/);
    expect(readdirSync(inDir, { recursive: true }).filter((f) => String(f).includes('.'))).toEqual([]);
  });

  it('after kill -9 with files in flight, a restart finishes them: every original kept, one record and one signed copy each, the hot folder empty', async () => {
    const inDir = tempDir('custody-in-');
    const outDir = join(tempDir('custody-out-'), 'out');
    const dropped = new Map<string, Buffer>();
    for (let i = 0; i < 10; i++) dropped.set(`${i % 3 === 0 ? 'card/' : ''}img_${i}.jpg`, await uniqueJpeg());
    dropped.set('card/img_0-copy.jpg', dropped.get('card/img_0.jpg')!);
    dropped.set('broken.jpg', Buffer.from('truncated nonsense'));

    const w = watcher([inDir, '--out', outDir, '--json', '--stable-ms', '200', '--concurrency', '2']);
    await until(() => w.stderr().includes('watching '), 'the watcher to start');
    mkdirSync(join(inDir, 'card'));
    for (const [rel, b] of dropped) writeFileSync(join(inDir, rel), b);
    await w.waitForLines(2);
    w.child.kill('SIGKILL');
    expect((await w.exit).signal).toBe('SIGKILL');
    const finishedBefore = w.lines.length;
    expect(finishedBefore).toBeLessThan(dropped.size);

    // The folder is stored, so the restart needs no --out; --once exits when it is done.
    const again = watcher([inDir, '--json', '--once']);
    expect(await again.exit).toEqual({ code: 0, signal: null });
    // A file is reported once: the restart replays only what had not finished (a kill can fall between a
    // job's last commit and its line, so the two runs may report slightly fewer lines than files, never more).
    const reported = [...w.lines, ...again.lines].map((l) => l.path);
    expect(new Set(reported).size).toBe(reported.length);
    expect(reported.length).toBeGreaterThanOrEqual(dropped.size - 2);
    const desk = await openDesk(env.CUSTODY_HOME!);
    try {
      const folder = getWatchFolder(desk.store, inDir)!;
      expectExactlyOnce(desk, { folder, inDir: folder.path, outDir: folder.outDir }, dropped, new Set(['broken.jpg']));
    } finally {
      desk.close();
    }
  });

  it('refuses a second watcher on a folder that is running, and the folder commands see it', async () => {
    const inDir = tempDir('custody-in-');
    const outDir = join(tempDir('custody-out-'), 'out');
    const none = await runCli(['watch', inDir], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error INVALID_ARGUMENT: expected --out OUT for .*, which is not watched yet, got none/m);

    const w = watcher([inDir, '--out', outDir, '--classification', 'internal']);
    await until(() => w.stderr().includes('watching '), 'the watcher to start');
    const second = await runCli(['watch', inDir], env);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^error WATCH_FOLDER_BUSY: expected .* to be free, got it watched by process \d+ on /m);
    const list = await runCli(['watch-folders', 'list', '--json'], env);
    const folder = (JSON.parse(list.stdout) as { path: string; classification: string; lease: unknown }[]).find((f) => f.path === inDir);
    expect(folder).toMatchObject({ classification: 'internal', lease: { owner: expect.stringContaining(`|${w.child.pid}|`) } });
    const remove = await runCli(['watch-folders', 'remove', inDir], env);
    expect(remove.code).toBe(2);
    expect(remove.stderr).toMatch(/^error WATCH_FOLDER_BUSY: /m);

    w.child.kill('SIGINT');
    expect((await w.exit).code).toBe(0);
    const removed = await runCli(['watch-folders', 'remove', inDir], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^removed wf_[0-9a-f]+: /);
  });
});
