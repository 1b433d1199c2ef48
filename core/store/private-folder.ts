// The desk's data folder holds the wrapped vault key, the password hashes and the session files: only its owner
// may read it. The folder is 0700 and every file in it 0600, set when a desk is created or opened (a desk made by
// an older version is tightened on its next open). SQLite creates desk.db-wal and desk.db-shm with the database
// file's own mode, so the database is created 0600 before SQLite first opens it.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FOLDER_MODE = 0o700;
export const FILE_MODE = 0o600;

/** Creates (or tightens) the data folder and creates `file` in it 0600 if it does not exist yet. */
export function preparePrivateFolder(home: string, file: string): void {
  mkdirSync(home, { recursive: true, mode: FOLDER_MODE });
  closeSync(openSync(join(home, file), 'a', FILE_MODE));
  tighten(home);
}

/** chmod 0700 on the folder and its subfolders, 0600 on every file; symlinks are left alone (never followed). */
export function tighten(dir: string): void {
  if (process.platform === 'win32') return; // ACLs, not modes: the per-user app-data folder is private already
  chmodSync(dir, FOLDER_MODE);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) tighten(p);
      else if (e.isFile() && (lstatSync(p).mode & 0o777) !== FILE_MODE) chmodSync(p, FILE_MODE);
    } catch (err) {
      // Another process of this desk removed it meanwhile (its scratch snapshot, once signed): nothing to tighten.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
