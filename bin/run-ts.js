#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, scripts): node bin/run-ts.js FILE.ts [args...]
// CommonJS, as everything in bin/ (bin/package.json); the entry point itself runs as an ES module through tsx.
'use strict';
const { pathToFileURL } = require('node:url');
const { resolve } = require('node:path');

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
process.argv.splice(1, 1);
import('tsx/esm/api').then(({ register }) => {
  register();
  return import(pathToFileURL(resolve(file)).href);
});
