// Time the C2PA manifest adds to a 12 MP JPEG: embed only (manifest build, COSE signature, write), median of runs.
// Usage: node bin/run-ts.js bench/c2pa.bench.ts [runs=9]
import sharp from 'sharp';
import { embedManifest } from '../core/c2pa/embed.ts';
import { createOrgPki } from '../core/c2pa/pki.ts';
import { readManifest } from '../core/c2pa/read.ts';
import { createSigner } from '../core/c2pa/signer.ts';
import { loadC2pa } from '../core/c2pa/wasm.ts';
import { photo } from '../test/fixtures/photos.ts';

const runs = Number(process.argv[2] ?? 9);
// Sensor-like grain keeps the file at a camera's size (an upscaled photo alone compresses to under 1 MB), and the
// data hash c2pa-rs computes grows with the bytes.
const grain = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
  .png()
  .toBuffer();
const jpeg = await sharp(photo('astronaut.png'))
  .resize(4000, 3000, { fit: 'fill' })
  .composite([{ input: grain, blend: 'soft-light' }])
  .jpeg({ quality: 95 })
  .toBuffer();
const meta = await sharp(jpeg).metadata();
console.log(`input: ${meta.width}×${meta.height} JPEG, ${(jpeg.length / 1024 / 1024).toFixed(1)} MB`);

const t0 = performance.now();
await loadC2pa();
console.log(`c2pa-wasm load (once per process): ${(performance.now() - t0).toFixed(0)} ms`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const input = {
  title: 'bench.jpg',
  actions: [{ action: 'c2pa.watermarked.bound' }],
  softBinding: { payloadHex: '00112233445566778899aabbccddeeff' },
  custody: {
    version: 1 as const,
    recordId: 'rec_bench',
    org: 'Bench News',
    original: { sha256: 'ab'.repeat(32), phash: '0123456789abcdef' },
    signedAt: new Date().toISOString(),
    signer: { alg: 'Ed25519' as const, publicKey: 'cd'.repeat(32) },
  },
};

for (const algorithm of ['ed25519', 'es256'] as const) {
  const pki = await createOrgPki({ org: 'Bench News', algorithm });
  const signer = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
  await embedManifest(jpeg, 'image/jpeg', input, signer); // warm-up
  const times: number[] = [];
  let out: Uint8Array = jpeg;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await embedManifest(jpeg, 'image/jpeg', input, signer);
    times.push(performance.now() - t);
  }
  const r = await readManifest(out, 'image/jpeg', { trustAnchorsPem: pki.rootCertPem });
  const tr = performance.now();
  await readManifest(out, 'image/jpeg', { trustAnchorsPem: pki.rootCertPem });
  const readMs = performance.now() - tr;
  console.log(
    `${algorithm}: embed median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, ${runs} runs), ` +
      `+${out.length - jpeg.length} bytes; read+validate ${readMs.toFixed(1)} ms, state ${r?.validationState}`,
  );
}
