// The file-system operations of the watch queue, each safe to replay after a crash at any point, over an fs
// interface so that tests can make the disk fail (full, read-only) where the host cannot.
//
// Invariant: a source is unlinked only once a copy with the same SHA-256 is durable at its destination, and no
// operation here ever replaces an existing file (link() refuses taken names; rename() only targets names that
// belong to one job).
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CustodyError } from '../errors.ts';
import { copyHashing } from '../media/hash.ts';

export type WatchFs = Pick<typeof fsp, 'stat' | 'lstat' | 'readdir' | 'mkdir' | 'rename' | 'link' | 'unlink' | 'rmdir' | 'open' | 'readFile'>;

export const nodeFs: WatchFs = fsp;

/** errno codes of file systems without hard links (FAT, exFAT, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** A file-system call that failed: IO_ERROR with what was attempted and what the system said. */
export function ioError(action: string, e: unknown): CustodyError {
  if (e instanceof CustodyError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CustodyError('IO_ERROR', `expected to ${action}, but the file system refused: ${msg}`, { errno: errnoCode(e) }, { cause: e });
}

/** The destination name is taken by a file with other content: the caller picks another name. */
export class NameTaken extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`expected ${path} to be free or to hold this job's file, got a different file there`);
    this.path = path;
  }
}

export async function exists(fs: WatchFs, p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw ioError(`look at ${p}`, e);
  }
}

const CHUNK = 1 << 20;

/** SHA-256 (hex) and size of a file, read through the fs interface. */
export async function hashFile(fs: WatchFs, p: string): Promise<{ sha256: string; size: number }> {
  const fh = await openToRead(fs, p);
  try {
    return await hashHandle(fh);
  } finally {
    await fh.close();
  }
}

async function openToRead(fs: WatchFs, p: string): Promise<fsp.FileHandle> {
  try {
    return await fs.open(p, 'r');
  } catch (e) {
    throw ioError(`read ${p}`, e);
  }
}

async function hashHandle(fh: fsp.FileHandle): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  const buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
    if (bytesRead === 0) break;
    h.update(buf.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { sha256: h.digest('hex'), size };
}

/**
 * Makes the staged file `p` the queue's alone, and returns its SHA-256 and size. A file that has other hard links
 * (a photographer kept one beside the drop, in a folder the watcher ignores, or anywhere on the disk) would still be
 * writable through them after signing, and the kept original with it: it is replaced by a verified copy with no
 * other name. The copy is refused (IO_ERROR, retried) if the file changed while it was copied.
 */
export async function ownFile(fs: WatchFs, p: string): Promise<{ sha256: string; size: number }> {
  const fh = await openToRead(fs, p);
  let before;
  try {
    before = await fh.stat();
    if (before.nlink <= 1) return await hashHandle(fh);
  } finally {
    await fh.close();
  }
  try {
    const { tmp, sha256, size } = await copyVerified(fs, p, p);
    const after = await fs.stat(p);
    if (after.size !== size || after.mtimeMs !== before.mtimeMs || after.size !== before.size) {
      await fs.unlink(tmp).catch(() => undefined);
      throw new CustodyError('IO_ERROR', `expected ${p}, which has other hard links, to stay unchanged while the desk copied it, but it changed (${before.size} → ${after.size} bytes); it is copied again`);
    }
    // The name is this job's (its staging folder): the copy takes it, and the other links keep the old file.
    await fs.rename(tmp, p);
    await syncDir(fs, dirname(p));
    return { sha256, size };
  } catch (e) {
    throw ioError(`copy ${p} away from its other hard links`, e);
  }
}

/** Flushes a directory entry (a rename or link) to disk; a no-op where directories cannot be opened (Windows). */
export async function syncDir(fs: WatchFs, dir: string): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fs.open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await fh.close();
  }
}

/**
 * The temp file beside `dst`. Its name is fixed, not random: destinations belong to one job, so a temp left by a
 * crash is recognised as ours on the replay and removed instead of lingering in OUT.
 */
const tempName = (dst: string): string => join(dirname(dst), `.${basename(dst)}.custody-tmp`);

/** Removes the temp file a crash may have left beside `dst`; returns its name. */
export async function freshTemp(fs: WatchFs, dst: string): Promise<string> {
  const tmp = tempName(dst);
  await fs.unlink(tmp).catch((e: unknown) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
  return tmp;
}

/** Copies src to a fresh temp file beside dst, fsyncs it, reads it back and checks its hash; returns the temp path. */
async function copyVerified(fs: WatchFs, src: string, dst: string): Promise<{ tmp: string; sha256: string; size: number }> {
  const tmp = await freshTemp(fs, dst);
  let copied: { sha256: string; size: number };
  const input = await fs.open(src, 'r');
  try {
    const output = await fs.open(tmp, 'wx', 0o644);
    try {
      copied = await copyHashing(input, output);
      await output.sync();
    } finally {
      await output.close();
    }
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    await input.close();
  }
  const { sha256, size } = copied;
  const back = await hashFile(fs, tmp);
  if (back.sha256 !== sha256 || back.size !== size) {
    await fs.unlink(tmp).catch(() => undefined);
    throw new CustodyError('IO_ERROR', `expected the copy ${tmp} to read back with SHA-256 ${sha256}, got ${back.sha256}`);
  }
  return { tmp, sha256, size };
}

/**
 * Moves a file that may still be touched by others (a photographer's file in the hot folder) to `dst`, a name
 * that belongs to one job only. Same file system: one rename. Across file systems: copy, fsync, read back,
 * rename into place, then unlink the source only if it has not changed while it was copied.
 */
export async function takeFile(fs: WatchFs, src: string, dst: string): Promise<void> {
  try {
    await fs.rename(src, dst);
    await syncDir(fs, dirname(dst));
    return;
  } catch (e) {
    if (errnoCode(e) !== 'EXDEV') throw ioError(`move ${src} to ${dst}`, e);
  }
  try {
    const before = await fs.stat(src);
    const { tmp, size } = await copyVerified(fs, src, dst);
    const after = await fs.stat(src);
    if (after.size !== size || after.mtimeMs !== before.mtimeMs || after.size !== before.size) {
      await fs.unlink(tmp).catch(() => undefined);
      throw new CustodyError('IO_ERROR', `expected ${src} to stay unchanged while it was copied, but it changed (${before.size} → ${after.size} bytes)`);
    }
    await fs.rename(tmp, dst);
    await syncDir(fs, dirname(dst));
    await fs.unlink(src);
    await syncDir(fs, dirname(src));
  } catch (e) {
    throw ioError(`copy ${src} to ${dst}`, e);
  }
}

/**
 * Moves a file the queue owns (in its staging folder) to `dst` without ever replacing anything there: link()
 * refuses a taken name. Replayable: when src is gone and dst holds the expected bytes, the move has happened.
 */
export async function placeFile(fs: WatchFs, src: string, dst: string, sha256: string): Promise<void> {
  const srcThere = await exists(fs, src);
  if (!srcThere) {
    if ((await exists(fs, dst)) && (await hashFile(fs, dst)).sha256 === sha256) return;
    throw new CustodyError('IO_ERROR', `expected ${src} or its moved copy at ${dst} (SHA-256 ${sha256}), found neither`);
  }
  try {
    await fs.mkdir(dirname(dst), { recursive: true });
    await freshTemp(fs, dst);
    await linkOrCopy(fs, src, dst, sha256);
    await syncDir(fs, dirname(dst));
    await fs.unlink(src);
  } catch (e) {
    if (e instanceof NameTaken) throw e;
    throw ioError(`move ${src} to ${dst}`, e);
  }
}

async function linkOrCopy(fs: WatchFs, src: string, dst: string, sha256: string): Promise<void> {
  try {
    await fs.link(src, dst);
    return;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return sameOrTaken(fs, dst, sha256);
    if (errnoCode(e) !== 'EXDEV' && !NO_HARD_LINKS.has(errnoCode(e) ?? '')) throw e;
  }
  // Another file system (or one without hard links): a verified copy, then linked into place from beside it.
  const { tmp, sha256: copied } = await copyVerified(fs, src, dst);
  try {
    if (copied !== sha256) throw new CustodyError('IO_ERROR', `expected ${src} to have SHA-256 ${sha256}, got ${copied}`);
    if (!(await linkNoReplace(fs, tmp, dst))) await sameOrTaken(fs, dst, sha256);
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Gives `tmp` the name `dst` unless dst exists; false when it does. Where the file system has no hard links
 * (FAT, exFAT, some network shares) it falls back to rename after a check: names under OUT are reserved per job
 * in the database, so no other writer races for them.
 */
async function linkNoReplace(fs: WatchFs, tmp: string, dst: string): Promise<boolean> {
  try {
    await fs.link(tmp, dst);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(errnoCode(e) ?? '')) throw e;
  }
  if (await exists(fs, dst)) return false;
  await fs.rename(tmp, dst);
  return true;
}

async function sameOrTaken(fs: WatchFs, dst: string, sha256: string): Promise<void> {
  if ((await hashFile(fs, dst)).sha256 !== sha256) throw new NameTaken(dst);
}

/** Writes a small file (a receipt, an error note) at `dst` without replacing anything; replayable. */
export async function writeNew(fs: WatchFs, dst: string, content: string): Promise<void> {
  const bytes = Buffer.from(content, 'utf8');
  try {
    await fs.mkdir(dirname(dst), { recursive: true });
    const tmp = await freshTemp(fs, dst);
    if (await exists(fs, dst)) {
      if (Buffer.compare(await fs.readFile(dst), bytes) === 0) return;
      throw new NameTaken(dst);
    }
    try {
      const fh = await fs.open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (!(await linkNoReplace(fs, tmp, dst)) && Buffer.compare(await fs.readFile(dst), bytes) !== 0) throw new NameTaken(dst);
      await syncDir(fs, dirname(dst));
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof NameTaken) throw e;
    throw ioError(`write ${dst}`, e);
  }
}
