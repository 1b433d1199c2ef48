// npm run bench: signing and verifying a 20-megapixel JPEG against sharp's own decode+encode of the same file,
// measured side by side (interleaved rounds) in one run. Target: signing ≤ 3× decode+encode.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import { mosaicJpeg } from './photos.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'custody-bench-'));
try {
  const jpeg = await mosaicJpeg(20);
  const meta = await sharp(jpeg).metadata();
  const file = join(dir, 'photo-20mp.jpg');
  writeFileSync(file, jpeg);
  console.log(`input: ${meta.width}×${meta.height} JPEG (${((meta.width! * meta.height!) / 1e6).toFixed(1)} MP, ${(jpeg.length / 1e6).toFixed(1)} MB), ${ROUNDS} rounds`);

  const { desk } = await Desk.init(join(dir, 'desk'), { org: 'Bench', protector: new PassphraseProtector('bench') });
  const base: number[] = [];
  const sign: number[] = [];
  const verify: number[] = [];
  let signed = '';
  // One warm-up round of each, not counted.
  await sharp(file).jpeg({ quality: 95 }).toBuffer();
  signed = (await desk.sign(file, { outDir: join(dir, 'out') })).output;
  await desk.verify(signed);
  for (let i = 0; i < ROUNDS; i++) {
    base.push(await time(() => sharp(file).jpeg({ quality: 95 }).toBuffer()));
    sign.push(await time(async () => (signed = (await desk.sign(file, { outDir: join(dir, 'out') })).output)));
    verify.push(await time(() => desk.verify(signed)));
  }
  desk.close();
  const b = median(base);
  const s = median(sign);
  const v = median(verify);
  console.log('');
  console.log('| operation (20 MP JPEG) | median s | ratio to decode+encode |');
  console.log('| --- | --- | --- |');
  console.log(`| sharp decode+encode | ${b.toFixed(3)} | 1.00 |`);
  console.log(`| custody sign | ${s.toFixed(3)} | ${(s / b).toFixed(2)} |`);
  console.log(`| custody verify | ${v.toFixed(3)} | ${(v / b).toFixed(2)} |`);
  console.log('');
  console.log(`sign target ≤ 3× decode+encode: ${s / b <= 3 ? 'met' : 'MISSED'} (${(s / b).toFixed(2)}×)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
