// Exhaustive watermark suite: every attack of BENCHMARKS.md on every skimage image large enough to mark.
// Excluded from the default run (vitest.config.ts); run with `npm run test:slow`.
import { describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark, matchWatermarkIn } from '../core/media/watermark/codec.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { ATTACKS, HARD_ATTACKS, atLongSide, attack, psnr, skimagePhotos, ssim, unmarkedVariant, type Attack } from '../bench/watermark-attacks.ts';

// The targets on the skimage photographs: ≥ 95 % after every attack (with 15 photographs: all of them), ≥ 75 %
// after crop25 and rotate2. The graphics (GRAPHICS: colour wheel, silhouette, logo, phantom) are held to the rates
// measured on them less one image, as a regression floor: v2 (bench, 2026-11-22) keeps 4/4 after none, resize75,
// screenshot, crops, rotate2; 3/4 after jpeg90–50, resize50, brightness20, contrast20, noise5, blur1 (horse.png, a
// black-and-white silhouette, keeps its mark only through geometric attacks); 2/4 after webp75 (and color.png).
const GRAPHIC_FLOOR: Record<(typeof ATTACKS)[number], number> = {
  none: 0.75, jpeg90: 0.5, jpeg75: 0.5, jpeg60: 0.5, jpeg50: 0.5, webp75: 0.25, resize75: 0.75, resize50: 0.5,
  screenshot: 0.75, crop10: 0.75, crop25: 0.75, brightness20: 0.5, contrast20: 0.5, noise5: 0.5, blur1: 0.5, rotate2: 0.75,
};
const PHOTO_TARGET = (a: Attack): number => (a === 'crop25' || a === 'rotate2' ? 0.75 : 0.95);
// Issue 23's transforms on the photographs: the 95 % target where it is met, else the rate measured less one photo
// (bench:watermark --payloads=3 --quick, 2026-12-04), as a regression floor; docs/watermark.md says why the rest is missed.
const HARD_FLOOR: Record<(typeof HARD_ATTACKS)[number], number> = {
  // measured 3/45, 45/45, 45/45, 45/45, 45/45, 45/45, 40/45, 10/45, 45/45 (crop50 and squeeze90 36/45 before the
  // coarse search's crop50 magnification and aspect changes); the squeeze chain 23/45 with the flattened spectrum's
  // axis-aligned maps (2026-12-04; 6 of the 15 photographs under this suite's payloads and seed, so 5/15 here).
  // rotate5+resize75+jpeg75: 42/45 since small photos' slots are weighted toward the lower frequencies
  // (EMBED_PARAMS.smallWeights) and the search reads a refinement's starting candidate and a rotation under the floor;
  // with this suite's payloads 13/15 → 15/15, so the target holds
  reshare: 0, crop50: 0.95, rotate5: 0.95, mirror: 0.95, squeeze90: 0.95, 'mirror+crop25+jpeg75': 0.95,
  'rotate5+resize75+jpeg75': 0.95, 'squeeze90+crop10+webp75': 0.33, 'rotate-4+mirror+jpeg80': 0.95,
};

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) d++;
  return d;
}

describe('watermark, exhaustive', () => {
  it('meets the targets on photographs (detection, PSNR ≥ 38 dB each and ≥ 40 dB mean, SSIM ≥ 0.98 mean), the floors on graphics, no false positive', { timeout: 900_000 }, async () => {
    const photos = await skimagePhotos();
    expect(photos.filter((p) => p.kind === 'photo').length).toBeGreaterThanOrEqual(12);
    const rand = mulberry32(99);
    const hits = { photo: new Map<Attack, number>(), graphic: new Map<Attack, number>() };
    const quality: [number, number][] = [];
    for (const p of photos) {
      const img = await p.load();
      expect(extractWatermark(img).detected, `false positive on ${p.name}`).toBe(false);
      const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
      const marked = embedWatermark(img, payload);
      const q = psnr(img, marked);
      expect(q, p.name).toBeGreaterThanOrEqual(38);
      if (p.kind === 'photo') quality.push([q, ssim(img, marked)]);
      for (const a of [...ATTACKS, ...HARD_ATTACKS]) {
        const r = extractWatermark(await attack(marked, a, 5));
        if (r.payload && hamming(r.payload, payload) <= 6) hits[p.kind].set(a, (hits[p.kind].get(a) ?? 0) + 1);
      }
    }
    const rates = (kind: 'photo' | 'graphic'): Record<string, number> => {
      const n = photos.filter((p) => p.kind === kind).length;
      return Object.fromEntries(ATTACKS.map((a) => [a, (hits[kind].get(a) ?? 0) / n]));
    };
    const photoRates = rates('photo');
    const hardRates = (() => {
      const n = photos.filter((p) => p.kind === 'photo').length;
      return Object.fromEntries(HARD_ATTACKS.map((a) => [a, (hits.photo.get(a) ?? 0) / n]));
    })();
    expect(HARD_ATTACKS.filter((a) => hardRates[a]! < HARD_FLOOR[a]), JSON.stringify(hardRates)).toEqual([]);
    const graphicRates = rates('graphic');
    expect(ATTACKS.filter((a) => photoRates[a]! < PHOTO_TARGET(a)), JSON.stringify(photoRates)).toEqual([]);
    expect(ATTACKS.filter((a) => graphicRates[a]! < GRAPHIC_FLOOR[a]), JSON.stringify(graphicRates)).toEqual([]);
    const mean = (i: 0 | 1): number => quality.reduce((s, q) => s + q[i], 0) / quality.length;
    expect(mean(0), 'mean PSNR').toBeGreaterThanOrEqual(40);
    expect(mean(1), 'mean SSIM').toBeGreaterThanOrEqual(0.98);
  });

  it('reports no watermark on 10 generated crops, rotations, mirrors, aspect changes and re-encodes of each unmarked image', { timeout: 900_000 }, async () => {
    const found: string[] = [];
    for (const p of await skimagePhotos()) {
      const img = await p.load();
      for (let i = 0; i < 10; i++) {
        const v = await unmarkedVariant(img, i, 99);
        const r = extractWatermark(v.img);
        if (r.detected) found.push(`${p.name} ${v.name} (score ${r.score.toFixed(1)})`);
      }
    }
    expect(found).toEqual([]);
  });

  it('with the deep search, reads the squeeze chain, mirrored or not, on ≥ 95 % of the photographs and reports no watermark on the unmarked variants', { timeout: 900_000 }, async () => {
    const rand = mulberry32(77);
    const photos = (await skimagePhotos()).filter((p) => p.kind === 'photo');
    for (const chain of ['squeeze90+crop10+webp75', 'mirror+squeeze90+crop10+webp75'] as Attack[]) {
      const missed: string[] = [];
      for (const p of photos) {
        const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
        const r = extractWatermark(await attack(embedWatermark(await p.load(), payload), chain, 5), { deep: true });
        if (!(r.payload && r.checked && hamming(r.payload, payload) <= 6)) missed.push(p.name);
      }
      expect(missed.length / photos.length, `${chain}: ${missed.join(', ')}`).toBeLessThanOrEqual(0.05);
    }
    const found: string[] = [];
    for (const p of await skimagePhotos()) {
      const img = await p.load();
      for (let i = 0; i < 10; i++) {
        const v = await unmarkedVariant(img, i, 77);
        const r = extractWatermark(v.img, { deep: true });
        if (r.detected) found.push(`${p.name} ${v.name} (score ${r.score.toFixed(1)})`);
      }
    }
    expect(found).toEqual([]);
  });

  // bench:watermark --quick --payloads=5 --attacks=reshare --long-side=1200: 75/75 (1600: 73/75; at the photographs' own
  // 300–1000 px, 8/45 with three payloads). This suite's payloads miss one copy of rocket.jpg, so its floor is 14/15.
  it('reads the reshare on 14 of 15 photographs resized to 1,200 px on their long side (the misses are small originals)', { timeout: 900_000 }, async () => {
    const rand = mulberry32(78);
    const missed: string[] = [];
    const photos = (await skimagePhotos()).filter((p) => p.kind === 'photo');
    for (const p of photos) {
      const big = await atLongSide(await p.load(), 1200);
      const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
      const r = extractWatermark(await attack(embedWatermark(big, payload), 'reshare', 5));
      if (!(r.payload && hamming(r.payload, payload) <= 6)) missed.push(p.name);
    }
    expect(missed.length, missed.join(', ')).toBeLessThanOrEqual(1);
  });

  // bench:watermark --quick --payloads=3 --match=4: the reshare at the photographs' own sizes 39/45 read blind or
  // matched (chelsea.png's and coins.png's copies carry too little), 0/1,026 false matches against four decoys. The
  // floor here is 12 of 15 (this suite's payloads and seed; 11 with the plain magnifications folded over the central
  // square only).
  it('matches the reshare at the photographs\' own sizes against its record among decoys on 12 of 15, and no unmarked variant', { timeout: 900_000 }, async () => {
    const rand = mulberry32(79);
    const bytes = (): Uint8Array => new Uint8Array(16).map(() => Math.floor(rand() * 256));
    const missed: string[] = [];
    const photos = (await skimagePhotos()).filter((p) => p.kind === 'photo');
    for (const p of photos) {
      const payload = bytes();
      const copy = await attack(embedWatermark(await p.load(), payload), 'reshare', 5);
      const own = Math.floor(rand() * 4);
      const r = matchWatermarkIn(copy, [0, 1, 2, 3].map((i) => (i === own ? payload : bytes())));
      if (r.match?.index !== own) missed.push(p.name);
    }
    expect(missed.length, missed.join(', ')).toBeLessThanOrEqual(3);
    const found: string[] = [];
    for (const p of await skimagePhotos()) {
      const img = await p.load();
      for (let i = 0; i < 10; i++) {
        const v = await unmarkedVariant(img, i, 79);
        const r = matchWatermarkIn(v.img, [bytes(), bytes(), bytes(), bytes()]);
        if (r.match) found.push(`${p.name} ${v.name} (score ${r.match.z.toFixed(1)})`);
      }
    }
    expect(found).toEqual([]);
  });
});
