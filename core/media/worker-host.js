// The worker side of worker-pool.ts. Plain JavaScript so that Node can start a worker without a TypeScript loader:
// `load` imports the job code (TypeScript) natively where Node strips types (22.18+), else through tsx; then every
// { id, request } is answered with { id, result } (its buffers named by `transferOf` moved, not copied) or
// { id, error }.
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
  parentPort.on('message', ({ id, request }) => {
    try {
      const result = handle(request);
      parentPort.postMessage({ id, result }, transferOf(result));
    } catch (e) {
      parentPort.postMessage({ id, error: String(e?.message ?? e) });
    }
  });
  parentPort.postMessage({ ready: true, loader });
}
