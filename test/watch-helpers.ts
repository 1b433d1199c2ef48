// Shared by the watch tests: a desk, unique photos, an engine whose outcomes can be awaited, and the
// exactly-once check run after every scenario.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { WatchEngine, type WatchEngineOptions, type WatchOutcome, type WatchProblem, type WatchRetry } from '../core/watch/engine.ts';
import type { Actor } from '../core/directory/roles.ts';
import { addWatchFolder, type WatchFolder, type WatchFolderInput } from '../core/watch/folders.ts';
import { listJobs } from '../core/watch/jobs.ts';
import { isIgnored } from '../core/watch/paths.ts';
import { photo } from './fixtures/photos.ts';
import { ROOT, tempDir } from './helpers/cli.ts';

export const PASSPHRASE = 'correct horse battery staple';

export async function newDesk(): Promise<Desk> {
  const { desk } = await Desk.init(join(tempDir('custody-home-'), 'desk'), { org: 'Test Newsroom', protector: new PassphraseProtector(PASSPHRASE, { N: 1 << 10, r: 8, p: 1 }) }); // cheap scrypt: the child unlocks with the stored cost
  // Watched folders live under the allowed roots; the tests' folders are temporary ones.
  desk.setAllowedRoots(desk.bootstrapActor()!, [tmpdir()]);
  return desk;
}

export async function openDesk(home: string): Promise<Desk> {
  const desk = Desk.open(home);
  await desk.unlock(new PassphraseProtector(PASSPHRASE));
  return desk;
}

let seed = 0;
const TILES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg', 'camera.png', 'moon.png'];

/** A real photo as a JPEG whose bytes no other call returns (a counter in its EXIF). */
export async function uniqueJpeg(name?: string): Promise<Buffer> {
  const n = ++seed;
  return sharp(photo(name ?? TILES[n % TILES.length]!))
    .withExif({ IFD0: { ImageDescription: `custody watch test ${process.pid}.${n}.${Date.now()}` } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every file under dir, relative and '/'-separated. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split(sep).join('/'))
    .sort();
}

export interface Scenario {
  desk: Desk;
  folder: WatchFolder;
  inDir: string;
  outDir: string;
  engine: WatchEngine;
  outcomes: WatchOutcome[];
  retries: WatchRetry[];
  problems: WatchProblem[];
  /** Resolves with the outcomes once there are at least n (fails after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<WatchOutcome[]>;
}

/** Adds a folder configured by `by` (default: the vault-passphrase holder of a desk without users). */
export function addFolder(desk: Desk, input: Partial<WatchFolderInput> = {}, by: Actor = desk.bootstrapActor()!): { folder: WatchFolder; inDir: string; outDir: string } {
  const inDir = input.path ?? tempDir('custody-in-');
  const outDir = input.outDir ?? join(tempDir('custody-out-'), 'out');
  const folder = addWatchFolder(desk, by, { stableMs: 300, ...input, path: inDir, outDir }, desk.folderRules);
  return { folder, inDir: folder.path, outDir: folder.outDir };
}

export function engineFor(desk: Desk, folder: WatchFolder, inDir: string, outDir: string, opts: WatchEngineOptions = {}): Scenario {
  const engine = new WatchEngine(desk, { rescanMs: 60_000, retryBaseMs: 50, retryMaxMs: 400, ...opts });
  const outcomes: WatchOutcome[] = [];
  const retries: WatchRetry[] = [];
  const problems: WatchProblem[] = [];
  let wake: (() => void) | null = null;
  engine.on('file', (o) => {
    outcomes.push(o);
    wake?.();
  });
  engine.on('retry', (r) => retries.push(r));
  engine.on('problem', (p) => problems.push(p));
  const waitFor = async (n: number, timeoutMs = 30_000): Promise<WatchOutcome[]> => {
    const until = Date.now() + timeoutMs;
    while (outcomes.length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} outcomes, got ${outcomes.length}: ${JSON.stringify(outcomes.map((o) => `${o.status} ${o.path}`))}; retries ${JSON.stringify(retries.slice(-3))}; problems ${JSON.stringify(problems)}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return outcomes;
  };
  return { desk, folder, inDir, outDir, engine, outcomes, retries, problems, waitFor };
}

/**
 * The promise of the issue, checked on disk and in the database once a folder is idle: the hot folder holds no
 * file it should take; every original is byte-for-byte in originals/ (signed) or rejected/; each distinct good
 * file has exactly one record and one signed copy, which verifies; nothing else is in OUT.
 */
export function expectExactlyOnce(desk: Desk, s: { folder: WatchFolder; inDir: string; outDir: string }, dropped: Map<string, Buffer>, bad: Set<string> = new Set()): void {
  expect(filesUnder(s.inDir).filter((f) => !isIgnored(f))).toEqual([]);
  const jobs = listJobs(desk.store, { folderId: s.folder.id });
  expect(jobs.filter((j) => ['claimed', 'staged', 'signed', 'placing'].includes(j.state))).toEqual([]);

  const out = filesUnder(s.outDir);
  const originals = new Map(out.filter((f) => f.startsWith('originals/')).map((f) => [sha256(readFileSync(join(s.outDir, f))), f]));
  const rejected = out.filter((f) => f.startsWith('rejected/') && !f.endsWith('.error.txt'));
  const rejectedShas = new Map<string, number>();
  for (const f of rejected) {
    const h = sha256(readFileSync(join(s.outDir, f)));
    rejectedShas.set(h, (rejectedShas.get(h) ?? 0) + 1);
  }

  const expectedSigned = new Set<string>();
  for (const [rel, bytes] of dropped) {
    const h = sha256(bytes);
    if (bad.has(rel)) {
      expect(rejectedShas.get(h), `${rel} in rejected/`).toBeGreaterThanOrEqual(1);
      continue;
    }
    expectedSigned.add(h);
    expect(originals.has(h) || rejectedShas.has(h), `${rel} kept in originals/ (or as a duplicate in rejected/)`).toBe(true);
  }
  for (const h of expectedSigned) {
    expect(originals.has(h), `one original with SHA-256 ${h.slice(0, 12)} in originals/`).toBe(true);
    const records = desk.store.all<{ id: string; output_path: string; output_sha256: string; input_path: string }>(
      sql`SELECT id, output_path, output_sha256, input_path FROM records WHERE sha256 = ${h}`,
    );
    expect(records, `records for ${h.slice(0, 12)}`).toHaveLength(1);
    const r = records[0]!;
    expect(r.output_path.startsWith(s.outDir + sep) && !r.output_path.includes(`${sep}.custody${sep}`)).toBe(true);
    expect(sha256(readFileSync(r.output_path))).toBe(r.output_sha256);
    expect(r.input_path).toBe(join(s.outDir, originals.get(h)!));
    expect(existsSync(`${r.output_path}.receipt.json`)).toBe(true);
    expect(JSON.parse(readFileSync(`${r.output_path}.receipt.json`, 'utf8'))).toMatchObject({ recordId: r.id, sha256: h, output: r.output_path });
  }
  // Nothing but signed copies, receipts, originals, rejected files and their notes.
  const signedCopies = out.filter((f) => !f.startsWith('originals/') && !f.startsWith('rejected/') && !f.endsWith('.receipt.json'));
  expect(signedCopies.filter((f) => f.startsWith('.custody/'))).toEqual([]);
  expect(signedCopies).toHaveLength(expectedSigned.size);
  expect(originals.size).toBe(expectedSigned.size);
  expect(out.filter((f) => f.endsWith('.receipt.json'))).toHaveLength(expectedSigned.size);
  expect(rejected.map((f) => `${f}.error.txt`).every((n) => out.includes(n))).toBe(true);
}

/** The files of a crash scenario: two good photos (one in a subfolder), a bad file, and a copy of the first. */
export async function crashFiles(inDir: string): Promise<{ dropped: Map<string, Buffer>; bad: Set<string> }> {
  const g1 = await uniqueJpeg();
  const dropped = new Map<string, Buffer>([
    ['good1.jpg', g1],
    ['sub/good2.jpg', await uniqueJpeg()],
    ['bad.jpg', Buffer.from('not a photo at all')],
    ['copy-of-good1.jpg', g1],
  ]);
  mkdirSync(join(inDir, 'sub'), { recursive: true });
  for (const [rel, b] of dropped) writeFileSync(join(inDir, rel), b);
  return { dropped, bad: new Set(['bad.jpg']) };
}

/** Runs test/watch-child.ts (an engine that SIGKILLs itself at `mode`) against the folder; resolves with how it ended. */
export function runChild(desk: Desk, folderId: string, mode: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.js'), join(ROOT, 'test', 'watch-child.ts'), desk.home, folderId, mode], {
      cwd: ROOT,
      env: { ...process.env, CUSTODY_PASSPHRASE: PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** After a crash: a fresh engine in this process replays the queue and takes what is left, then stops. */
export async function resume(desk: Desk, s: { folder: WatchFolder; inDir: string; outDir: string }): Promise<Scenario> {
  const r = engineFor(desk, s.folder, s.inDir, s.outDir);
  await r.engine.start([s.folder.id]);
  await r.engine.whenIdle();
  await r.engine.stop();
  return r;
}
