// One watched folder at run time: chokidar events and a periodic rescan feed a settle check (size and
// modification time unchanged for stableMs); settled files are claimed and driven step by step, at most
// `concurrency` at a time; failed steps are retried with exponential backoff.
import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode, ioError, isRealDir } from './fs.ts';
import type { WatchFolder } from './folders.ts';
import { claimJob, decideReject, getJob, isOpen, noteFailure, openJobs, type WatchJob } from './jobs.ts';
import { isIgnored, relativeInside, under } from './paths.ts';
import { classify, step, type StepContext } from './steps.ts';

export interface RunnerHooks {
  /** A job reached its end (signed, rejected, duplicate); seconds since this process started on it. */
  outcome(job: WatchJob, seconds: number): void;
  /** A step failed and will be tried again after delayMs. */
  retry(job: WatchJob, failure: { code: string; message: string }, delayMs: number): void;
  /** Something about the folder itself (missing, watcher error). */
  problem(code: string, message: string): void;
  /** After every durable step. */
  step(job: WatchJob): Promise<void> | void;
  /** Work was added or finished (for whenIdle). */
  changed(): void;
}

export interface RunnerOptions {
  rescanMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxUnexpected: number;
  usePolling: boolean;
}

interface Seen {
  size: number;
  mtimeMs: number;
}

export class FolderRunner {
  readonly folder: WatchFolder;
  readonly #ctx: StepContext;
  readonly #opts: RunnerOptions;
  readonly #hooks: RunnerHooks;
  #watcher: FSWatcher | null = null;
  #missingReported = false;
  readonly #settling = new Map<string, NodeJS.Timeout | null>();
  readonly #ready = new Map<string, Seen>();
  readonly #queue: number[] = [];
  readonly #queued = new Set<number>();
  readonly #retryTimers = new Map<number, NodeJS.Timeout>();
  /** Paths of jobs still in state 'claimed': their file is in the folder but already ours. */
  readonly #claimed = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  #active = 0;
  #scanning = false;
  #rescanTimer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(folder: WatchFolder, ctx: StepContext, opts: RunnerOptions, hooks: RunnerHooks) {
    this.folder = folder;
    this.#ctx = ctx;
    this.#opts = opts;
    this.#hooks = hooks;
  }

  get idle(): boolean {
    return !this.#scanning && this.#settling.size === 0 && this.#ready.size === 0 && this.#queue.length === 0 && this.#active === 0 && this.#retryTimers.size === 0;
  }

  async start(): Promise<void> {
    // Replay first: whatever was in flight when the last process stopped (or was killed) is finished before
    // anything new is taken.
    for (const job of openJobs(this.#ctx.desk.store, this.folder.id)) {
      if (job.state === 'claimed') this.#claimed.add(job.relPath);
      this.#enqueue(job.id);
    }
    this.#pump();
    try {
      await this.#ctx.fs.mkdir(this.folder.outDir, { recursive: true });
    } catch (e) {
      this.#hooks.problem('IO_ERROR', ioError(`create the output folder ${this.folder.outDir}`, e).message);
    }
    await this.#rescan();
    this.#rescanTimer = setInterval(() => void this.#rescan(), this.#opts.rescanMs);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#rescanTimer) clearInterval(this.#rescanTimer);
    for (const t of this.#settling.values()) if (t) clearTimeout(t);
    this.#settling.clear();
    this.#ready.clear();
    for (const t of this.#retryTimers.values()) clearTimeout(t);
    this.#retryTimers.clear();
    this.#queue.length = 0;
    await this.#watcher?.close();
    this.#watcher = null;
    // Jobs already running finish (or stop at their next failure): each step is durable either way.
    await Promise.all([...this.#running]);
    this.#hooks.changed();
  }

  async #ensureWatching(): Promise<boolean> {
    let isDir = false;
    try {
      isDir = (await this.#ctx.fs.stat(this.folder.path)).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) {
      if (this.#watcher) await this.#watcher.close();
      this.#watcher = null;
      if (!this.#missingReported) this.#hooks.problem('NOT_FOUND', `expected a folder to watch at ${this.folder.path}, but there is none; waiting for it`);
      this.#missingReported = true;
      return false;
    }
    this.#missingReported = false;
    if (this.#watcher || this.#stopping) return true;
    const root = this.folder.path;
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: this.#opts.usePolling,
      ignored: (p: string) => isIgnored(relativeInside(root, p) ?? ''),
    });
    const onFile = (p: string) => {
      const rel = relativeInside(root, p);
      if (rel !== null) this.notice(rel);
    };
    watcher.on('add', onFile).on('change', onFile).on('error', (e) => this.#hooks.problem('IO_ERROR', `expected to watch ${root}, but the watcher failed: ${String(e)}`));
    this.#watcher = watcher;
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    return true;
  }

  /** The safety net under the watcher's events: every file in the folder is looked at again. */
  async #rescan(): Promise<void> {
    if (this.#scanning || this.#stopping) return;
    this.#scanning = true;
    try {
      if (await this.#ensureWatching()) await this.#walk('');
    } finally {
      this.#scanning = false;
      this.#hooks.changed();
    }
  }

  async #walk(rel: string): Promise<void> {
    let entries;
    try {
      // A subfolder swapped for a link since its parent was listed is not entered.
      if (!(await isRealDir(this.#ctx.fs, under(this.folder.path, rel)))) return;
      entries = await this.#ctx.fs.readdir(under(this.folder.path, rel), { withFileTypes: true });
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') this.#hooks.problem('IO_ERROR', ioError(`list ${under(this.folder.path, rel)}`, e).message);
      return;
    }
    for (const d of entries) {
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      if (this.#stopping || isIgnored(child)) continue;
      if (d.isDirectory()) await this.#walk(child);
      else if (d.isFile()) this.notice(child);
    }
  }

  /** A file appeared or changed: it is taken once it has settled. */
  notice(rel: string): void {
    if (this.#stopping || isIgnored(rel) || this.#claimed.has(rel) || this.#settling.has(rel) || this.#ready.has(rel)) return;
    this.#settling.set(rel, null);
    void this.#settle(rel, null);
  }

  /**
   * The file at `rel` when it is a regular file reached without a symlink on the way (a subfolder swapped for a link
   * to another folder would make its files look like ours); null otherwise.
   */
  async #fileAt(rel: string): Promise<Stats | null> {
    const path = under(this.folder.path, rel);
    try {
      const st = await this.#ctx.fs.lstat(path);
      return st.isFile() && (await isRealDir(this.#ctx.fs, dirname(path))) ? st : null;
    } catch {
      return null; // gone, or the folder cannot be looked at now: the rescan looks again
    }
  }

  async #settle(rel: string, prev: Seen | null): Promise<void> {
    if (this.#stopping) return;
    const st = await this.#fileAt(rel);
    if (!st) {
      this.#settling.delete(rel);
      this.#hooks.changed();
      return;
    }
    const seen = { size: st.size, mtimeMs: st.mtimeMs };
    if (prev && prev.size === seen.size && prev.mtimeMs === seen.mtimeMs) {
      this.#settling.delete(rel);
      this.#ready.set(rel, seen);
      this.#pump();
      return;
    }
    this.#settling.set(rel, setTimeout(() => void this.#settle(rel, seen), this.folder.stableMs));
  }

  #enqueue(id: number): void {
    if (this.#queued.has(id)) return;
    this.#queued.add(id);
    this.#queue.push(id);
  }

  #pump(): void {
    while (!this.#stopping && this.#active < this.folder.concurrency) {
      const id = this.#queue.shift();
      if (id !== undefined) {
        this.#queued.delete(id);
        this.#track(async () => this.#drive(getJob(this.#ctx.desk.store, id)));
        continue;
      }
      const next = this.#ready.entries().next();
      if (next.done) break;
      const [rel, seen] = next.value;
      this.#ready.delete(rel);
      this.#track(() => this.#claimAndDrive(rel, seen));
    }
  }

  #track(work: () => Promise<void>): void {
    this.#active++;
    const p = work()
      .catch((e: unknown) => this.#hooks.problem('INTERNAL', `expected the watch queue to keep going, but it failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => {
        this.#active--;
        this.#running.delete(p);
        this.#pump();
        this.#hooks.changed();
      });
    this.#running.add(p);
  }

  async #claimAndDrive(rel: string, seen: Seen): Promise<void> {
    const path = under(this.folder.path, rel);
    const st = await this.#fileAt(rel);
    if (!st) return;
    if (st.size !== seen.size || st.mtimeMs !== seen.mtimeMs) return this.notice(rel);
    const job = claimJob(this.#ctx.desk.store, this.folder, { relPath: rel, sourcePath: path, size: st.size, mtimeMs: st.mtimeMs }, this.#ctx.now());
    if (!job) return;
    this.#claimed.add(rel);
    await this.#drive(job);
  }

  async #drive(start: WatchJob): Promise<void> {
    const t0 = performance.now();
    let job = start;
    while (isOpen(job.state)) {
      const before = job.state;
      try {
        job = await step(this.#ctx, job);
      } catch (e) {
        if (!this.#failed(job.id, e)) return;
        job = getJob(this.#ctx.desk.store, job.id);
        continue;
      }
      if (before === 'claimed' && job.state !== 'claimed') this.#claimed.delete(job.relPath);
      await this.#hooks.step(job);
    }
    if (job.state === 'released') this.notice(job.relPath);
    else this.#hooks.outcome(job, (performance.now() - t0) / 1000);
  }

  /** Records a failed step; true when the job can go on at once, false when a retry is scheduled (or we stop). */
  #failed(id: number, e: unknown): boolean {
    const db = this.#ctx.desk.store;
    const failure = classify(e);
    const job = noteFailure(db, id, `${failure.code}: ${failure.message}`, this.#ctx.now());
    if (failure.kind === 'unexpected' && job.state === 'staged' && job.disposition === 'sign' && job.attempts >= this.#opts.maxUnexpected) {
      decideReject(db, id, { code: failure.code, message: `expected to sign it, but signing failed ${job.attempts} times: ${failure.message}` }, this.#ctx.now());
      return true;
    }
    if (this.#stopping) return false;
    const delay = Math.min(this.#opts.retryMaxMs, this.#opts.retryBaseMs * 2 ** Math.min(job.attempts - 1, 20));
    this.#hooks.retry(job, failure, delay);
    this.#retryTimers.set(
      id,
      setTimeout(() => {
        this.#retryTimers.delete(id);
        this.#enqueue(id);
        this.#pump();
      }, delay),
    );
    return false;
  }
}
