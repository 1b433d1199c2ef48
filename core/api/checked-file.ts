// A signed or published file handed out (web mode's download, a ZIP of the selection, the desktop app's save): it
// goes out only while it still holds the bytes that were signed. The path in the database is where the desk wrote
// the file, but whoever can write that folder can later put another file there, or a symbolic link to any file the
// desk's user may read (its own database among them): checked by path and then read by path, that file would go
// out. So the file is opened once, without following a link at its last step, its bytes are hashed through that
// handle and compared with the record's, and what is sent is read through the same handle.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { CustodyError } from '../errors.ts';
import { sha256Handle } from '../media/hash.ts';

/** A file opened and checked: stream it with `handle.createReadStream({ start: 0 })`, which closes the handle at its end. */
export interface CheckedFile {
  handle: FileHandle;
  size: number;
}

/**
 * `path` opened when it is a regular file (not a link at its last step) whose bytes hash to `sha256`; INTEGRITY_FAILED
 * when they do not (it was replaced, changed, or is a link), NOT_FOUND when it is gone. `what` names it in the message.
 */
export async function openChecked(path: string, sha256: string | null, what: string): Promise<CheckedFile> {
  if (!sha256) throw new CustodyError('INTEGRITY_FAILED', `expected the hash of ${what} to check it by, but the desk holds none: it is not sent`);
  let handle: FileHandle;
  try {
    // O_NOFOLLOW where the platform has it (not Windows, whose links the hash below still catches)
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CustodyError('NOT_FOUND', `expected ${what} on disk at ${path}, got none`);
    if (code === 'ELOOP' || code === 'EMLINK') throw new CustodyError('INTEGRITY_FAILED', `expected ${what} at ${path}, got a link to another file there: it is not sent`);
    throw new CustodyError('IO_ERROR', `expected to read ${what} at ${path}, got ${code ?? (e as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new CustodyError('INTEGRITY_FAILED', `expected ${what} at ${path} to be a file, got something else there: it is not sent`);
    if ((await sha256Handle(handle)).sha256 !== sha256) {
      throw new CustodyError('INTEGRITY_FAILED', `expected ${what} at ${path} to hold the bytes that were signed, but it holds others (it was replaced or changed since): it is not sent`);
    }
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
