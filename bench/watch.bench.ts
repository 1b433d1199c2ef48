// node bin/run-ts.js bench/watch.bench.ts: watched-folder throughput, files per second for 200 photos of 2 MP
// dropped at once into a hot folder, at concurrency 1 and 2, printed side by side. Each run has its own folder on
// one desk; the clock runs from the drop (all files renamed into the folder) until the last file is done.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import sharp from 'sharp';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { WatchEngine, type WatchOutcome } from '../core/watch/engine.ts';
import { addWatchFolder } from '../core/watch/folders.ts';
import { mosaicJpeg } from './photos.ts';

const FILES = Number(process.env.BENCH_FILES ?? 200);
const STABLE_MS = 200;
const CONCURRENCY = [1, 2];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** FILES distinct 2 MP JPEGs: one mosaic of real photos, each copy with its own 8×8 block changed. */
async function photos(): Promise<Buffer[]> {
  const base = await sharp(await mosaicJpeg(2)).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = base.info;
  const out: Buffer[] = [];
  for (let i = 0; i < FILES; i++) {
    const px = Buffer.from(base.data);
    const x0 = (i * 8) % (width - 8);
    const y0 = Math.floor((i * 8) / (width - 8)) * 8;
    for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) px[(y * width + x) * channels] = (i * 37) & 255;
    out.push(await sharp(px, { raw: { width, height, channels } }).jpeg({ quality: 92 }).toBuffer());
  }
  return out;
}

async function run(desk: Desk, root: string, files: Buffer[], concurrency: number): Promise<{ seconds: number; perFile: number[]; outcomes: WatchOutcome[] }> {
  const inDir = join(root, `in-${concurrency}`);
  const staging = join(root, `drop-${concurrency}`);
  mkdirSync(inDir);
  mkdirSync(staging);
  files.forEach((b, i) => writeFileSync(join(staging, `IMG_${String(i).padStart(4, '0')}.jpg`), b));
  desk.setAllowedRoots(desk.bootstrapActor()!, [root]);
  const folder = addWatchFolder(desk.store, desk.bootstrapActor()!, { path: inDir, outDir: join(root, `out-${concurrency}`), concurrency, stableMs: STABLE_MS }, desk.folderRules);
  const engine = new WatchEngine(desk);
  const outcomes: WatchOutcome[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  engine.on('file', (o) => {
    outcomes.push(o);
    if (outcomes.length === files.length) done();
  });
  engine.on('retry', (r) => console.error(`retry ${r.path}: ${r.message}`));
  await engine.start([folder.id]);
  const t0 = performance.now();
  for (let i = 0; i < files.length; i++) {
    const name = `IMG_${String(i).padStart(4, '0')}.jpg`;
    renameSync(join(staging, name), join(inDir, name));
  }
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await engine.stop();
  return { seconds, perFile: outcomes.map((o) => o.seconds), outcomes };
}

const root = mkdtempSync(join(tmpdir(), 'custody-watch-bench-'));
try {
  const files = await photos();
  const meta = await sharp(files[0]!).metadata();
  const mb = files.reduce((n, b) => n + b.length, 0) / files.length / 1e6;
  console.log(`input: ${files.length} JPEGs of ${meta.width}×${meta.height} (${((meta.width! * meta.height!) / 1e6).toFixed(1)} MP, ${mb.toFixed(2)} MB each), stable-ms ${STABLE_MS}, ${availableParallelism()} CPUs`);
  const { desk } = await Desk.init(join(root, 'desk'), { org: 'Bench', protector: new PassphraseProtector('bench passphrase for timing') });
  const results = [];
  for (const c of CONCURRENCY) {
    const r = await run(desk, root, files, c);
    const signed = r.outcomes.filter((o) => o.status === 'signed').length;
    if (signed !== files.length) throw new Error(`expected ${files.length} signed at concurrency ${c}, got ${signed}`);
    results.push({ c, ...r });
  }
  desk.close();
  console.log('');
  console.log(`| ${FILES} photos, 2 MP | ${results.map((r) => `concurrency ${r.c}`).join(' | ')} |`);
  console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
  console.log(`| files per second | ${results.map((r) => (FILES / r.seconds).toFixed(2)).join(' | ')} |`);
  console.log(`| wall time, s | ${results.map((r) => r.seconds.toFixed(1)).join(' | ')} |`);
  console.log(`| median s per file (claim → done) | ${results.map((r) => median(r.perFile).toFixed(3)).join(' | ')} |`);
  const [one, two] = results;
  if (one && two) console.log(`\nspeed-up at concurrency 2: ${(one.seconds / two.seconds).toFixed(2)}×`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
