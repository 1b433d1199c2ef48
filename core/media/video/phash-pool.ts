// pHash of 32×32 thumbnails, on the calling thread or in a pool of worker threads (phash-worker.js).
//
// Measured (Node 22, one x86 core): a pHash takes ~16 µs and a worker ~60–85 ms to start. Frames arrive from ffmpeg
// every few milliseconds at best, so hashing never holds up decoding; the pool only pays off when the calling
// thread has other work (a busy Electron main process) and the video is long. See WORKER_MIN_FRAMES.
import { availableParallelism } from 'node:os';
import { CustodyError } from '../../errors.ts';
import { phashFromThumb32 } from '../phash.ts';
import { startWorkerPool } from '../worker-pool.ts';
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

/** Starts worker threads and waits until each has loaded the pHash code; throws IO_ERROR if one cannot start. */
export async function startPhashPool(options: PoolOptions = {}): Promise<PhashHasher> {
  const pool = await startWorkerPool<Uint8Array, Uint8Array>({
    size: Math.max(1, Math.floor(options.size ?? Math.max(1, availableParallelism() - 1))),
    url: options.workerUrl ?? new URL('./phash-worker.js', import.meta.url),
    name: 'pHash',
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
  return {
    kind: 'workers',
    loader: pool.loader,
    hash(thumb) {
      if (thumb.length !== THUMB_BYTES) {
        return Promise.reject(new CustodyError('INVALID_ARGUMENT', `expected a ${THUMB_BYTES}-byte thumbnail, got ${thumb.length}`));
      }
      const own = thumb.byteOffset === 0 && thumb.byteLength === thumb.buffer.byteLength && thumb.buffer instanceof ArrayBuffer;
      const msg = own ? thumb : new Uint8Array(thumb);
      return pool.run(msg, [msg.buffer as ArrayBuffer]);
    },
    close: () => pool.close(),
  };
}

/**
 * Frame count above which `hashing: 'auto'` uses the pool. Inline hashing costs ~16 µs a frame; starting workers
 * ~60–85 ms. The longest video the sampling schedule allows in a working day (10 h at 0.1 fps) has 3 600 frames,
 * ~60 ms of hashing spread over minutes of decoding, so below this count the pool never wins.
 */
export const WORKER_MIN_FRAMES = 4000;
