// pHash of 32×32 thumbnails, on the calling thread or in a pool of worker threads (phash-worker.js).
//
// Measured (Node 22, one x86 core): a pHash takes ~16 µs and a worker ~60–85 ms to start. Frames arrive from ffmpeg
// every few milliseconds at best, so hashing never holds up decoding; the pool only pays off when the calling
// thread has other work (a busy Electron main process) and the video is long. See WORKER_MIN_FRAMES.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CustodyError } from '../../errors.ts';
import { phashFromThumb32 } from '../phash.ts';
import { THUMB_BYTES } from './frames.ts';

export interface PhashHasher {
  readonly kind: 'inline' | 'workers';
  /** For workers: how they loaded the TypeScript pHash code (Node's own type stripping, or tsx). */
  readonly loader?: 'native' | 'tsx';
  /** pHash (8 bytes) of a 1024-byte 32×32 gray thumbnail. The pool transfers the thumbnail's buffer away. */
  hash(thumb: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function inlineHasher(): PhashHasher {
  return {
    kind: 'inline',
    hash: async (thumb) => phashFromThumb32(thumb),
    close: async () => {},
  };
}

export interface PoolOptions {
  /** Worker count; defaults to the available parallelism minus one (ffmpeg is decoding meanwhile), at least 1. */
  size?: number;
  /** Where the worker script is; override when a bundler moves it (e.g. electron-vite's `?modulePath`). */
  workerUrl?: URL;
  /** How long a worker may take to load before the pool gives up, in ms. */
  startTimeoutMs?: number;
}

interface Job {
  resolve: (h: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  loader: 'native' | 'tsx';
}

/** Starts worker threads and waits until each has loaded the pHash code; throws IO_ERROR if one cannot start. */
export async function startPhashPool(options: PoolOptions = {}): Promise<PhashHasher> {
  const size = Math.max(1, Math.floor(options.size ?? Math.max(1, availableParallelism() - 1)));
  const url = options.workerUrl ?? new URL('./phash-worker.js', import.meta.url);
  const timeout = options.startTimeoutMs ?? 20_000;
  const slots: Slot[] = [];
  let closed = false;

  const fail = (slot: Slot, e: Error): void => {
    for (const job of slot.jobs.values()) job.reject(e);
    slot.jobs.clear();
  };

  const start = (): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url);
      const slot: Slot = { worker, jobs: new Map(), loader: 'native' };
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new CustodyError('IO_ERROR', `expected the pHash worker to start within ${timeout} ms, it did not`));
      }, timeout);
      worker.on('message', (m: { ready?: true; loader?: 'native' | 'tsx'; id?: number; hashes?: Uint8Array; error?: string }) => {
        if (m.ready) {
          clearTimeout(timer);
          slot.loader = m.loader ?? 'native';
          resolve(slot);
          return;
        }
        const job = slot.jobs.get(m.id!);
        if (!job) return;
        slot.jobs.delete(m.id!);
        if (m.hashes) job.resolve(m.hashes);
        else job.reject(new CustodyError('IO_ERROR', `expected a pHash from the worker, got an error: ${m.error}`));
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        const err = new CustodyError('IO_ERROR', `expected the pHash worker to run, but it failed: ${e.message}`, {}, { cause: e });
        reject(err);
        fail(slot, err);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        const err = new CustodyError('IO_ERROR', `expected the pHash worker to keep running, but it exited (code ${code})`);
        reject(err);
        if (!closed) fail(slot, err);
      });
    });

  const started = await Promise.allSettled(Array.from({ length: size }, start));
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure.reason;
  }

  let nextId = 0;
  return {
    kind: 'workers',
    loader: slots[0]!.loader,
    hash(thumb) {
      if (closed) return Promise.reject(new CustodyError('IO_ERROR', 'expected an open pHash pool, it is closed'));
      if (thumb.length !== THUMB_BYTES) {
        return Promise.reject(new CustodyError('INVALID_ARGUMENT', `expected a ${THUMB_BYTES}-byte thumbnail, got ${thumb.length}`));
      }
      // The least busy worker; ties go round-robin.
      const id = nextId++;
      let slot = slots[id % slots.length]!;
      for (const s of slots) if (s.jobs.size < slot.jobs.size) slot = s;
      return new Promise<Uint8Array>((resolve, reject) => {
        slot.jobs.set(id, { resolve, reject });
        const own = thumb.byteOffset === 0 && thumb.byteLength === thumb.buffer.byteLength && thumb.buffer instanceof ArrayBuffer;
        const msg = own ? thumb : new Uint8Array(thumb);
        slot.worker.postMessage({ id, thumbs: msg }, [msg.buffer as ArrayBuffer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = new CustodyError('IO_ERROR', 'expected the pHash pool to stay open until its hashes arrived, but it was closed');
      for (const s of slots) fail(s, err);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * Frame count above which `hashing: 'auto'` uses the pool. Inline hashing costs ~16 µs a frame; starting workers
 * ~60–85 ms. The longest video the sampling schedule allows in a working day (10 h at 0.1 fps) has 3 600 frames,
 * ~60 ms of hashing spread over minutes of decoding, so below this count the pool never wins.
 */
export const WORKER_MIN_FRAMES = 4000;
