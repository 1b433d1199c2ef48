#!/usr/bin/env node
// The `custody` command. It runs the compiled JavaScript in out/cli/ (built by `npm install` through the prepare
// script, or `npm run build:cli`) when that build matches the sources; otherwise the TypeScript sources through tsx,
// which is correct but slower to start. CUSTODY_CLI=sources forces the sources.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import { staleReason } from './compiled-cli.js';

// V8 keeps the compiled code of every module in the OS temp folder, so later runs skip parsing and compiling it.
enableCompileCache?.();

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../out/cli/', import.meta.url);
if (process.env.CUSTODY_CLI !== 'sources' && staleReason(root, fileURLToPath(compiled)) === null) {
  await import(new URL('main.js', compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
