// node bin/run-ts.js bench/watermark-search-cost.ts: CPU time of an unmarked extraction with the search's two extra
// readings off (turnUnderFloor = Infinity, readStart off: the search before them) and on, alternated in one process;
// min and median of 9 each, on two 12–20 MP photographs and four skimage ones (docs/watermark.md, "Cost").
import { largePhotos, skimagePhotos } from './watermark-attacks.ts';
import { extractWatermark } from '../core/media/watermark/codec.ts';
import { EXTRACT_PARAMS } from '../core/media/watermark/extract.ts';
const big = largePhotos();
const small = (await skimagePhotos()).filter((p) => ['camera.png', 'coffee.png', 'grass.png', 'chelsea.png'].includes(p.name));
const turn = EXTRACT_PARAMS.turnUnderFloor;
for (const p of [big[1]!, big[0]!, ...small]) {
  const img = await p.load();
  extractWatermark(img);
  const t: [number[], number[]] = [[], []];
  for (let i = 0; i < 18; i++) {
    const now = i % 2;
    EXTRACT_PARAMS.turnUnderFloor = now ? turn : Infinity;
    EXTRACT_PARAMS.readStart = !!now;
    const c = process.cpuUsage();
    extractWatermark(img);
    const d = process.cpuUsage(c);
    t[now]!.push((d.user + d.system) / 1000);
  }
  const f = (x: number[]): string => { x.sort((a, b) => a - b); return `${x[0]!.toFixed(0)}/${x[4]!.toFixed(0)}`; };
  console.log(p.name, `${img.width}x${img.height}`, 'cpu ms min/median: main', f(t[0]), 'now', f(t[1]));
}
