// Worker threads for full-resolution pixel work (pixel-jobs.ts), started once per process on first use and kept:
// a desk signs photo after photo, and a worker costs ~60–80 ms to start. Idle workers are unref'd, so they never
// keep a CLI run alive; a worker with a job is ref'd until it answers.
//
// CUSTODY_PIXEL_WORKERS sets the count (0 = none: everything on the calling thread); by default one fewer than the
// machine's cores, since the calling thread takes a share too. Where the workers cannot start (a bundle without
// pixel-worker.js, a locked-down runtime), the pool is null and callers work inline: same results, one thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CustodyError } from '../errors.ts';
import type { PixelJob, PixelResult } from './pixel-jobs.ts';

export interface PixelPool {
  readonly size: number;
  run(job: PixelJob): Promise<PixelResult>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  alive: boolean;
  jobs: Map<number, { resolve: (r: PixelResult) => void; reject: (e: Error) => void }>;
}

const START_TIMEOUT_MS = 20_000;

function startWorker(url: URL): Promise<Slot> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url);
    const slot: Slot = { worker, alive: true, jobs: new Map() };
    const fail = (e: Error): void => {
      slot.alive = false;
      for (const job of slot.jobs.values()) job.reject(e);
      slot.jobs.clear();
    };
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new CustodyError('IO_ERROR', `expected the pixel worker to start within ${START_TIMEOUT_MS} ms, it did not`));
    }, START_TIMEOUT_MS);
    worker.on('message', (m: { ready?: true; id?: number; result?: PixelResult; error?: string }) => {
      if (m.ready) {
        clearTimeout(timer);
        worker.unref();
        resolve(slot);
        return;
      }
      const job = slot.jobs.get(m.id!);
      if (!job) return;
      slot.jobs.delete(m.id!);
      if (slot.jobs.size === 0) worker.unref();
      if (m.result) job.resolve(m.result);
      else job.reject(new CustodyError('IO_ERROR', `expected the pixel worker to finish its job, it failed: ${m.error}`));
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      const err = new CustodyError('IO_ERROR', `expected the pixel worker to run, but it failed: ${e.message}`, {}, { cause: e });
      reject(err);
      fail(err);
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      const err = new CustodyError('IO_ERROR', `expected the pixel worker to keep running, but it exited (code ${code})`);
      reject(err);
      fail(err);
    });
  });
}

/** Starts `size` workers; throws IO_ERROR when one cannot start (the others are stopped). */
export async function startPixelPool(size: number, url = new URL('./pixel-worker.js', import.meta.url)): Promise<PixelPool> {
  const started = await Promise.allSettled(Array.from({ length: size }, () => startWorker(url)));
  const slots = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure.reason;
  }
  let nextId = 0;
  let closed = false;
  return {
    size,
    run(job) {
      if (closed) return Promise.reject(new CustodyError('IO_ERROR', 'expected an open pixel pool, it is closed'));
      const live = slots.filter((s) => s.alive);
      if (live.length === 0) return Promise.reject(new CustodyError('IO_ERROR', 'expected a running pixel worker, every worker has stopped'));
      const id = nextId++;
      let slot = live[id % live.length]!;
      for (const s of live) if (s.jobs.size < slot.jobs.size) slot = s;
      return new Promise<PixelResult>((resolve, reject) => {
        slot.jobs.set(id, { resolve, reject });
        slot.worker.ref();
        slot.worker.postMessage({ id, job });
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/** How many workers the shared pool gets: CUSTODY_PIXEL_WORKERS, else the cores but one. */
export function pixelWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.CUSTODY_PIXEL_WORKERS;
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0) throw new CustodyError('INVALID_ARGUMENT', `expected CUSTODY_PIXEL_WORKERS to be a whole number ≥ 0, got ${JSON.stringify(set)}`);
    return n;
  }
  return Math.max(0, availableParallelism() - 1);
}

let shared: Promise<PixelPool | null> | null = null;

/** The process's pool, started on first call; null when there are no workers to use (then work inline). */
export function pixelPool(): Promise<PixelPool | null> {
  shared ??= (async () => {
    const n = pixelWorkerCount();
    if (n === 0) return null;
    try {
      return await startPixelPool(n);
    } catch {
      return null; // the same results come from the calling thread alone
    }
  })();
  return shared;
}
