// Outputs are written to a temporary file in the destination folder, flushed, and linked into place, so that a
// failure never leaves a half-written output. Signed outputs, which a record must name, are placed by
// placement.ts in an order that also survives a crash.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { CustodyError } from '../errors.ts';
import { copyHashing, sha256Hex } from '../media/hash.ts';

export interface OutputTarget {
  /** Folder for the output. */
  dir: string;
  /** File name wanted, e.g. photo.signed.jpg; a free name (photo.signed-2.jpg, …) is chosen when it is taken. */
  name: string;
}

/** The default output of signing `input`: NAME.signed.EXT beside it, or in outDir. */
export function defaultTarget(input: string, ext: string, outDir?: string): OutputTarget {
  const base = basename(input, extname(input));
  return { dir: outDir ?? dirname(input), name: `${base}.signed.${ext}` };
}

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

class CommitFailed extends Error {
  constructor(cause: unknown) {
    super('commit failed', { cause });
  }
}

/** What an output holds: bytes made in memory, or a copy of a file (a video too large to hold). */
export type OutputContent = Uint8Array | { copyFrom: string };

/**
 * Writes `content` to a new file `tmp` (never an existing one), flushes it to the disk, and returns the SHA-256 (hex)
 * of the bytes written: a copy is hashed as it is written, so a large video is read once.
 */
export async function writeNewFile(tmp: string, content: OutputContent): Promise<string> {
  const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
  try {
    let sha256: string;
    if (content instanceof Uint8Array) {
      await fh.writeFile(content);
      sha256 = sha256Hex(content);
    } else {
      const input = await open(content.copyFrom, 'r');
      try {
        sha256 = (await copyHashing(input, fh)).sha256;
      } finally {
        await input.close();
      }
    }
    await fh.sync();
    return sha256;
  } finally {
    await fh.close();
  }
}

export async function makeOutputDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CustodyError('IO_ERROR', `expected a writable output folder at ${dir}, but it could not be created: ${(e as Error).message}`);
  }
}

/** NAME.EXT, NAME-2.EXT, NAME-3.EXT, … in `dir`. */
export function variantPath(dir: string, name: string, i: number): string {
  const ext = extname(name);
  return join(dir, i === 1 ? name : `${name.slice(0, name.length - ext.length)}-${i}${ext}`);
}

/**
 * For outputs that no record depends on (a published copy, a watermark test file). Signed outputs go through
 * placeSignedOutput (placement.ts), which survives a crash between the file and the record.
 */
export async function commitOutput(target: OutputTarget, content: OutputContent, commit: (finalPath: string) => void): Promise<string> {
  await makeOutputDir(target.dir);
  const tmp = join(target.dir, `.${target.name}.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeNewFile(tmp, content);
    // link() fails when the name is taken, so two signers never overwrite each other's output.
    for (let i = 1; ; i++) {
      const candidate = variantPath(target.dir, target.name, i);
      if (await exists(candidate)) continue;
      try {
        await link(tmp, candidate);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      try {
        commit(candidate);
      } catch (e) {
        await rm(candidate, { force: true });
        throw new CommitFailed(e);
      }
      return candidate;
    }
  } catch (e) {
    if (e instanceof CommitFailed) throw e.cause;
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('IO_ERROR', `expected to write ${join(target.dir, target.name)}, but the file system refused: ${(e as Error).message}`);
  } finally {
    await rm(tmp, { force: true });
  }
}
