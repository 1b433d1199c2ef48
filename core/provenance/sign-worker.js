// Worker thread for sign-pool.ts: renders photos for signing (see ../media/worker-host.js for the loading and the
// protocol). c2pa-wasm is compiled while the worker starts, not on its first photo.
import { serve } from '../media/worker-host.js';

await serve(
  async () => {
    const { runSignJob } = await import('./sign-jobs.ts');
    const { loadC2pa } = await import('../c2pa/wasm.ts');
    await loadC2pa();
    return runSignJob;
  },
  (rendered) => [rendered.encoded.buffer],
);
