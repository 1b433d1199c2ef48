// `custody web`: the desk UI in a browser, for machines where Electron cannot run.
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CustodyError } from '../../core/errors.ts';
import { ROOT, out, unlockedDesk } from '../context.ts';
import { startWebServer } from '../web.ts';

/** Newest modification time under a folder (0 when it does not exist: an installed package has no sources). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function register(program: Command): void {
  program
    .command('web')
    .description('serve the desk UI and the DeskApi on 127.0.0.1 with a session token (for browsers)')
    .option('--port <n>', 'port (default: any free one)', (v) => Number.parseInt(v, 10))
    .option('--no-watch', "do not resume the desk's stored watch folders (another process watches them)")
    .action(async (o: { port?: number; watch: boolean }) => {
      if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
        throw new CustodyError('INVALID_ARGUMENT', `expected a port from 0 to 65535, got ${o.port}`);
      }
      const rendererDir = join(ROOT, 'out', 'renderer');
      const index = join(rendererDir, 'index.html');
      // A checkout whose renderer sources changed since the last build gets a fresh one, not yesterday's screens.
      if (!existsSync(index) || statSync(index).mtimeMs < newest(join(ROOT, 'renderer'))) {
        process.stderr.write(existsSync(index) ? 'rebuilding the renderer (its sources changed)…\n' : 'building the renderer (first run)…\n');
        const b = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--config', 'electron.config.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
        if (b.status !== 0) throw new CustodyError('IO_ERROR', 'expected to build the renderer with electron-vite, but the build failed (see above)');
      }
      const desk = await unlockedDesk();
      const web = await startWebServer(desk, { rendererDir, ...(o.port !== undefined ? { port: o.port } : {}) });
      out(`Custody desk at ${web.url}`);
      // As the desktop app does at start-up: the stored watch folders resume, and keep signing while the page is
      // closed. One that cannot (held by another process, gone) says why on its screen and here.
      if (o.watch) {
        await web.host.watch.startAll();
        for (const f of web.host.watch.list()) {
          process.stderr.write(f.status === 'running' ? `watching ${f.path}\n` : `not watching ${f.path}: ${f.problem?.message ?? f.status}\n`);
        }
      } else {
        process.stderr.write('stored watch folders left to another process (--no-watch)\n');
      }
      await new Promise<void>((resolve) => {
        const stop = () => void web.close().then(() => { desk.close(); resolve(); });
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
