// The watch engine: runs any number of watched folders of one desk, for the `custody watch` command and for the
// desktop app (which starts it with every stored folder at start-up). It holds each folder through a lease, so
// that two processes never work the same folder, and reports every file's outcome as an event.
import { EventEmitter } from 'node:events';
import type { Desk } from '../desk.ts';
import { CustodyError } from '../errors.ts';
import { nodeFs, type WatchFs } from './fs.ts';
import { acquireLease, confineFolders, listWatchFolders, newLeaseOwner, releaseLease, renewLease, requireWatchFolder, type WatchFolder } from './folders.ts';
import { signWorkerCount, startSignPool, type SignPool } from '../provenance/sign-pool.ts';
import type { WatchJob } from './jobs.ts';
import { FolderRunner } from './runner.ts';

export interface WatchOutcome {
  status: 'signed' | 'rejected' | 'duplicate';
  folderId: string;
  folder: string;
  /** The file's path inside the watched folder. */
  path: string;
  jobId: number;
  sha256: string | null;
  recordId: string | null;
  /** The signed copy (signed only). */
  output: string | null;
  /** The original, in originals/ or rejected/. */
  original: string | null;
  /** The JSON receipt (signed) or the .error.txt note (rejected, duplicate). */
  note: string | null;
  error: { code: string; message: string } | null;
  seconds: number;
}

export interface WatchRetry {
  folderId: string;
  folder: string;
  path: string;
  jobId: number;
  state: WatchJob['state'];
  attempts: number;
  code: string;
  message: string;
  retryInMs: number;
}

export interface WatchProblem {
  folderId: string;
  folder: string;
  code: string;
  message: string;
}

export interface WatchEngineEvents {
  file: [WatchOutcome];
  retry: [WatchRetry];
  problem: [WatchProblem];
  step: [WatchJob];
}

export interface WatchEngineOptions {
  fs?: WatchFs;
  now?: () => Date;
  /** Full rescan of every folder, under the watcher's events (default 30 s). */
  rescanMs?: number;
  /**
   * Lease time, renewed every third of it (default 2 min). Long, because signing a very large image blocks the
   * event loop for seconds; a holder that died on this host is recognised by its pid and replaced at once.
   */
  leaseMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Unexpected signing failures tolerated before a file is rejected (default 3). */
  maxUnexpected?: number;
  /** Poll instead of OS events (network shares). */
  usePolling?: boolean;
  /** Called after every durable step, before the next; the engine waits for it. */
  onStep?: (job: WatchJob) => Promise<void> | void;
  /**
   * Sign workers (sign-pool.ts) to render photos in; 0 renders them on this thread. Default: CUSTODY_SIGN_WORKERS,
   * else as many as the busiest folder's concurrency (up to the cores) when that is above 1.
   */
  signWorkers?: number;
}

export class WatchEngine extends EventEmitter<WatchEngineEvents> {
  readonly #desk: Desk;
  readonly #fs: WatchFs;
  readonly #now: () => Date;
  readonly #opts: Required<Omit<WatchEngineOptions, 'fs' | 'now' | 'onStep' | 'signWorkers'>>;
  readonly #signWorkers: number | undefined;
  #signPool: SignPool | null = null;
  #signPoolStarting: Promise<void> | null = null;
  readonly #onStep: WatchEngineOptions['onStep'];
  readonly #owner = newLeaseOwner();
  readonly #runners = new Map<string, FolderRunner>();
  #heartbeat: NodeJS.Timeout | null = null;
  #idleWaiters: (() => void)[] = [];

  constructor(desk: Desk, options: WatchEngineOptions = {}) {
    super();
    this.#desk = desk;
    this.#fs = options.fs ?? nodeFs;
    this.#now = options.now ?? (() => new Date());
    this.#onStep = options.onStep;
    this.#signWorkers = options.signWorkers;
    this.#opts = {
      rescanMs: options.rescanMs ?? 30_000,
      leaseMs: options.leaseMs ?? 120_000,
      retryBaseMs: options.retryBaseMs ?? 500,
      retryMaxMs: options.retryMaxMs ?? 60_000,
      maxUnexpected: options.maxUnexpected ?? 3,
      usePolling: options.usePolling ?? false,
    };
  }

  /** The folders this engine runs now. */
  get folders(): WatchFolder[] {
    return [...this.#runners.values()].map((r) => r.folder);
  }

  /** Starts the given folders (default: every stored folder). A folder held by another process refuses the lot. */
  async start(folderIds?: readonly string[]): Promise<void> {
    if (!this.#desk.unlocked) throw new CustodyError('KEY_LOCKED', 'expected an unlocked key vault to watch folders, but it is locked');
    const db = this.#desk.store;
    const ids = folderIds ?? listWatchFolders(db).map((f) => f.id);
    if (ids.length === 0) throw new CustodyError('NOT_FOUND', 'expected at least one watched folder, got none: add one with `custody watch-folders add IN --out OUT`');
    const taken: string[] = [];
    try {
      for (const id of ids) {
        const f = requireWatchFolder(db, id);
        if (this.#runners.has(f.id)) continue;
        // Judged again at every start: the allowed roots may have changed, or a folder on the way become a symlink.
        const now = confineFolders(f.path, f.outDir, this.#desk.folderRules);
        if (now.path !== f.path || now.outDir !== f.outDir) {
          throw new CustodyError('PATH_NOT_ALLOWED', `expected ${f.path} → ${f.outDir} to resolve to themselves, got ${now.path} → ${now.outDir}: a folder on the way was replaced by a link`);
        }
        acquireLease(db, f.id, this.#owner, this.#opts.leaseMs, this.#now());
        taken.push(f.id);
      }
    } catch (e) {
      for (const id of taken) releaseLease(db, id, this.#owner);
      throw e;
    }
    this.#heartbeat ??= setInterval(() => this.#renew(), Math.max(100, Math.floor(this.#opts.leaseMs / 3)));
    // A watcher that died left its last signed output half placed (a record without its file, or a temporary file):
    // finish that before its jobs are replayed, which expect the record's file in place.
    this.#desk.recoverPlacements();
    const folders = taken.map((id) => requireWatchFolder(db, id));
    await this.#startSignPool(Math.max(0, ...folders.map((f) => f.concurrency), ...this.folders.map((f) => f.concurrency)));
    await Promise.all(folders.map((f) => this.#startRunner(f)));
  }

  /** The sign workers in use (null: photos are rendered on this thread). */
  get signPool(): SignPool | null {
    return this.#signPool;
  }

  /**
   * Starts the sign workers once, before the first file is taken. Where they cannot start (a locked-down runtime, a
   * bundle without sign-worker.js) photos are rendered on this thread: the same results, one core.
   */
  async #startSignPool(concurrency: number): Promise<void> {
    const n = this.#signWorkers ?? signWorkerCount(concurrency);
    if (n === 0 || this.#signPool) return;
    this.#signPoolStarting ??= startSignPool(n).then(
      (p) => void (this.#signPool = p),
      () => undefined,
    );
    await this.#signPoolStarting;
  }

  /** Stops one folder (the app's "stop watching"); its jobs in flight finish first. */
  async stopFolder(folderId: string): Promise<void> {
    const r = this.#runners.get(folderId);
    if (!r) return;
    this.#runners.delete(folderId);
    await r.stop();
    releaseLease(this.#desk.store, folderId, this.#owner);
    if (this.#runners.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
    if (this.#runners.size === 0 && this.#signPool) {
      const pool = this.#signPool;
      this.#signPool = null;
      this.#signPoolStarting = null;
      await pool.close();
    }
    this.#checkIdle();
  }

  /** Stops everything cleanly: no new file is taken, files in flight finish, leases are released. */
  async stop(): Promise<void> {
    await Promise.all([...this.#runners.keys()].map((id) => this.stopFolder(id)));
  }

  /** Resolves once nothing is settling, queued, running or waiting for a retry. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  async #startRunner(folder: WatchFolder): Promise<void> {
    const problem = (code: string, message: string) => this.emit('problem', { folderId: folder.id, folder: folder.path, code, message });
    const runner = new FolderRunner(
      folder,
      { desk: this.#desk, fs: this.#fs, now: this.#now, signPool: () => this.#signPool },
      {
        rescanMs: this.#opts.rescanMs,
        retryBaseMs: this.#opts.retryBaseMs,
        retryMaxMs: this.#opts.retryMaxMs,
        maxUnexpected: this.#opts.maxUnexpected,
        usePolling: this.#opts.usePolling,
      },
      {
        outcome: (job, seconds) => this.emit('file', outcomeOf(folder, job, seconds)),
        retry: (job, failure, delayMs) =>
          this.emit('retry', {
            folderId: folder.id, folder: folder.path, path: job.relPath, jobId: job.id, state: job.state, attempts: job.attempts,
            code: failure.code, message: failure.message, retryInMs: delayMs,
          }),
        problem,
        step: async (job) => {
          this.emit('step', job);
          await this.#onStep?.(job);
        },
        changed: () => this.#checkIdle(),
      },
    );
    this.#runners.set(folder.id, runner);
    await runner.start();
  }

  #renew(): void {
    for (const r of this.#runners.values()) {
      let kept: boolean;
      try {
        kept = renewLease(this.#desk.store, r.folder.id, this.#owner, this.#opts.leaseMs, this.#now());
      } catch (e) {
        // A busy database: the lease lasts three heartbeats, so the next one can still renew it.
        this.emit('problem', { folderId: r.folder.id, folder: r.folder.path, code: 'IO_ERROR', message: `expected to renew the lease on ${r.folder.path}, but the database refused: ${(e as Error).message}` });
        continue;
      }
      if (kept) continue;
      this.emit('problem', { folderId: r.folder.id, folder: r.folder.path, code: 'WATCH_FOLDER_BUSY', message: `expected to keep watching ${r.folder.path}, but another process took it over; stopping here` });
      void this.stopFolder(r.folder.id);
    }
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0) return;
    if ([...this.#runners.values()].some((r) => !r.idle)) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

function outcomeOf(folder: WatchFolder, job: WatchJob, seconds: number): WatchOutcome {
  return {
    status: job.state === 'done' ? 'signed' : job.state === 'duplicate' ? 'duplicate' : 'rejected',
    folderId: folder.id,
    folder: folder.path,
    path: job.relPath,
    jobId: job.id,
    sha256: job.sha256,
    recordId: job.recordId,
    output: job.outputPath,
    original: job.originalPath,
    note: job.notePath,
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
    seconds: Math.round(seconds * 1000) / 1000,
  };
}
