// Sign workers: worker threads that render photos for signing (render-image.ts: decode, pHash, layout, watermark,
// encode, Content Credentials), so that a watched folder signs as many photos at once as the machine has cores.
//
// The keys never leave the thread that unlocked the vault. A render asks that thread, over a MessagePort of its
// own, for the two signatures it needs (the fingerprint's Ed25519 signature, then the C2PA claim's COSE_Sign1), and
// that thread builds what it signs from what it knows itself: the SHA-256 of the bytes it read and handed over, its
// own time and key. The database, the record and the output's placement stay there too (sign-image.ts), so the
// watch queue's exactly-once steps and crash points are those of a photo signed inline.
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { CustodyError, type ErrorCode } from '../errors.ts';
import { startWorkerPool, type WorkerPool } from '../media/worker-pool.ts';
import type { RenderHost, RenderRequest, Rendered } from './render-image.ts';

/** What a sign worker is sent: the request, and the port on which it asks for signatures. */
export interface SignJob {
  request: RenderRequest;
  port: MessagePort;
}

/** Worker → key holder, and the answer (an error keeps a CustodyError's code). */
export type HostRequest = { kind: 'fingerprint'; seen: { phash: string; layout: string } } | { kind: 'claim'; claim: Uint8Array };
export type HostCall = HostRequest & { id: number };
export type HostAnswer = { id: number; result: unknown } | { id: number; error: string; code?: ErrorCode };

export interface SignPool {
  readonly size: number;
  /** Workers still running: with none, callers render on their own thread. */
  readonly live: number;
  render(request: RenderRequest, host: RenderHost): Promise<Rendered>;
  close(): Promise<void>;
}

/** Starts `size` sign workers (each loads sharp, the codec and c2pa-wasm); throws IO_ERROR if one cannot start. */
export async function startSignPool(size: number, url = new URL('./sign-worker.js', import.meta.url)): Promise<SignPool> {
  const pool: WorkerPool<SignJob, Rendered> = await startWorkerPool<SignJob, Rendered>({ size, url, name: 'sign' });
  return {
    size,
    get live() {
      return pool.live;
    },
    async render(request, host) {
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (call: HostCall) => void answer(port1, call, host));
      // The original's bytes move to the worker (a copy of our own, so the buffer can be transferred whatever
      // allocated it); the caller has hashed them already.
      const original = new Uint8Array(request.original);
      try {
        return await pool.run({ request: { ...request, original }, port: port2 }, [port2, original.buffer]);
      } finally {
        port1.close();
      }
    },
    close: () => pool.close(),
  };
}

async function answer(port: MessagePort, call: HostCall, host: RenderHost): Promise<void> {
  try {
    const result = call.kind === 'fingerprint' ? await host.signFingerprint(call.seen) : await host.signClaim(call.claim);
    port.postMessage({ id: call.id, result } satisfies HostAnswer);
  } catch (e) {
    const code = e instanceof CustodyError ? { code: e.code } : {};
    port.postMessage({ id: call.id, error: e instanceof Error ? e.message : String(e), ...code } satisfies HostAnswer);
  }
}

/** How many sign workers a watch engine starts for folders signing up to `concurrency` files at once. */
export function signWorkerCount(concurrency: number, env: NodeJS.ProcessEnv = process.env): number {
  const set = env.CUSTODY_SIGN_WORKERS;
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0) throw new CustodyError('INVALID_ARGUMENT', `expected CUSTODY_SIGN_WORKERS to be a whole number ≥ 0, got ${JSON.stringify(set)}`);
    return n;
  }
  // One file at a time gains nothing from a worker (it would wait for it); more share the cores.
  return concurrency > 1 ? Math.min(concurrency, availableParallelism()) : 0;
}
