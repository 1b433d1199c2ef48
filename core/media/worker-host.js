// The worker side of worker-pool.ts. Plain JavaScript so that Node can start a worker without a TypeScript loader:
// `load` imports the job code (TypeScript) natively where Node strips types (22.18+), else through tsx; then every
// { id, request } is answered with { id, result } (its buffers named by `transferOf` moved, not copied) or
// { id, error, code? } (code: a CustodyError's).
import { parentPort } from 'node:worker_threads';

export async function serve(load, transferOf = () => []) {
  let handle;
  let loader = 'native';
  try {
    handle = await load();
  } catch {
    const { register } = await import('tsx/esm/api');
    register();
    loader = 'tsx';
    handle = await load();
  }
  parentPort.on('message', async ({ id, request }) => {
    try {
      // a job may answer at once or later (a sign job waits for the thread that holds the keys)
      const result = await handle(request);
      parentPort.postMessage({ id, result }, transferOf(result));
    } catch (e) {
      // a CustodyError keeps its code across the thread boundary (a corrupt photo stays CORRUPT_MEDIA)
      parentPort.postMessage({ id, error: String(e?.message ?? e), ...(e?.name === 'CustodyError' && typeof e.code === 'string' ? { code: e.code } : {}) });
    }
  });
  parentPort.postMessage({ ready: true, loader });
}
