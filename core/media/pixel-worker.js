// Worker thread for pixel-pool.ts. Plain JavaScript so that Node can start it without a TypeScript loader; it then
// imports the job code (pixel-jobs.ts) natively where Node strips types (22.18+), else through tsx.
import { parentPort } from 'node:worker_threads';

let run;
let loader = 'native';
try {
  ({ runPixelJob: run } = await import('./pixel-jobs.ts'));
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  loader = 'tsx';
  ({ runPixelJob: run } = await import('./pixel-jobs.ts'));
}

// Request: { id, job: PixelJob }. Reply: { id, result: PixelResult } or { id, error }.
parentPort.on('message', ({ id, job }) => {
  try {
    const result = run(job);
    const transfer = result.kind === 'scan' ? [result.mid.buffer, ...(result.acc ? [result.acc.buffer] : [])] : [];
    parentPort.postMessage({ id, result }, transfer);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e?.message ?? e) });
  }
});
parentPort.postMessage({ ready: true, loader });
