// Worker threads for full-resolution pixel work (pixel-jobs.ts), started once per process and kept: a desk signs
// photo after photo, and a worker costs ~60–80 ms to start. The pool starts in the background on first use, so the
// photo that asked for it does not wait: it is done on the calling thread, and the photos after it share the pool.
//
// CUSTODY_PIXEL_WORKERS sets the count (0 = none: everything on the calling thread); by default one fewer than the
// machine's cores, since the calling thread takes a share too. Where the workers cannot start (a locked-down
// runtime, a bundle without pixel-worker.js), there is no pool and callers work inline: same results, one thread.
import { availableParallelism } from 'node:os';
import { CustodyError } from '../errors.ts';
import type { PixelJob, PixelResult } from './pixel-jobs.ts';
import { startWorkerPool, type WorkerPool } from './worker-pool.ts';

export type PixelPool = WorkerPool<PixelJob, PixelResult>;

/** Starts `size` pixel workers; throws IO_ERROR when one cannot start (the others are stopped). */
export function startPixelPool(size: number, url = new URL('./pixel-worker.js', import.meta.url)): Promise<PixelPool> {
  return startWorkerPool<PixelJob, PixelResult>({ size, url, name: 'pixel' });
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

let starting: Promise<PixelPool | null> | null = null;
let ready: PixelPool | null = null;

/** The process's pool once it is up, else null (and it is started, in the background, on the first call). */
export function pixelPoolIfReady(): PixelPool | null {
  starting ??= (async () => {
    const n = pixelWorkerCount();
    if (n === 0) return null;
    try {
      return (ready = await startPixelPool(n));
    } catch {
      return null; // the same results come from the calling thread alone
    }
  })();
  return ready;
}

/** The process's pool if it is up, without starting it. */
export function runningPixelPool(): PixelPool | null {
  return ready;
}

/** The process's pool once it has started (starting it if no one has), or null where it cannot start. */
export function pixelPoolStarted(): Promise<PixelPool | null> {
  pixelPoolIfReady();
  return starting!;
}
