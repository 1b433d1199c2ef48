// node bin/run-ts.js bench/watermark-turns.ts: how often the turnUnderFloor rule fires on unmarked images (the best
// coarse candidate a rotation ≥ turnUnderFloor and under searchFloor, so a whole-grid fold is read): the large
// photographs, the skimage ones and V (default 10) generated unmarked variants of each.
import { largePhotos, skimagePhotos, unmarkedVariant } from './watermark-attacks.ts';
import { EXTRACT_PARAMS, coarseSearch, whiten } from '../core/media/watermark/extract.ts';
import { gridDims, sealGrid } from '../core/media/watermark/grid.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import type { Raster } from '../core/media/watermark/codec.ts';
let n = 0, fire = 0;
const fired: string[] = [];
const look = (name: string, img: Raster): void => {
  const { gw, gh } = gridDims(img.width, img.height);
  const c = coarseSearch(sealGrid(whiten(lumaToGrid(img, gw, gh), gw, gh)), gw, gh)[0]!;
  n++;
  if (!c.m && c.angle !== 0 && c.z >= EXTRACT_PARAMS.turnUnderFloor && c.z < EXTRACT_PARAMS.searchFloor) { fire++; fired.push(`${name} ${c.z.toFixed(2)}`); }
};
for (const p of largePhotos()) look(p.name, await p.load());
for (const p of await skimagePhotos()) {
  const img = await p.load();
  look(p.name, img);
  for (let i = 0; i < Number(process.env.V ?? 10); i++) look(`${p.name} v${i}`, (await unmarkedVariant(img, i, 23)).img);
}
console.log(`fires on ${fire} of ${n} unmarked images`, fired.join('; '));
