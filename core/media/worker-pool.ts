// Worker threads that load TypeScript job code (worker-host.js) and answer numbered requests: the plumbing shared by
// the video pHash pool and the pixel pool. Requests go to the least busy live worker. A worker with requests in
// flight is ref'd, an idle one unref'd, so a pool never keeps a process alive by itself; a worker that errors or
// exits fails its requests with IO_ERROR and gets no more.
import { Worker, type TransferListItem } from 'node:worker_threads';
import { CustodyError, type ErrorCode } from '../errors.ts';

export type WorkerLoader = 'native' | 'tsx';

export interface WorkerPool<Req, Res> {
  readonly size: number;
  /** Workers still running (one that failed or exited is not replaced). */
  readonly live: number;
  /** How the workers loaded the TypeScript job code (Node's own type stripping, or tsx). */
  readonly loader: WorkerLoader;
  run(request: Req, transfer?: readonly TransferListItem[]): Promise<Res>;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  size: number;
  /** the worker script (one that calls worker-host.js's serve) */
  url: URL;
  /** for messages: "the pHash worker …" */
  name: string;
  /** How long a worker may take to load before the pool gives up, in ms. */
  startTimeoutMs?: number;
}

interface Slot {
  worker: Worker;
  alive: boolean;
  loader: WorkerLoader;
  jobs: Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>;
}

type Reply = { ready?: true; loader?: WorkerLoader; id?: number; result?: unknown; error?: string; code?: ErrorCode };

function startWorker(url: URL, name: string, timeout: number): Promise<Slot> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url);
    const slot: Slot = { worker, alive: true, loader: 'native', jobs: new Map() };
    const fail = (e: Error): void => {
      slot.alive = false;
      for (const job of slot.jobs.values()) job.reject(e);
      slot.jobs.clear();
    };
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new CustodyError('IO_ERROR', `expected the ${name} worker to start within ${timeout} ms, it did not`));
    }, timeout);
    worker.on('message', (m: Reply) => {
      if (m.ready) {
        clearTimeout(timer);
        slot.loader = m.loader ?? 'native';
        worker.unref();
        resolve(slot);
        return;
      }
      const job = slot.jobs.get(m.id!);
      if (!job) return;
      slot.jobs.delete(m.id!);
      if (slot.jobs.size === 0) worker.unref();
      if (m.error === undefined) job.resolve(m.result);
      else if (m.code) job.reject(new CustodyError(m.code, m.error));
      else job.reject(new CustodyError('IO_ERROR', `expected the ${name} worker to finish its job, it failed: ${m.error}`));
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      const err = new CustodyError('IO_ERROR', `expected the ${name} worker to run, but it failed: ${e.message}`, {}, { cause: e });
      reject(err);
      fail(err);
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      const err = new CustodyError('IO_ERROR', `expected the ${name} worker to keep running, but it exited (code ${code})`);
      reject(err);
      fail(err);
    });
  });
}

/** Starts `size` workers and waits until each has loaded its code; throws IO_ERROR if one cannot (the rest stop). */
export async function startWorkerPool<Req, Res>(options: WorkerPoolOptions): Promise<WorkerPool<Req, Res>> {
  const { size, url, name } = options;
  const started = await Promise.allSettled(Array.from({ length: size }, () => startWorker(url, name, options.startTimeoutMs ?? 20_000)));
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
    get live() {
      return closed ? 0 : slots.filter((s) => s.alive).length;
    },
    loader: slots[0]!.loader,
    run(request, transfer = []) {
      if (closed) return Promise.reject(new CustodyError('IO_ERROR', `expected an open ${name} pool, it is closed`));
      const live = slots.filter((s) => s.alive);
      if (live.length === 0) return Promise.reject(new CustodyError('IO_ERROR', `expected a running ${name} worker, every worker has stopped`));
      // the least busy worker; ties go round-robin
      const id = nextId++;
      let slot = live[id % live.length]!;
      for (const s of live) if (s.jobs.size < slot.jobs.size) slot = s;
      return new Promise<Res>((resolve, reject) => {
        slot.jobs.set(id, { resolve: resolve as (r: unknown) => void, reject });
        slot.worker.ref();
        slot.worker.postMessage({ id, request }, [...transfer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = new CustodyError('IO_ERROR', `expected the ${name} pool to stay open until its answers arrived, but it was closed`);
      for (const s of slots) {
        for (const job of s.jobs.values()) job.reject(err);
        s.jobs.clear();
        s.alive = false;
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
