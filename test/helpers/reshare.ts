// A reshared copy of a signed photo whose mark blind extraction cannot read, for the tests of matching.
//
// A reshare of a web-sized photo (crop 10 %, halve, JPEG 70, then WebP 75) leaves a mark too weak to read blind, but
// the list decoder still reads one now and then, by luck of the payload (a signature's, random for a signed photo) and
// of the encoders' rounding on the CPU at hand: measured on camera.png with 30 random payloads, 0/30 of plain reshares,
// 0/30 of reshares at JPEG 50 and 3/30 at JPEG 60 were read blind. The copy returned is the first of these that is not.
import { attack, type Attack } from '../../bench/watermark-attacks.ts';
import { extractWatermark, type Raster } from '../../core/media/watermark/codec.ts';

/** each a chain of attacks, applied in turn */
export const RESHARES: readonly (readonly Attack[])[] = [['reshare'], ['reshare', 'jpeg50'], ['reshare', 'jpeg60']];

/** The first reshare of `marked` (RESHARES, in order) that blind extraction cannot read; throws if all are read. */
export async function unreadableReshare(marked: Raster): Promise<{ copy: Raster; chain: readonly Attack[] }> {
  for (const chain of RESHARES) {
    let copy = marked;
    for (const step of chain) copy = await attack(copy, step, 1);
    if (!extractWatermark(copy).payload) return { copy, chain };
  }
  throw new Error(`expected a reshare the blind extraction cannot read, but it read all of ${RESHARES.map((c) => c.join('+')).join(', ')}`);
}
