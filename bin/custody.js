#!/usr/bin/env node
// The `custody` command. It runs the compiled JavaScript in out/cli/ (built by `npm install` through the prepare
// script, or `npm run build:cli`) when that build matches the sources; otherwise the TypeScript sources through tsx,
// which is correct but slower to start. CUSTODY_CLI=sources forces the sources. `--version` and `--help` print the
// text the build stored for them while the sources it came from are unchanged, without loading the program
// (compiled-cli.js). CommonJS for the same reason (bin/package.json).
'use strict';
const { fstatSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { staleReason, startText } = require('./compiled-cli.js');

const root = join(__dirname, '..');
const compiled = join(root, 'out', 'cli');
const fromSources = process.env.CUSTODY_CLI === 'sources';

/** Whether fd 1 may be a terminal: only a character device can, and only then is process.stdout (and the stream
 * modules it loads) needed to tell, and its width. */
function terminalOut() {
  try {
    return fstatSync(1).isCharacterDevice();
  } catch {
    return true;
  }
}

/** Writes `text` to fd 1 as a pipe or file takes it; a reader that closed the pipe ends the command quietly (cli/main.ts). */
function writeOut(text) {
  const bytes = Buffer.from(text);
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(1, bytes, at);
  } catch (e) {
    if (e.code === 'EAGAIN') process.stdout.write(bytes.subarray(at));
    else if (e.code !== 'EPIPE') throw e;
  }
}

async function run() {
  const tty = terminalOut();
  const text = fromSources ? null : startText(root, compiled, process.argv.slice(2), tty && process.stdout.isTTY ? process.stdout.columns : undefined);
  if (text !== null) return tty ? void process.stdout.write(text) : writeOut(text);
  // V8 keeps the compiled code of every module in the OS temp folder, so later runs skip parsing and compiling it.
  require('node:module').enableCompileCache?.();
  if (!fromSources && staleReason(root, compiled) === null) {
    await import(pathToFileURL(join(compiled, 'main.js')).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../cli/main.ts');
  }
}

run();
