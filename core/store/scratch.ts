// The desk's scratch folder (CUSTODY_HOME/scratch): private copies of files the desk works on for a while. A video
// being signed is read once, into a snapshot here, hashed while it is copied; the fingerprint, the Content
// Credentials and the signed copy are all made from the snapshot, which nobody else can write or replace (the data
// folder is 0700, each process's folder here too, the file is created exclusively and 0600). Each piece of work has
// a folder of its own, named after its process (<pid>-<random>) and removed when the work ends, whether it succeeded
// or failed; what a killed process left is removed when a desk next opens (sweepDeadFolders).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CustodyError } from '../errors.ts';
import { formatBytes } from '../media/detect.ts';
import { copyHashing } from '../media/hash.ts';
import { FILE_MODE, FOLDER_MODE } from './private-folder.ts';

export const SCRATCH_DIR = 'scratch';

/** Whether a process is running (EPERM: it is, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Snapshot {
  /** The private copy; gone once the work given to withSnapshot has ended. */
  path: string;
  /** SHA-256 (hex) of the bytes copied, computed as they were copied. */
  sha256: string;
  size: number;
}

export interface SnapshotOptions {
  /** Refuse files larger than this (FILE_TOO_LARGE), before copying anything and again if the file grows meanwhile. */
  maxBytes: number;
  /** Hears the bytes copied so far, and the size the file had when it was opened. */
  onBytes?: (copied: number, size: number) => void;
}

/**
 * Copies `src` into a private snapshot in `scratch`, runs `work` on it, and removes it afterwards (also when the
 * copy or the work fails). `src` is opened once and read from start to end: what the snapshot holds is what was read.
 */
export async function withSnapshot<T>(scratch: string, src: string, opts: SnapshotOptions, work: (s: Snapshot) => Promise<T>): Promise<T> {
  mkdirSync(scratch, { recursive: true, mode: FOLDER_MODE });
  const dir = mkdtempSync(join(scratch, `${process.pid}-`)); // created 0700
  try {
    // The extension stays (readers that go by it see the same file); anything odd in it is dropped.
    const ext = extname(src);
    return await work(await copyHashed(src, join(dir, `original${/^\.[A-Za-z0-9]{1,8}$/.test(ext) ? ext : ''}`), opts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tooLarge = (path: string, limit: number, bytes: number) =>
  new CustodyError('FILE_TOO_LARGE', `expected a video of at most ${formatBytes(limit)}, got ${formatBytes(bytes)}`, { path, bytes, limit });

async function copyHashed(src: string, dst: string, opts: SnapshotOptions): Promise<Snapshot> {
  const input = await open(src, 'r');
  try {
    const { size: declared } = await input.stat();
    if (declared > opts.maxBytes) throw tooLarge(src, opts.maxBytes, declared);
    const output = await open(dst, 'wx', FILE_MODE);
    try {
      const { sha256, size } = await copyHashing(input, output, (copied) => {
        if (copied > opts.maxBytes) throw tooLarge(src, opts.maxBytes, copied); // it grew while it was read
        opts.onBytes?.(copied, declared);
      });
      return { path: dst, sha256, size };
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/**
 * Removes the folders in `parent` named <prefix><pid>-… that this user's processes no longer running left there (a
 * crash, a kill -9); folders of running processes, this one included, stay. Returns what it removed.
 */
export function sweepDeadFolders(parent: string, prefix = ''): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  const named = new RegExp(`^${prefix}(\\d+)-`);
  for (const n of names) {
    const m = named.exec(n);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    const p = join(parent, n);
    try {
      if (statSync(p).uid !== process.getuid?.()) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
