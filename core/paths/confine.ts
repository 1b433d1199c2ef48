// Path confinement: the one check every use case that takes a path goes through (a watched folder, its output
// folder, a file to sign or verify, an output folder). The desk never touches its own data folder, a folder that
// contains it, a system folder or a user's secrets folder; where the caller says so, only what lies under the
// admin-set allowed roots (or a host's own folder, web mode's uploads). Paths are judged after realpath, so a
// symlink cannot point the desk somewhere it would refuse by name, and callers use the path returned, never the
// one they were given.
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, posix, win32 } from 'node:path';
import { CustodyError } from '../errors.ts';

/**
 * What the path is for. `folder`: the desk writes into it or moves files out of it (a watched folder, an output
 * folder): every system folder is refused. `read`: a file the desk only reads (sign, verify): the folders that
 * hold secrets are refused, while world-readable ones such as /usr/share stay open to the local user.
 */
export type PathUse = 'folder' | 'read';

export interface PathRules {
  /** CUSTODY_HOME: never touched through a path handed in, nor any folder that contains it. */
  home: string;
  /** Where the caller must stay, when it must (the allowed roots, web mode's upload folder); null: anywhere else. */
  within: readonly string[] | null;
  /** Names the list `within` stands for, in refusals ("the allowed roots"). */
  withinName?: string;
  platform?: NodeJS.Platform;
  /** The user's home folder, whose secret sub-folders are refused (tests pass their own). */
  userHome?: string;
  /**
   * A folder only looked into, never written to nor taken from (the folder browser, core/paths/browse.ts), may
   * contain the data folder: the way to the folders beside it goes through it. Inside the data folder stays refused.
   */
  mayHoldHome?: boolean;
}

const POSIX_SYSTEM = ['/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/sys', '/dev', '/boot', '/run', '/var'];
const POSIX_SECRET = ['/etc', '/proc', '/sys', '/dev', '/boot', '/run', '/var'];
// macOS resolves /etc and /var to /private/...; /var/folders is its per-user temporary folder, /var/tmp everyone's.
const DARWIN_SYSTEM = ['/System', '/Library', '/private/etc', '/private/var', '/cores'];
const DARWIN_SECRET = ['/private/etc', '/private/var'];
const TEMP_EXCEPTIONS = ['/var/tmp', '/private/var/tmp', '/var/folders', '/private/var/folders'];
const USER_SECRETS = ['.ssh', '.gnupg', '.aws', '.kube', '.docker', '.password-store'];

function pathApi(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

const caseless = (platform: NodeJS.Platform): boolean => platform === 'win32' || platform === 'darwin';

/** Whether `inner` is `outer` or lies inside it. */
export function isWithin(outer: string, inner: string, platform: NodeJS.Platform = process.platform): boolean {
  const p = pathApi(platform);
  const [o, i] = caseless(platform) ? [outer.toLowerCase(), inner.toLowerCase()] : [outer, inner];
  const rel = p.relative(o, i);
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** The folders a path may never be, nor lie in, for this use on this platform. */
function systemFolders(use: PathUse, platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const root = env.SystemDrive ?? 'C:';
    const list = [env.SystemRoot ?? `${root}\\Windows`, `${root}\\Program Files`, `${root}\\Program Files (x86)`, `${root}\\ProgramData`];
    return use === 'folder' ? list : [list[0]!, `${root}\\ProgramData`];
  }
  const base = use === 'folder' ? POSIX_SYSTEM : POSIX_SECRET;
  return platform === 'darwin' ? [...base, ...(use === 'folder' ? DARWIN_SYSTEM : DARWIN_SECRET)] : base;
}

/**
 * The real path of `p`: realpath of the path, or of its nearest existing ancestor with the rest appended (an
 * output folder need not exist yet). Relative paths are taken from the working directory.
 */
export function realPath(p: string, platform: NodeJS.Platform = process.platform): string {
  const abs = pathApi(platform).resolve(p);
  const rest: string[] = [];
  for (let cur = abs; ; ) {
    try {
      return join(realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return abs;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

function refuse(p: string, why: string): never {
  throw new CustodyError('PATH_NOT_ALLOWED', `expected a path the desk may use, got ${p}, which ${why}`);
}

/**
 * The real path of `p` when the desk may use it for `use` under these rules; PATH_NOT_ALLOWED otherwise. The
 * refusal names only the path given and the rule it broke, never anything read from the file system beyond it.
 */
export function confine(p: string, use: PathUse, rules: PathRules): string {
  const platform = rules.platform ?? process.platform;
  if (typeof p !== 'string' || p === '' || p.includes('\0')) throw new CustodyError('INVALID_ARGUMENT', `expected a file or folder path, got ${JSON.stringify(p)}`);
  const real = realPath(p, platform);
  const home = realPath(rules.home, platform);
  const within = (outer: string, inner: string) => isWithin(outer, inner, platform);
  if (within(home, real)) refuse(p, `is the desk's own data folder ${home} or lies inside it`);
  if (!rules.mayHoldHome && within(real, home)) refuse(p, `contains the desk's own data folder ${home}`);
  const api = pathApi(platform);
  if (api.parse(real).root === real) refuse(p, 'is the root of a file system');
  const exception = platform !== 'win32' && TEMP_EXCEPTIONS.some((t) => within(t, real));
  for (const s of systemFolders(use, platform)) {
    if (!exception && within(s, real)) refuse(p, `lies in the system folder ${s}`);
  }
  const user = rules.userHome ?? homedir();
  for (const s of USER_SECRETS) {
    const secret = realPath(api.join(user, s), platform);
    if (within(secret, real)) refuse(p, `lies in ${secret}, where secrets are kept`);
  }
  if (rules.within !== null) {
    const roots = rules.within.map((r) => realPath(r, platform));
    if (!roots.some((r) => within(r, real))) {
      const name = rules.withinName ?? 'the allowed roots';
      const which = roots.length === 0 ? 'none are set: an admin sets the allowed roots with `custody settings set allowed-roots DIR...`' : roots.join(', ');
      // a caller's own uploads are named, not listed: their folders are the only secret an anonymous verifier holds
      refuse(p, rules.withinName === 'your uploads' ? `lies outside ${name}` : `lies outside ${name} (${which})`);
    }
  }
  return real;
}

/**
 * Checks a list of allowed roots an admin wants to set: absolute, existing folders that are neither system
 * folders nor the desk's data folder (a root may contain the data folder: what lies under it is still judged
 * one path at a time). Returns their real paths, without duplicates.
 */
export function checkAllowedRoots(roots: readonly string[], home: string, platform: NodeJS.Platform = process.platform): string[] {
  const out: string[] = [];
  for (const r of roots) {
    if (!pathApi(platform).isAbsolute(r)) throw new CustodyError('INVALID_ARGUMENT', `expected an absolute folder path as an allowed root, got ${JSON.stringify(r)}`);
    const real = realPath(r, platform);
    const homeReal = realPath(home, platform);
    if (isWithin(homeReal, real, platform)) refuse(r, `is the desk's own data folder ${homeReal} or lies inside it`);
    if (pathApi(platform).parse(real).root === real) refuse(r, 'is the root of a file system');
    const exception = platform !== 'win32' && TEMP_EXCEPTIONS.some((t) => isWithin(t, real, platform));
    for (const s of systemFolders('folder', platform)) if (!exception && isWithin(s, real, platform)) refuse(r, `lies in the system folder ${s}`);
    if (!out.includes(real)) out.push(real);
  }
  return out;
}
