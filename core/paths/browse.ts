// The folder browser of the watch-folder form where there is no native dialog (web mode): the sub-folders of a
// folder under the admin-set allowed roots, and nothing else. No files are listed; no folder outside the roots,
// however it is named (.., an absolute path, a symlink leading out), is listed or even said to exist; hidden and
// system folders inside a root are left out, and so is any folder confine() would refuse (the desk's own data
// folder under a root, ~/.ssh). A folder that holds the desk's data folder is listed, to go through it (adding it
// is refused). What is listed is real paths, the same the form's folder is judged by.
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { CustodyError } from '../errors.ts';
import { confine, isWithin } from './confine.ts';

/** At most this many sub-folders are listed; the rest are counted in `truncated`. */
export const FOLDER_LIST_MAX = 500;

export interface FolderListing {
  /** The folder listed (a real path); null: the allowed roots themselves. */
  path: string | null;
  /** Where "up" leads: the parent folder while it lies under a root; null at a root (back to the roots). */
  parent: string | null;
  folders: { name: string; path: string }[];
  /** How many sub-folders were left out past FOLDER_LIST_MAX. */
  truncated: number;
  /** The allowed roots (real paths): where a folder may be picked at all. */
  roots: string[];
  /** Example paths for the form's placeholders, on this machine's platform. */
  examples: { watch: string; output: string };
}

export interface BrowseRules {
  home: string;
  allowedRoots: readonly string[];
  platform?: NodeJS.Platform;
  userHome?: string;
}

/** Names never listed: dot-folders (Unix hidden, .Trash, .git) and Windows' own ($RECYCLE.BIN, System Volume Information), lost+found. */
const HIDDEN = /^(\.|\$)|^(System Volume Information|lost\+found)$/i;

/** Where watched folders would go on this machine: under the first allowed root, else the user's Pictures. */
export function folderExamples(rules: BrowseRules): FolderListing['examples'] {
  const api = (rules.platform ?? process.platform) === 'win32' ? win32 : posix;
  const base = rules.allowedRoots[0] ?? api.join(rules.userHome ?? homedir(), 'Pictures');
  return { watch: api.join(base, 'Incoming'), output: api.join(base, 'Signed') };
}

/**
 * The sub-folders of `path` (null: the allowed roots). PATH_NOT_ALLOWED for anything outside the roots or that
 * confine() refuses, with the same words whether it exists or not; NOT_FOUND for a missing folder inside them.
 */
export function listFolders(path: string | null, rules: BrowseRules): FolderListing {
  const platform = rules.platform ?? process.platform;
  const api = platform === 'win32' ? win32 : posix;
  const roots = [...rules.allowedRoots];
  const examples = folderExamples(rules);
  if (path === null) {
    return { path: null, parent: null, folders: roots.map((r) => ({ name: r, path: r })), truncated: 0, roots, examples };
  }
  if (!api.isAbsolute(path)) throw new CustodyError('INVALID_ARGUMENT', `expected an absolute folder path to list, got ${JSON.stringify(path)}`);
  const judge = { home: rules.home, within: roots, mayHoldHome: true, ...(rules.userHome ? { userHome: rules.userHome } : {}), platform };
  const real = confine(path, 'folder', judge);
  let entries: Dirent[];
  try {
    if (!statSync(real).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(real, { withFileTypes: true });
  } catch {
    throw new CustodyError('NOT_FOUND', `expected a folder to list at ${path}, but there is none the desk can read`);
  }
  const folders: FolderListing['folders'] = [];
  for (const e of entries) {
    if (HIDDEN.test(e.name) || !(e.isDirectory() || e.isSymbolicLink())) continue;
    const child = api.join(real, e.name);
    try {
      // A symlink is followed only to where a typed path would be allowed: inside a root, and not refused.
      const target = realpathSync.native(child);
      if (!statSync(target).isDirectory()) continue;
      folders.push({ name: e.name, path: confine(target, 'folder', judge) });
    } catch {
      // unreadable, dangling, or leading somewhere the desk may not go: not listed
    }
  }
  folders.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }));
  const atRoot = roots.some((r) => isWithin(r, real, platform) && isWithin(real, r, platform));
  const parent = atRoot ? null : api.dirname(real);
  return { path: real, parent, folders: folders.slice(0, FOLDER_LIST_MAX), truncated: Math.max(0, folders.length - FOLDER_LIST_MAX), roots, examples };
}
