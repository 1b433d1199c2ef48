// Exhaustive watermark suite: every attack of BENCHMARKS.md on every skimage photo large enough to mark.
// Excluded from the default run (vitest.config.ts); run with `npx vitest run test/watermark.slow.test.ts`.
// The floors are the rates measured with this codec less one photo (payload-to-payload spread); below them is a
// regression.
import { describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark } from '../core/media/watermark/codec.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { ATTACKS, attack, psnr, skimagePhotos, type Attack } from '../bench/watermark-attacks.ts';

const FLOOR: Record<Attack, number> = {
  none: 0.94, jpeg90: 0.89, jpeg75: 0.89, jpeg60: 0.84, jpeg50: 0.78, webp75: 0.78, resize75: 0.94, resize50: 0.68,
  screenshot: 0.94, crop10: 0.89, crop25: 0.89, brightness20: 0.94, contrast20: 0.89, noise5: 0.94, blur1: 0.84, rotate2: 0.89,
};

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) d++;
  return d;
}

describe('watermark, exhaustive', () => {
  it('meets the measured detection floors, with no false positive and PSNR ≥ 40 dB', { timeout: 600_000 }, async () => {
    const photos = await skimagePhotos();
    const rand = mulberry32(99);
    const hits = new Map<Attack, number>();
    for (const p of photos) {
      const img = await p.load();
      expect(extractWatermark(img).detected, `false positive on ${p.name}`).toBe(false);
      const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
      const marked = embedWatermark(img, payload);
      expect(psnr(img, marked), p.name).toBeGreaterThanOrEqual(40);
      for (const a of ATTACKS) {
        const r = extractWatermark(await attack(marked, a, 5));
        if (r.payload && hamming(r.payload, payload) <= 6) hits.set(a, (hits.get(a) ?? 0) + 1);
      }
    }
    const rates = Object.fromEntries(ATTACKS.map((a) => [a, (hits.get(a) ?? 0) / photos.length]));
    const below = ATTACKS.filter((a) => rates[a]! < FLOOR[a]);
    expect(below, JSON.stringify(rates)).toEqual([]);
  });
});
