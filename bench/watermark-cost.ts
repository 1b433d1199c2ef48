// CPU time of extractions from unmarked images (nothing to find: the whole geometry search), on this thread alone:
//   N=13 node bin/run-ts.js bench/watermark-cost.ts
// A 12 MP mosaic of the skimage photographs (bench/photos.ts) and four of the photographs at their own sizes; prints
// the minimum and the median of N extractions of each, after one warm-up. To compare two builds, run it in a checkout
// of each, alternating, on the same machine (docs/watermark.md, "Cost").

import { cpuUsage } from 'node:process';
import { mosaicJpeg } from './photos.ts';
import { loadRaster } from './watermark-attacks.ts';
import { extractWatermark } from '../core/media/watermark/codec.ts';
import { photo } from '../test/fixtures/photos.ts';

const N = Number(process.env.N ?? 9);
const images = [
  { name: '12 MP mosaic', img: await loadRaster(await mosaicJpeg(12)) },
  ...(await Promise.all(['camera.png', 'coffee.png', 'grass.png', 'retina.jpg'].map(async (name) => ({ name, img: await loadRaster(photo(name)) })))),
];
for (const { img } of images) extractWatermark(img);
const out: string[] = [];
for (const { name, img } of images) {
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const before = cpuUsage();
    const r = extractWatermark(img);
    const used = cpuUsage(before);
    if (r.detected) throw new Error(`expected no mark in ${name}, got one (score ${r.score.toFixed(1)})`);
    ms.push((used.user + used.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  out.push(`${name}: min ${ms[0]!.toFixed(1)} median ${ms[N >> 1]!.toFixed(1)} ms`);
}
console.log(out.join(' | '));
