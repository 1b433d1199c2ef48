#!/usr/bin/env node
// `npm start`: build with electron-vite, then run the desktop app. Says plainly what to do when Electron's binary
// is missing (its download is blocked, or npm install scripts were skipped).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });

const build = run('npx', ['electron-vite', 'build', '--config', 'electron.config.ts']);
if (build.status !== 0) process.exit(build.status ?? 1);

let electronPath;
try {
  electronPath = require('electron');
} catch (e) {
  console.error(`The Electron binary is not installed (${e.message.split('\n')[0]}).
Install it with:  npx install-electron   (needs access to Electron's download site)
or, where Electron cannot be downloaded, run the desk headless:  npx custody --help`);
  process.exit(1);
}
const app = run(electronPath, ['.']);
process.exit(app.status ?? 0);
