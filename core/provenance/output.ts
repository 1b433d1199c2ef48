// Outputs are written to a temporary file in the destination folder, flushed, and renamed into place; the
// database commit happens after the rename and removes the file again if it fails, so that a failure never
// leaves a half-written output or an output without its record.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { CustodyError } from '../errors.ts';

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

async function exists(p: string): Promise<boolean> {
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

export async function commitOutput(target: OutputTarget, content: OutputContent, commit: (finalPath: string) => void): Promise<string> {
  try {
    await mkdir(target.dir, { recursive: true });
  } catch (e) {
    throw new CustodyError('IO_ERROR', `expected a writable output folder at ${target.dir}, but it could not be created: ${(e as Error).message}`);
  }
  const tmp = join(target.dir, `.${target.name}.${randomBytes(6).toString('hex')}.part`);
  try {
    if (content instanceof Uint8Array) {
      const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      try {
        await fh.writeFile(content);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else {
      await copyFile(content.copyFrom, tmp, constants.COPYFILE_EXCL);
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    // link() fails when the name is taken, so two signers never overwrite each other's output.
    const ext = extname(target.name);
    const stem = target.name.slice(0, target.name.length - ext.length);
    for (let i = 1; ; i++) {
      const candidate = join(target.dir, i === 1 ? target.name : `${stem}-${i}${ext}`);
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
