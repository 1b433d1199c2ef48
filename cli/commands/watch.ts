// `custody watch`: hot folders. `custody watch IN --out OUT` signs everything dropped into IN until Ctrl-C or
// SIGTERM; the folder and its options are stored on the desk, where the desktop app finds them too.
import { Option, type Command } from 'commander';
import { join, resolve } from 'node:path';
import { CustodyError } from '../../core/errors.ts';
import { WatchEngine, type WatchOutcome } from '../../core/watch/engine.ts';
import {
  addWatchFolder, getWatchFolder, listWatchFolders, updateWatchFolder, type WatchFolder, type WatchFolderOptions,
} from '../../core/watch/folders.ts';
import { jobCounts, listJobs } from '../../core/watch/jobs.ts';
import type { DeskApi } from '../../core/api/desk-api.ts';
import { withApi } from '../api.ts';
import { err, json, out, withDesk } from '../context.ts';
import { actingFor } from './auth.ts';

type WatchAddArgs = Parameters<DeskApi['watchAdd']>[0];

interface FolderFlags {
  out?: string;
  concurrency?: number;
  stableMs?: number;
  workflow?: string;
  classification?: string;
  flag?: string[];
  digitalSourceType?: string;
}

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new CustodyError('INVALID_ARGUMENT', `expected ${name} to be a whole number, got ${JSON.stringify(v)}`);
  return n;
};
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function folderOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--concurrency <n>', 'files signed at the same time (default 1)').argParser(int('the concurrency')))
    .addOption(new Option('--stable-ms <ms>', 'how long size and modification time must stay unchanged before a file is taken (default 2000)').argParser(int('--stable-ms')))
    .option('--workflow <template>', 'workflow template to submit each signed file into')
    .option('--classification <name>', 'classification given to each file')
    .option('--flag <name>', 'compliance flag set on each file (repeatable)', collect)
    .option('--digital-source-type <type>', 'IPTC digital source type for C2PA, e.g. digitalCapture');
}

function optionsFrom(o: FolderFlags): Partial<WatchFolderOptions> {
  const opts: Partial<WatchFolderOptions> = {};
  if (o.workflow !== undefined) opts.workflowTemplate = o.workflow;
  if (o.classification !== undefined) opts.classification = o.classification;
  if (o.flag !== undefined) opts.flags = o.flag;
  if (o.digitalSourceType !== undefined) opts.digitalSourceType = o.digitalSourceType;
  return opts;
}

function describe(f: Pick<WatchFolder, 'path' | 'outDir' | 'concurrency' | keyof WatchFolderOptions>): string {
  const opts = [
    f.workflowTemplate && `workflow ${f.workflowTemplate}`,
    f.classification && `classification ${f.classification}`,
    f.flags.length > 0 && `flags ${f.flags.join(',')}`,
    f.digitalSourceType && `source type ${f.digitalSourceType.split('/').pop()}`,
  ].filter(Boolean);
  return `${f.path} → ${f.outDir} (concurrency ${f.concurrency}${opts.length ? `, ${opts.join(', ')}` : ''})`;
}

function summary(o: WatchOutcome, showFolder: boolean): string {
  const name = showFolder ? join(o.folder, o.path) : o.path;
  switch (o.status) {
    case 'signed':
      return `signed ${name} → ${o.output} (record ${o.recordId}, ${o.seconds.toFixed(2)} s)`;
    case 'rejected':
    case 'duplicate':
      return `${o.status} ${name} → ${o.original} (${o.error?.code}: ${o.error?.message})`;
  }
}

export function register(program: Command): void {
  folderOptions(
    program
      .command('watch')
      .description('sign every photo dropped into IN (recursively) until Ctrl-C: signed copies, receipts and originals go to OUT')
      .argument('[in]', 'the hot folder (default: every folder stored with `custody watch-folders add`)')
      .option('--out <dir>', 'output folder: OUT/<path>, OUT/originals/<path>, OUT/rejected/<path>'),
  )
    .option('--json', 'print one JSON object per file on stdout')
    .option('--once', 'process what is in the folder now, then exit')
    .addOption(new Option('--rescan-ms <ms>', 'full rescan under the file-system events').default(30_000).argParser(int('--rescan-ms')))
    .option('--poll', 'poll instead of file-system events (network shares)')
    .action(async (input: string | undefined, o: FolderFlags & { json?: boolean; once?: boolean; rescanMs: number; poll?: boolean }) => {
      await withDesk(async (desk) => {
        // Files are signed and submitted as each folder's owner; who runs the engine must be allowed to run it.
        const by = (await actingFor(desk, 'watchRun'))!;
        let ids: string[] | undefined;
        if (input !== undefined) {
          const known = getWatchFolder(desk.store, input);
          const patch = { ...(o.out !== undefined ? { outDir: o.out } : {}), concurrency: o.concurrency, stableMs: o.stableMs, options: optionsFrom(o) };
          let folder: WatchFolder;
          if (known) folder = updateWatchFolder(desk, by, known.id, patch, desk.folderRules);
          else if (o.out === undefined) throw new CustodyError('INVALID_ARGUMENT', `expected --out OUT for ${input}, which is not watched yet, got none`);
          else folder = addWatchFolder(desk, by, { path: input, outDir: o.out, ...patch }, desk.folderRules);
          ids = [folder.id];
        } else if (o.out !== undefined) {
          throw new CustodyError('INVALID_ARGUMENT', 'expected a folder to watch with --out, got --out alone');
        }
        const engine = new WatchEngine(desk, { rescanMs: o.rescanMs, usePolling: o.poll ?? false });
        const counts = { signed: 0, rejected: 0, duplicate: 0 };
        let showFolder = false;
        // The hub learns of each record as it is signed: the sync worker runs beside the engine (each signature wakes it).
        const sync = desk.hub.start((r) => err(`hub: ${r.accepted} record(s) pushed, ${r.parked} parked, ${r.remaining} pending${r.error ? `; waiting: ${r.error}` : ''}`));
        engine.on('file', (r) => {
          counts[r.status]++;
          err(summary(r, showFolder));
          if (o.json) out(JSON.stringify(r));
        });
        engine.on('retry', (r) => err(`retry ${r.path} in ${(r.retryInMs / 1000).toFixed(1)} s (attempt ${r.attempts}, ${r.state}): ${r.code}: ${r.message}`));
        engine.on('problem', (p) => err(`problem ${p.folder}: ${p.code}: ${p.message}`));
        await engine.start(ids);
        showFolder = engine.folders.length > 1;
        for (const f of engine.folders) err(`watching ${describe(f)}`);
        if (!o.once) err('Ctrl-C to stop; files in flight are finished first, and a restart resumes anything left.');
        await new Promise<void>((resolve) => {
          let stopping = false;
          const stop = (why: string) => {
            if (stopping) {
              err(`${why} again: leaving now; the next start finishes what was in flight`);
              process.exit(130);
            }
            stopping = true;
            err(`${why}: finishing the files in flight, then stopping`);
            void engine.stop().then(resolve);
          };
          process.on('SIGINT', () => stop('SIGINT'));
          process.on('SIGTERM', () => stop('SIGTERM'));
          if (o.once) void engine.whenIdle().then(() => stop('done'));
        });
        await sync?.stop();
        if (sync && o.once) {
          const last = await sync.worker.pushOnce();
          err(`hub: ${last.remaining} row(s) left to push${last.error ? ` (${last.error}); \`custody sync\` pushes them later` : ''}`);
        }
        err(`stopped: ${counts.signed} signed, ${counts.rejected} rejected, ${counts.duplicate} duplicates`);
      }, { unlock: true });
    });

  // The folder list lives in its own group: subcommands of `watch` would see their --out and the other folder
  // options taken by `watch` itself (commander hands known options to the parent unless options are positional).
  const folders = program.command('watch-folders').description('the hot folders stored on this desk (the desktop app runs them too)');
  folderOptions(
    folders
      .command('add')
      .description('store a hot folder (for the desktop app and `custody watch`) without starting it')
      .argument('<in>', 'the hot folder')
      .requiredOption('--out <dir>', 'output folder'),
  )
    .option('--json', 'print the folder as JSON')
    .action(async (input: string, o: FolderFlags & { out: string; json?: boolean }) => {
      // Through the DeskApi, as the desktop app and web mode add one: the same rule, confinement and audit entry.
      const f = await withApi('watchAdd', (api) =>
        api.watchAdd({
          path: resolve(input),
          outDir: resolve(o.out),
          ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
          ...(o.stableMs !== undefined ? { stableMs: o.stableMs } : {}),
          ...optionsFrom(o),
          start: false,
          // The schema checks classification and flags against their lists (INVALID_ARGUMENT naming them).
        } as WatchAddArgs),
      );
      if (o.json) json(f);
      else out(`added ${f.id}: ${describe(f)}`);
    });

  folders
    .command('list')
    .description('the stored hot folders, with their files per state')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await withDesk(async (desk) => {
        await actingFor(desk, 'watchFolders');
        return listWatchFolders(desk.store).map((f) => ({ ...f, jobs: jobCounts(desk.store, f.id) }));
      });
      if (o.json) return json(rows);
      if (rows.length === 0) return out('no watched folders');
      for (const f of rows) {
        const jobs = Object.entries(f.jobs).map(([k, n]) => `${k} ${n}`).join(', ') || 'no files yet';
        out(`${f.id}  ${describe(f)}${f.lease ? `  [running, ${f.lease.owner.split('|').slice(0, 2).join(' pid ')}]` : ''}`);
        out(`    ${jobs}`);
      }
    });

  folders
    .command('jobs')
    .description("a hot folder's queue: every file taken, its state and where it went")
    .argument('<in>', 'the hot folder (path or id)')
    .option('--open', 'only files still in flight')
    .option('--json', 'print as JSON')
    .action(async (input: string, o: { open?: boolean; json?: boolean }) => {
      const jobs = await withDesk(async (desk) => {
        await actingFor(desk, 'watchJobs');
        const f = getWatchFolder(desk.store, input);
        if (!f) throw new CustodyError('NOT_FOUND', `expected a watched folder ${input}, but none is registered (see \`custody watch-folders list\`)`);
        return listJobs(desk.store, { folderId: f.id, ...(o.open ? { open: true } : {}) });
      });
      if (o.json) return json(jobs);
      for (const j of jobs) {
        out(`${String(j.id).padStart(6)}  ${j.state.padEnd(9)} ${j.relPath}${j.error ? `  ${j.error.code}` : ''}${j.lastError && j.state !== 'done' ? `  (last error: ${j.lastError})` : ''}`);
      }
    });

  folders
    .command('remove')
    .description('stop watching a folder for good (refused while it runs or has files in flight); files and history stay')
    .argument('<in>', 'the hot folder (path or id)')
    .action(async (input: string) => {
      const f = await withApi('watchRemove', async (api, desk) => {
        const known = getWatchFolder(desk.store, input);
        if (!known) throw new CustodyError('NOT_FOUND', `expected a watched folder ${input}, but none is registered (see \`custody watch-folders list\`)`);
        const { removed } = await api.watchRemove({ id: known.id });
        return { id: removed, path: known.path };
      });
      out(`removed ${f.id}: ${f.path}`);
    });
}
