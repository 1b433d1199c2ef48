// A watch engine in a child process that kills itself with SIGKILL at a chosen moment, for the crash tests:
//   node bin/run-ts.js test/watch-child.ts HOME FOLDER_ID MODE
// MODE: step:<state>:<n>  SIGKILL once the n-th job has durably reached <state> (1-based)
//       op:<n>            SIGKILL right after the n-th file-system call that changes something (rename, link, …)
//       run               no kill: process what is there, then print {"ops": n} and exit
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { WatchEngine } from '../core/watch/engine.ts';
import { nodeFs, type WatchFs } from '../core/watch/fs.ts';

const [home, folderId, mode] = process.argv.slice(2);
if (!home || !folderId || !mode) throw new Error('usage: watch-child.ts HOME FOLDER_ID MODE');

const [kind, a, b] = mode.split(':');
const die = () => process.kill(process.pid, 'SIGKILL');

let ops = 0;
const MUTATING = new Set(['mkdir', 'rename', 'link', 'unlink', 'rmdir']);
const fs: Record<string, unknown> = {};
for (const name of ['stat', 'lstat', 'readdir', 'mkdir', 'rename', 'link', 'unlink', 'rmdir', 'open', 'readFile', 'realpath'] as const) {
  const fn = nodeFs[name] as (...args: unknown[]) => Promise<unknown>;
  fs[name] = async (...args: unknown[]) => {
    const result = await fn(...args);
    const writes = MUTATING.has(name) || (name === 'open' && typeof args[1] === 'string' && /[wa+]/.test(args[1]));
    if (writes && ++ops === Number(a) && kind === 'op') die();
    return result;
  };
}

const reached = new Map<string, number>();
const desk = Desk.open(home);
await desk.unlock(new PassphraseProtector(process.env.CUSTODY_PASSPHRASE ?? ''));
const engine = new WatchEngine(desk, {
  fs: fs as unknown as WatchFs,
  rescanMs: 60_000,
  retryBaseMs: 50,
  onStep: (job) => {
    const n = (reached.get(job.state) ?? 0) + 1;
    reached.set(job.state, n);
    if (kind === 'step' && job.state === a && n === Number(b)) die();
  },
});
engine.on('file', (o) => process.stdout.write(`${JSON.stringify(o)}\n`));
engine.on('retry', (r) => process.stderr.write(`retry ${r.path}: ${r.code} ${r.message}\n`));
await engine.start([folderId]);
await engine.whenIdle();
await engine.stop();
desk.close();
process.stdout.write(`${JSON.stringify({ ops })}\n`);
