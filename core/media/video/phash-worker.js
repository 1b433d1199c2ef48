// Worker thread for phash-pool.ts. Plain JavaScript so that Node can start it without a TypeScript loader; it then
// imports the one pHash implementation (../phash.ts) natively where Node strips types (22.18+), else through tsx.
import { parentPort } from 'node:worker_threads';

let phash;
let loader = 'native';
try {
  ({ phashFromThumb32: phash } = await import('../phash.ts'));
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  loader = 'tsx';
  ({ phashFromThumb32: phash } = await import('../phash.ts'));
}

// Request: { id, thumbs: Uint8Array of n × 1024 bytes }. Reply: { id, hashes: Uint8Array of n × 8 bytes } or { id, error }.
parentPort.on('message', ({ id, thumbs }) => {
  try {
    const n = thumbs.length >> 10;
    const hashes = new Uint8Array(n * 8);
    for (let i = 0; i < n; i++) hashes.set(phash(thumbs.subarray(i << 10, (i + 1) << 10)), i * 8);
    parentPort.postMessage({ id, hashes }, [hashes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e?.message ?? e) });
  }
});
parentPort.postMessage({ ready: true, loader });
