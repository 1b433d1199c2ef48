// Whether the compiled command in out/cli/ (scripts/build-cli.js) may run: every source it was built from must still
// have the size and modification time recorded in its build.json. A checkout whose sources were edited, pulled or
// switched since the last build therefore runs the sources (bin/custody.js), never stale code.
//
// `custody --version` and `--help` need less: out/cli/start.json holds what they print (cli/start-texts.ts) with the
// few sources that text comes from (main.js and the chunks it imports: the program, the command index, package.json,
// commander), so they check those and print the text without loading anything else.
//
// CommonJS (bin/package.json), like bin/custody.js: Node starts a CommonJS entry without setting up its ES module
// loader, which was about as much CPU time as everything else `custody --version` does.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const BUILD_INFO = 'build.json';
const START_INFO = 'start.json';

function readInfo(dir, name) {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch {
    return null;
  }
}

/** The first of `inputs` (path under root → [size, mtimeMs]) whose file is gone or differs, as a reason; else null. */
function changed(root, inputs) {
  for (const [file, [size, mtimeMs]] of Object.entries(inputs)) {
    const s = statSync(join(root, file), { throwIfNoEntry: false });
    if (!s) return `${file} is gone`;
    if (s.size !== size || s.mtimeMs !== mtimeMs) return `${file} changed`;
  }
  return null;
}

/** The reason the build in `dir` cannot run (missing, unreadable, a source changed), or null when it is current. */
function staleReason(root, dir) {
  const info = readInfo(dir, BUILD_INFO);
  if (!info) return 'not built';
  const inputs = info.inputs ?? {};
  return changed(root, inputs) ?? (Object.keys(inputs).length > 0 ? null : 'empty build');
}

/**
 * What `custody ...args` prints when it only asks for the version or the help and the build in `dir` holds that text
 * for the sources as they are now; null when the program must run (other arguments, no or a stale start.json, a
 * terminal width at which commander would wrap the help otherwise). `width` is stdout's: its columns when it is a
 * terminal, else undefined (commander then wraps at 80).
 */
function startText(root, dir, args, width) {
  if (args.length !== 1) return null;
  const [arg] = args;
  const version = arg === '--version' || arg === '-V';
  if (!version && arg !== '--help' && arg !== '-h') return null;
  const info = readInfo(dir, START_INFO);
  if (!info?.inputs || Object.keys(info.inputs).length === 0 || changed(root, info.inputs) !== null) return null;
  if (version) return info.version;
  if (width === undefined || width === 80) return info.help.at80;
  return width >= info.help.wideFrom ? info.help.wide : null;
}

exports.BUILD_INFO = BUILD_INFO;
exports.START_INFO = START_INFO;
exports.staleReason = staleReason;
exports.startText = startText;
