// npm run bench: signing and verifying a 20-megapixel JPEG against sharp's own decode+encode of the same file,
// measured side by side (interleaved rounds) in one run. Target: signing ≤ 3× decode+encode. Then what people feel
// (cli-speed.ts): the command's start-up, a fresh `custody sign` process, extracting from an unmarked photo, and
// `custody watermark embed|extract` per megapixel through the command beside the same work in this process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { mosaicJpeg } from './photos.ts';
import { coldSign, startup, unmarkedExtraction, watermarkThroughCli } from './cli-speed.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** CPU seconds (user + system, every thread of this process: libvips's, the pixel workers') by label. */
const cpu: Record<string, number[]> = {};
async function time(fn: () => Promise<unknown>, label?: string): Promise<number> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const u = process.cpuUsage(c);
  if (label) (cpu[label] ??= []).push((u.user + u.system) / 1e6);
  return (performance.now() - t) / 1000;
}
const cpuOf = (label: string) => median(cpu[label]!).toFixed(3);

// `npm run bench -- --parts=startup`: the start-up table alone (a few seconds instead of minutes);
// `--parts=sign`: the 20 MP tables alone (warm, then fresh processes), without the C2PA, start-up and watermark parts
if (process.argv.includes('--parts=startup')) {
  await startup(ROUNDS);
  process.exit(0);
}
const signOnly = process.argv.includes('--parts=sign');

/** The load average, printed at the start and the end of a run: the figures between are only as good as it. */
function loadLine(when: 'start' | 'end'): void {
  console.log(`load average at the ${when}: ${loadavg().map((l) => l.toFixed(2)).join(', ')}${when === 'start' ? ` (${availableParallelism()} CPUs)` : ''}`);
}

const dir = mkdtempSync(join(tmpdir(), 'custody-bench-'));
// `npm run bench -- --parts=watermark`: the watermark figures alone (an unmarked 12 MP photo in this process, then
// `custody watermark embed|extract` per megapixel through the command), for comparing a change side by side
if (process.argv.includes('--parts=watermark')) {
  try {
    loadLine('start');
    await watermarkParts(dir);
    loadLine('end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

/** The unmarked 12 MP extraction in this process, and the watermark commands per megapixel (cli-speed.ts). */
async function watermarkParts(dir: string, jpeg12?: Buffer): Promise<void> {
  jpeg12 ??= await mosaicJpeg(12);
  const file12 = join(dir, 'photo-12mp.jpg');
  writeFileSync(file12, jpeg12);
  await unmarkedExtraction(jpeg12, ROUNDS);
  const file2 = join(dir, 'photo-2mp.jpg');
  writeFileSync(file2, await mosaicJpeg(2));
  const mpOf = async (p: string) => { const m = await sharp(p).metadata(); return (m.width! * m.height!) / 1e6; };
  await watermarkThroughCli([{ path: file2, mp: await mpOf(file2) }, { path: file12, mp: await mpOf(file12) }], dir, Math.max(2, Math.ceil(ROUNDS / 3)));
}

try {
  const jpeg = await mosaicJpeg(20);
  const meta = await sharp(jpeg).metadata();
  const file = join(dir, 'photo-20mp.jpg');
  writeFileSync(file, jpeg);
  loadLine('start');
  console.log(`input: ${meta.width}×${meta.height} JPEG (${((meta.width! * meta.height!) / 1e6).toFixed(1)} MP, ${(jpeg.length / 1e6).toFixed(1)} MB), ${ROUNDS} rounds`);

  const { desk } = await Desk.init(join(dir, 'desk'), { org: 'Bench', protector: new PassphraseProtector('bench passphrase for timing') });
  const base: number[] = [];
  // the same with the signed copy's encoder settings (standard Huffman tables, core/media/image.ts): same pixels
  const baseStd: number[] = [];
  const sign: number[] = [];
  const verify: number[] = [];
  let signed = '';
  // One warm-up round of each, not counted.
  await sharp(file).jpeg({ quality: 95 }).toBuffer();
  signed = (await desk.sign(file, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out'), again: true })).output;
  await desk.verify(signed);
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await time(() => sharp(file).jpeg({ quality: 95 }).toBuffer(), 'base'));
    baseStd.push(await time(() => sharp(file).jpeg({ quality: 95, optimiseCoding: false }).toBuffer(), 'baseStd'));
    sign.push(await time(async () => (signed = (await desk.sign(file, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out'), again: true })).output), 'sign'));
    verify.push(await time(() => desk.verify(signed), 'verify'));
  }
  desk.close();

  if (signOnly) {
    const b = median(base);
    const s = median(sign);
    console.log('');
    console.log(`warm, 20 MP: sharp decode+encode ${b.toFixed(3)} s (CPU ${cpuOf('base')}), custody sign ${s.toFixed(3)} s (CPU ${cpuOf('sign')}), ${(s / b).toFixed(2)}×`);
    await coldSign(file, dir, b, s, Math.max(3, Math.ceil(ROUNDS / 3)));
    console.log('');
    loadLine('end');
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }

  // What the C2PA manifest adds: the same 12 MP JPEG signed by a desk with and without a signing certificate.
  const jpeg12 = await mosaicJpeg(12);
  const file12 = join(dir, 'photo-12mp.jpg');
  writeFileSync(file12, jpeg12);
  const withC2pa = (await Desk.init(join(dir, 'desk-c2pa'), { org: 'Bench', protector: new PassphraseProtector('bench passphrase for timing') })).desk;
  const without = (await Desk.init(join(dir, 'desk-plain'), { org: 'Bench', protector: new PassphraseProtector('bench passphrase for timing') })).desk;
  without.store.run(sql`DELETE FROM settings WHERE key = 'c2pa.chain_pem'`);
  const c2paOn: number[] = [];
  const c2paOff: number[] = [];
  for (const d of [withC2pa, without]) await d.sign(file12, { actor: d.bootstrapActor()!, outDir: join(dir, 'out12'), again: true }); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    c2paOff.push(await time(() => without.sign(file12, { actor: without.bootstrapActor()!, outDir: join(dir, 'out12'), again: true })));
    c2paOn.push(await time(() => withC2pa.sign(file12, { actor: withC2pa.bootstrapActor()!, outDir: join(dir, 'out12'), again: true })));
  }
  withC2pa.close();
  without.close();

  const b = median(base);
  const s = median(sign);
  const v = median(verify);
  console.log('');
  console.log('| operation (20 MP JPEG) | median s | CPU s (all threads) | ratio to decode+encode |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| sharp decode+encode | ${b.toFixed(3)} | ${cpuOf('base')} | 1.00 |`);
  const bs = median(baseStd);
  console.log(`| sharp decode+encode, standard Huffman tables (the signed copy's setting) | ${bs.toFixed(3)} | ${cpuOf('baseStd')} | ${(bs / b).toFixed(2)} |`);
  console.log(`| custody sign | ${s.toFixed(3)} | ${cpuOf('sign')} | ${(s / b).toFixed(2)} |`);
  console.log(`| custody verify | ${v.toFixed(3)} | ${cpuOf('verify')} | ${(v / b).toFixed(2)} |`);
  console.log('');
  console.log(`sign target ≤ 3× decode+encode: ${s / b <= 3 ? 'met' : 'MISSED'} (${(s / b).toFixed(2)}×; ${(s / bs).toFixed(2)}× the decode+encode with standard tables)`);
  const on = median(c2paOn);
  const off = median(c2paOff);
  console.log('');
  console.log('| sign a 12 MP JPEG | median s |');
  console.log('| --- | --- |');
  console.log(`| without C2PA manifest | ${off.toFixed(3)} |`);
  console.log(`| with C2PA manifest | ${on.toFixed(3)} |`);
  console.log(`manifest adds ${((on - off) * 1000).toFixed(0)} ms (target ≤ 150 ms): ${on - off <= 0.15 ? 'met' : 'MISSED'}`);

  await startup(ROUNDS);
  await coldSign(file, dir, b, s, Math.max(3, Math.ceil(ROUNDS / 3)));
  await watermarkParts(dir, jpeg12);
  console.log('');
  loadLine('end');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
