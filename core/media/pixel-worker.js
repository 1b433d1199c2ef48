// Worker thread for pixel-pool.ts: runs pixel-jobs.ts's jobs (see worker-host.js for the loading and the protocol).
import { serve } from './worker-host.js';

await serve(
  async () => (await import('./pixel-jobs.ts')).runWorkerJob,
  (result) => (result.kind === 'scan' ? [result.mid.buffer, ...(result.acc ? [result.acc.buffer] : [])] : []),
);
