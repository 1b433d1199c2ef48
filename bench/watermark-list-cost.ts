// node bin/run-ts.js bench/watermark-list-cost.ts: CPU time of an unmarked extraction with list decoding off
// (EXTRACT_PARAMS.list = 1: the maximum-likelihood path only) and on, alternated in one process; min and median of 9
// each, on two 12–20 MP photographs and four skimage ones, with the list-decoded readings and paths seen
// (docs/watermark.md, "Cost"). Then the same for marked copies that only the list reads (rotate5+resize75+jpeg75 of
// coins.png, the bench's third payload; the reshare of motorcycle_left.png, its third) and one that the list fails
// on too (the reshare of cell.png, its first: sync score 7.3, payload 71 bits off). SKIP_UNMARKED=1: those alone.
import { attack, largePhotos, skimagePhotos } from './watermark-attacks.ts';
import { embedWatermark, extractWatermark, type Raster } from '../core/media/watermark/codec.ts';
import { EXTRACT_PARAMS, listStats } from '../core/media/watermark/extract.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';

const L = EXTRACT_PARAMS.list;
const cpu = (img: Raster, list: number): number => {
  EXTRACT_PARAMS.list = list;
  const c = process.cpuUsage();
  extractWatermark(img);
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const f = (x: number[]): string => {
  x.sort((a, b) => a - b);
  return `${x[0]!.toFixed(0)}/${x[x.length >> 1]!.toFixed(0)}`;
};
function compare(name: string, img: Raster, n = 18): void {
  cpu(img, L);
  const t: [number[], number[]] = [[], []];
  const before = { ...listStats };
  for (let i = 0; i < n; i++) t[i % 2]!.push(cpu(img, i % 2 ? L : 1));
  console.log(name, `${img.width}x${img.height}`, `cpu ms min/median: list off ${f(t[0])}, list of ${L} ${f(t[1])};`, `list-decoded readings ${listStats.readings - before.readings}, paths ${listStats.paths - before.paths}`);
}

const big = largePhotos();
const skimage = await skimagePhotos();
if (!process.env.SKIP_UNMARKED) for (const p of [big[1]!, big[0]!, ...skimage.filter((s) => ['camera.png', 'coffee.png', 'grass.png', 'chelsea.png'].includes(s.name))]) compare(p.name, await p.load());

// the bench's payloads (bench/watermark.bench.ts: one stream over every skimage image, three payloads each)
const rand = mulberry32(20261121);
let copy = 0;
for (const p of skimage) {
  for (let k = 0; k < 3; k++) {
    const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
    copy++;
    const which = p.name === 'coins.png' && k === 2 ? 'rotate5+resize75+jpeg75' : (p.name === 'motorcycle_left.png' && k === 2) || (p.name === 'cell.png' && k === 0) ? 'reshare' : null;
    if (!which) continue;
    const marked = await attack(embedWatermark(await p.load(), payload), which, 1 + copy);
    compare(`${p.name} #${k + 1} ${which}`, marked, 6);
  }
}
