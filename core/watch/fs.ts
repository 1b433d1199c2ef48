// The file-system operations of the watch queue, each safe to replay after a crash at any point, over an fs
// interface so that tests can make the disk fail (full, read-only) where the host cannot.
//
// Invariant: a source is unlinked only once a copy with the same SHA-256 is durable at its destination, and no
// operation here ever replaces an existing file (link() refuses taken names; rename() only targets names that
// belong to one job).
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CustodyError } from '../errors.ts';
import { copyHashing, sha256Handle } from '../media/hash.ts';

export type WatchFs = Pick<typeof fsp, 'stat' | 'lstat' | 'readdir' | 'mkdir' | 'rename' | 'link' | 'unlink' | 'rmdir' | 'open' | 'readFile' | 'realpath'>;

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


/**
 * Read-only, not through a symlink at the last step, and without waiting for a writer (a FIFO opened for reading
 * would block a libuv thread until one comes). Windows has neither flag, nor FIFOs or symlinks that users make.
 */
const READ_ENTRY = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** A link, a pipe, a socket or a device where a regular file was expected: it is never read or followed. */
export function notAFile(p: string, st: Stats | null): CustodyError {
  const kind = !st ? 'a link' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a device';
  return new CustodyError('UNSUPPORTED_FORMAT', `expected a regular file at ${p}, got ${kind}`);
}

/** Opens a regular file for reading; anything else is refused (notAFile) without being followed or waited on. */
export async function openRegular(fs: WatchFs, p: string): Promise<{ fh: fsp.FileHandle; st: Stats }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fs.open(p, READ_ENTRY);
  } catch (e) {
    // O_NOFOLLOW on a symlink: ELOOP (Linux, macOS) or EMLINK (FreeBSD).
    if (errnoCode(e) === 'ELOOP' || errnoCode(e) === 'EMLINK') throw notAFile(p, null);
    throw ioError(`read ${p}`, e);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notAFile(p, st);
  }
  return { fh, st };
}

/** SHA-256 (hex) and size of a regular file, read through the fs interface; anything else is refused unread. */
export async function hashFile(fs: WatchFs, p: string): Promise<{ sha256: string; size: number }> {
  const { fh } = await openRegular(fs, p);
  try {
    return await sha256Handle(fh);
  } finally {
    await fh.close();
  }
}

/**
 * Makes the staged file `p` the queue's alone, and returns its SHA-256 and size. A file that has other hard links
 * (a photographer kept one beside the drop, in a folder the watcher ignores, or anywhere on the disk) would still be
 * writable through them after signing, and the kept original with it: it is replaced by a verified copy with no
 * other name. So is a file another user owns, or others may write (a rename keeps its owner and mode): its owner
 * could change the kept original after signing, by an open descriptor or by its name. The copy is refused
 * (IO_ERROR, retried) if the file changed while it was copied.
 */
export async function ownFile(fs: WatchFs, p: string): Promise<{ sha256: string; size: number }> {
  const { fh, st: before } = await openRegular(fs, p);
  try {
    const desksOwn = (process.getuid === undefined || before.uid === process.getuid()) && (before.mode & 0o022) === 0;
    if (before.nlink <= 1 && desksOwn) return await sha256Handle(fh);
  } finally {
    await fh.close();
  }
  try {
    const { tmp, sha256, size } = await copyVerified(fs, p, p);
    const after = await fs.stat(p);
    if (after.size !== size || after.mtimeMs !== before.mtimeMs || after.size !== before.size) {
      await fs.unlink(tmp).catch(() => undefined);
      throw new CustodyError('IO_ERROR', `expected ${p}, which has other hard links or another owner, to stay unchanged while the desk copied it, but it changed (${before.size} → ${after.size} bytes); it is copied again`);
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
 * crash is recognised as ours on the replay and removed instead of lingering in OUT. It is short whatever the
 * length of dst's name, so that a name near the 255-byte limit still has a temp file.
 */
export const tempName = (dst: string): string => join(dirname(dst), `.${createHash('sha256').update(basename(dst)).digest('hex').slice(0, 16)}.custody-tmp`);

/** Removes the temp file a crash may have left beside `dst`; returns its name. */
export async function freshTemp(fs: WatchFs, dst: string): Promise<string> {
  const tmp = tempName(dst);
  await fs.unlink(tmp).catch((e: unknown) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
  return tmp;
}

/** Copies src to a fresh temp file beside dst, fsyncs it, reads it back and checks its hash; returns the temp path. */
async function copyVerified(fs: WatchFs, src: string, dst: string): Promise<{ tmp: string; sha256: string; size: number; source: Stats }> {
  const tmp = await freshTemp(fs, dst);
  let copied: { sha256: string; size: number };
  const { fh: input, st: source } = await openRegular(fs, src);
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
  return { tmp, sha256, size, source };
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
    // lstat, and the same inode read as checked: a link or another file swapped in meanwhile is not copied.
    const before = await fs.lstat(src);
    if (!before.isFile()) throw notAFile(src, before);
    const { tmp, size, source } = await copyVerified(fs, src, dst);
    const after = await fs.lstat(src);
    const same = (a: Stats) => a.dev === before.dev && a.ino === before.ino;
    if (!same(source) || !same(after) || after.size !== size || after.mtimeMs !== before.mtimeMs || after.size !== before.size) {
      await fs.unlink(tmp).catch(() => undefined);
      throw new CustodyError('IO_ERROR', `expected ${src} to stay unchanged while it was copied, but it changed (${before.size} → ${after.size} bytes)`);
    }
    // The source is unlinked only from the watched folder itself, never through a folder swapped for a link.
    if (!(await isRealDir(fs, dirname(src)))) {
      await fs.unlink(tmp).catch(() => undefined);
      throw new CustodyError('PATH_NOT_ALLOWED', `expected ${dirname(src)} to be a folder, but it was replaced by a link while ${basename(src)} was copied`);
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
 * Creates `dir` (and what is missing above it) and makes sure it is reached without a symlink anywhere on the way.
 * The desk's own folders under OUT (a job's staging folders, originals/, rejected/) are where whoever can write OUT
 * could put a link to another folder: the desk would then write into it, take files from it or empty it. Refused
 * with PATH_NOT_ALLOWED (retried, nothing touched) while it is so.
 */
export async function ownFolder(fs: WatchFs, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (!(await isRealDir(fs, dir))) throw linkedFolder(dir);
}

/** ownFolder's check alone, for a folder that may not exist yet (nothing is created). */
export async function ownFolderIfThere(fs: WatchFs, dir: string): Promise<void> {
  if ((await exists(fs, dir)) && !(await isRealDir(fs, dir))) throw linkedFolder(dir);
}

const linkedFolder = (dir: string): CustodyError =>
  new CustodyError('PATH_NOT_ALLOWED', `expected ${dir} to be a folder of the desk's under the output folder, but it is a link or leads through one: nothing was written, moved or removed there`);

/** Whether `dst` is a regular file holding exactly `bytes` (a link, a pipe or anything else is not: never followed or waited on). */
async function holds(fs: WatchFs, dst: string, bytes: Buffer): Promise<boolean> {
  let opened;
  try {
    opened = await openRegular(fs, dst);
  } catch (e) {
    if (e instanceof CustodyError && e.code === 'UNSUPPORTED_FORMAT') return false;
    throw e;
  }
  try {
    return opened.st.size === bytes.length && Buffer.compare(await opened.fh.readFile(), bytes) === 0;
  } finally {
    await opened.fh.close();
  }
}

/** Whether `dir` is reached without a symlink anywhere on the way: its real path is itself. False when it is gone. */
export async function isRealDir(fs: WatchFs, dir: string): Promise<boolean> {
  try {
    return (await fs.realpath(dir)) === dir;
  } catch (e) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(e) ?? '')) return false;
    throw ioError(`look at ${dir}`, e);
  }
}

/**
 * What became of a claimed file: taken; left where it was (nothing of it is ours); or set aside, when what
 * arrived is not what was checked and cannot go back (it goes to rejected/ unread, with `why` in its note).
 */
export type Take = { outcome: 'taken' } | { outcome: 'left'; why: string } | { outcome: 'set-aside'; why: string };

/**
 * Takes a claimed file (`seen`: its lstat at `src`) into `dst`, a name of one job, only while it is the file that
 * was checked. Its folder must be reached without a symlink, before the move and after it: rename follows links in
 * the middle of a path, so a subfolder swapped for a link to ~/.ssh or the desk's data folder would otherwise fetch
 * files from there. What arrived must be a regular file with the inode that was checked: a file swapped for a link
 * or a pipe between the check and the rename is never read. Whatever fails the check goes back to `src` if that
 * name is free; a link or pipe that came from the watched folder itself is set aside.
 */
export async function takeConfined(fs: WatchFs, src: string, dst: string, seen: Stats): Promise<Take> {
  const folder = dirname(src);
  if (!(await isRealDir(fs, folder))) return { outcome: 'left', why: `expected ${folder} to be a folder inside the watched folder, but it is a link or leads through one` };
  await takeFile(fs, src, dst);
  let st: Stats;
  try {
    st = await fs.lstat(dst);
  } catch (e) {
    throw ioError(`look at ${dst}`, e);
  }
  // Across file systems takeFile made a copy (a new file on another device) of the very inode it checked, and removed
  // the source only from a folder that was still real.
  if (st.isFile() && st.dev !== seen.dev) return { outcome: 'taken' };
  const inside = await isRealDir(fs, folder);
  if (inside && st.isFile() && st.ino === seen.ino) return { outcome: 'taken' };
  const why = !st.isFile()
    ? notAFile(src, st).message
    : inside
      ? `expected ${src} to be the file that settled, but another took its place as it was taken`
      : `expected ${folder} to be a folder inside the watched folder, but it was replaced by a link as ${basename(src)} was taken`;
  if (inside && !st.isFile()) return { outcome: 'set-aside', why };
  return (await giveBack(fs, dst, src, st)) ? { outcome: 'left', why } : { outcome: 'set-aside', why };
}

/** Moves `dst` back to `src` without replacing anything there; false when src is taken. Links are moved, never followed. */
async function giveBack(fs: WatchFs, dst: string, src: string, st: Stats): Promise<boolean> {
  // link() refuses a taken name. It may follow a symlink on some systems, so anything but a file is renamed.
  if (st.isFile()) {
    try {
      await fs.link(dst, src);
      await fs.unlink(dst);
      return true;
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') return false;
      if (!NO_HARD_LINKS.has(errnoCode(e) ?? '')) throw ioError(`put ${dst} back at ${src}`, e);
    }
  }
  if (await exists(fs, src)) return false;
  try {
    await fs.rename(dst, src);
  } catch (e) {
    throw ioError(`put ${dst} back at ${src}`, e);
  }
  return true;
}

/**
 * Moves an entry that is set aside unread (a link or a pipe) to `dst`: rename, never link or read, so that nothing
 * is followed. Replayable: when src is gone and something is at dst, the move has happened.
 */
export async function moveUnread(fs: WatchFs, src: string, dst: string): Promise<void> {
  try {
    if (!(await exists(fs, src))) {
      if (await exists(fs, dst)) return;
      throw new CustodyError('IO_ERROR', `expected ${src} or its moved entry at ${dst}, found neither`);
    }
    await ownFolder(fs, dirname(dst));
    // Names under OUT are reserved per job in the database, so no other writer races for dst.
    if (await exists(fs, dst)) throw new NameTaken(dst);
    await fs.rename(src, dst);
    await syncDir(fs, dirname(dst));
  } catch (e) {
    if (e instanceof NameTaken) throw e;
    throw ioError(`move ${src} to ${dst}`, e);
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
    // the desk's own staging folder: a link put in its place would have the desk take another folder's file
    if (!(await isRealDir(fs, dirname(src)))) throw linkedFolder(dirname(src));
    await ownFolder(fs, dirname(dst));
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
    await ownFolder(fs, dirname(dst));
    const tmp = await freshTemp(fs, dst);
    if (await exists(fs, dst)) {
      if (await holds(fs, dst, bytes)) return;
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
      if (!(await linkNoReplace(fs, tmp, dst)) && !(await holds(fs, dst, bytes))) throw new NameTaken(dst);
      await syncDir(fs, dirname(dst));
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof NameTaken) throw e;
    throw ioError(`write ${dst}`, e);
  }
}
