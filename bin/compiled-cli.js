// Whether the compiled command in out/cli/ (scripts/build-cli.js) may run: every source it was built from must still
// have the size and modification time recorded in its build.json. A checkout whose sources were edited, pulled or
// switched since the last build therefore runs the sources (bin/custody.js), never stale code. Plain JavaScript and
// node:fs only: this runs before every command, so it must cost well under a millisecond per source.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUILD_INFO = 'build.json';

/** The reason the build in `dir` cannot run (missing, unreadable, a source changed), or null when it is current. */
export function staleReason(root, dir) {
  let info;
  try {
    info = JSON.parse(readFileSync(join(dir, BUILD_INFO), 'utf8'));
  } catch {
    return 'not built';
  }
  for (const [file, [size, mtimeMs]] of Object.entries(info.inputs ?? {})) {
    const s = statSync(join(root, file), { throwIfNoEntry: false });
    if (!s) return `${file} is gone`;
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${file} changed`;
  }
  return Object.keys(info.inputs ?? {}).length > 0 ? null : 'empty build';
}
