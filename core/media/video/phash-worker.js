// Worker thread for phash-pool.ts: the pHash of n 32×32 thumbnails (see ../worker-host.js for the loading and the
// protocol). Request: a Uint8Array of n × 1024 bytes; result: a Uint8Array of n × 8 bytes.
import { serve } from '../worker-host.js';

await serve(
  async () => {
    const { phashFromThumb32 } = await import('../phash.ts');
    return (thumbs) => {
      const n = thumbs.length >> 10;
      const hashes = new Uint8Array(n * 8);
      for (let i = 0; i < n; i++) hashes.set(phashFromThumb32(thumbs.subarray(i << 10, (i + 1) << 10)), i * 8);
      return hashes;
    };
  },
  (hashes) => [hashes.buffer],
);
