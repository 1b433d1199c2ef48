// The watermark survives each class of attack of BENCHMARKS.md on a few real photographs (seeded, fast).
// The full suite over every photo is bench/watermark.bench.ts and test/watermark.slow.test.ts.
import { describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark, planWatermark, type Raster } from '../core/media/watermark/codec.ts';
import { EMBED_PARAMS, smallPhotoAmplitudes } from '../core/media/watermark/embed.ts';
import { SLOTS } from '../core/media/watermark/layout.ts';
import { EXTRACT_PARAMS, coarseSearch, extractAt, whiten } from '../core/media/watermark/extract.ts';
import { gridDims } from '../core/media/watermark/grid.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { attack, attackGeometry, loadRaster, type Attack } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) d++;
  return d;
}

const PHOTOS = ['rocket.jpg', 'motorcycle_left.png'];
const CLASSES: Record<string, Attack[]> = {
  compression: ['jpeg75', 'webp75'],
  rescale: ['resize75', 'screenshot'],
  crop: ['crop10', 'crop25'],
  colour: ['brightness20', 'contrast20'],
  'noise and blur': ['noise5', 'blur1'],
  rotation: ['rotate2'],
};

const marked = new Map<string, { img: Raster; payload: Uint8Array }>();
async function markedPhoto(name: string): Promise<{ img: Raster; payload: Uint8Array }> {
  let m = marked.get(name);
  if (!m) {
    const r = mulberry32(name.length * 7919);
    const payload = new Uint8Array(16).map(() => Math.floor(r() * 256));
    m = { img: embedWatermark(await loadRaster(photo(name)), payload), payload };
    marked.set(name, m);
  }
  return m;
}

/** The coarse geometry search's best sync score: under EXTRACT_PARAMS.searchFloor, the search stops there. */
function coarseBest(img: Raster): number {
  const { gw, gh } = gridDims(img.width, img.height);
  return coarseSearch(whiten(lumaToGrid(img, gw, gh), gw, gh), gw, gh)[0]!.z;
}

describe('the geometry search stops early on unmarked images', () => {
  it('scores unmarked photos under the floor, and crops and rotations of marked ones well over it', async () => {
    // grass and retina are the unmarked photos that score highest (5.1, 5.0) in the benchmark's set
    for (const name of ['grass.png', 'retina.jpg', 'coffee.png', ...PHOTOS]) {
      expect(coarseBest(await loadRaster(photo(name))), name).toBeLessThan(EXTRACT_PARAMS.searchFloor);
    }
    for (const name of PHOTOS) {
      const { img } = await markedPhoto(name);
      for (const a of ['crop25', 'rotate2'] as const) expect(coarseBest(await attack(img, a, 3)), `${name} after ${a}`).toBeGreaterThan(EXTRACT_PARAMS.searchFloor + 1);
    }
  });
});

describe('watermark under attack', () => {
  for (const [cls, attacks] of Object.entries(CLASSES)) {
    it(`survives ${cls} (${attacks.join(', ')})`, async () => {
      for (const name of PHOTOS) {
        const { img, payload } = await markedPhoto(name);
        for (const a of attacks) {
          const r = extractWatermark(await attack(img, a, 3));
          expect(r.detected, `${name} after ${a}: score ${r.score.toFixed(2)} < ${r.threshold}`).toBe(true);
          expect(hamming(r.payload!, payload), `${name} after ${a}`).toBeLessThanOrEqual(6);
        }
      }
    });
  }

  // issue 23: the lattice search (lattice.ts) finds any linear map, the mirrored sync pattern a mirrored copy
  for (const a of ['mirror', 'rotate5', 'squeeze90', 'crop50', 'mirror+crop25+jpeg75', 'rotate-4+mirror+jpeg80'] as const) {
    it(`survives ${a} (issue 23)`, async () => {
      const { img, payload } = await markedPhoto('rocket.jpg');
      const r = extractWatermark(await attack(img, a, 3));
      expect(r.detected, `rocket.jpg after ${a}: score ${r.score.toFixed(2)} < ${r.threshold}`).toBe(true);
      expect(hamming(r.payload!, payload), `rocket.jpg after ${a}`).toBeLessThanOrEqual(6);
    });
  }

  // bench:watermark --geometry: a copy read at the map its attack applied, without the search, tells the search's
  // misses from a mark that is not there
  it('reads issue 23\'s transforms at the map each attack applied (attackGeometry), and not at a map that is off', async () => {
    const { img, payload } = await markedPhoto('motorcycle_left.png');
    for (const a of ['squeeze90+crop10+webp75', 'rotate-4+mirror+jpeg80', 'crop50'] as const) {
      const copy = await attack(img, a, 3);
      const m = attackGeometry(a, img.width, img.height);
      const r = extractAt(copy, m);
      expect(r.detected, `motorcycle_left.png after ${a} at [${m.map((x) => x.toFixed(3))}]: score ${r.score.toFixed(2)}`).toBe(true);
      expect(hamming(r.payload!, payload), a).toBeLessThanOrEqual(6);
      // 2 % off across: the folded tiles no longer add up
      expect(extractAt(copy, [m[0] * 1.02, m[1], m[2] * 1.02, m[3]]).detected, `${a}, 2 % off`).toBe(false);
    }
  });

  it('reads a reshare of the Hubble field whose coarse candidates all score under the floor (readUnderFloor)', async () => {
    const r = mulberry32(1);
    const payload = new Uint8Array(16).map(() => Math.floor(r() * 256));
    const copy = await attack(embedWatermark(await loadRaster(photo('hubble_deep_field.jpg')), payload), 'reshare', 3);
    expect(coarseBest(copy)).toBeLessThan(EXTRACT_PARAMS.searchFloor);
    const underFloor = EXTRACT_PARAMS.underFloor;
    try {
      EXTRACT_PARAMS.underFloor = 0;
      expect(extractWatermark(copy).detected, 'without the whole-grid folds').toBe(false);
    } finally {
      EXTRACT_PARAMS.underFloor = underFloor;
    }
    const read = extractWatermark(copy);
    expect(read.detected, `score ${read.score.toFixed(2)}`).toBe(true);
    expect(hamming(read.payload!, payload)).toBeLessThanOrEqual(6);
  });

  it('says whether a payload passed its CRC-24: checked when read, not when the mark was found by its sync pattern alone', async () => {
    const { img, payload } = await markedPhoto('rocket.jpg');
    const read = extractWatermark(img);
    expect(read).toMatchObject({ detected: true, checked: true });
    expect(hamming(read.payload!, payload)).toBe(0);
    const { verify, verifyRefined } = EXTRACT_PARAMS;
    try {
      // no reading is decoded and checked anywhere: only the sync peak can carry the detection
      EXTRACT_PARAMS.verify = 0;
      EXTRACT_PARAMS.verifyRefined = 0;
      const sync = extractWatermark(img);
      expect(sync.score, 'the sync peak alone').toBeGreaterThanOrEqual(sync.threshold);
      expect(sync).toMatchObject({ detected: true, checked: false });
    } finally {
      Object.assign(EXTRACT_PARAMS, { verify, verifyRefined });
    }
    expect(extractWatermark(await loadRaster(photo('rocket.jpg')))).toMatchObject({ detected: false, checked: false });
  });

  it('does not hand back another payload: a photo marked twice reads as the second mark only after re-marking', async () => {
    const { img, payload } = await markedPhoto('rocket.jpg');
    const other = new Uint8Array(16).map((_, i) => payload[i]! ^ 0xff);
    const r = extractWatermark(embedWatermark(await loadRaster(photo('rocket.jpg')), other));
    expect(r.detected).toBe(true);
    expect(hamming(r.payload!, other)).toBeLessThanOrEqual(6);
    expect(hamming(r.payload!, payload)).toBeGreaterThan(100);
    void img;
  });
});

// Small photographs (short side under EMBED_PARAMS.smallSide): the slots of u + v = 4 sit near the photo's own
// Nyquist frequency, so the embedder weights its amplitudes toward the lower slots (smallPhotoAmplitudes), and the
// search reads a weak mark where the refinement's climb or the floor had left it unread.
describe('watermark on small photographs (rotate5+resize75+jpeg75)', () => {
  const chain: Attack = 'rotate5+resize75+jpeg75';
  const payloadOf = (seed: number): Uint8Array => {
    const r = mulberry32(seed);
    return new Uint8Array(16).map(() => Math.floor(r() * 256));
  };
  const reads = (got: Uint8Array | null, payload: Uint8Array): boolean => !!got && hamming(got, payload) <= 6;
  const copyOf = async (name: string, seed: number): Promise<{ copy: Raster; payload: Uint8Array }> => {
    const payload = payloadOf(seed);
    return { copy: await attack(embedWatermark(await loadRaster(photo(name)), payload), chain), payload };
  };

  it('weights the slots by frequency keeping their energy, and only on photos under smallSide', async () => {
    const amp = Float64Array.from({ length: SLOTS }, (_, k) => (k % 3 ? 1 : -1));
    const out = smallPhotoAmplitudes(amp);
    const energy = (a: Float64Array): number => a.reduce((s, x) => s + x * x, 0);
    expect(energy(out)).toBeCloseTo(energy(amp), 6);
    const [w2, , w4] = EMBED_PARAMS.smallWeights;
    // slot k sits at COEFFS[k % 12]: 0 is (0, 2), 11 is (4, 0)
    expect(Math.abs(out[11]! / out[0]!)).toBeCloseTo(w4! / w2!, 9);
    const small = await loadRaster(photo('chelsea.png'));
    const large = await loadRaster(photo('camera.png'));
    const payload = payloadOf(1);
    const saved = EMBED_PARAMS.smallWeights;
    const plans = (img: Raster): [Float32Array, Float32Array] => {
      const a = planWatermark(img, payload).delta;
      try {
        EMBED_PARAMS.smallWeights = [1, 1, 1];
        return [a, planWatermark(img, payload).delta];
      } finally {
        EMBED_PARAMS.smallWeights = saved;
      }
    };
    const [weighted, flat] = plans(small);
    expect(weighted.some((x, i) => x !== flat[i]), 'chelsea.png (300 px) is weighted').toBe(true);
    const [a, b] = plans(large);
    expect(a.every((x, i) => x === b[i]), 'camera.png (512 px) is not').toBe(true);
  });

  it('reads more copies of coins.png and chelsea.png at the chain\'s map than with flat weights, and the search reads them all', { timeout: 120_000 }, async () => {
    const saved = EMBED_PARAMS.smallWeights;
    let weighted = 0;
    let flat = 0;
    let searched = 0;
    for (const name of ['coins.png', 'chelsea.png']) {
      const img = await loadRaster(photo(name));
      const m = attackGeometry(chain, img.width, img.height);
      for (let seed = 1; seed <= 6; seed++) {
        const { copy, payload } = await copyOf(name, seed);
        if (reads(extractAt(copy, m).payload, payload)) {
          weighted++;
          if (reads(extractWatermark(copy).payload, payload)) searched++;
        }
        try {
          EMBED_PARAMS.smallWeights = [1, 1, 1];
          if (reads(extractAt(await attack(embedWatermark(img, payload), chain), m).payload, payload)) flat++;
        } finally {
          EMBED_PARAMS.smallWeights = saved;
        }
      }
    }
    // measured: 8 of 12 weighted (the search reads the same 8), 2 of 12 flat
    expect(weighted).toBeGreaterThanOrEqual(7);
    expect(flat).toBeLessThanOrEqual(3);
    expect(searched).toBe(weighted);
  });

  /**
   * `copy` reads with the search as it is, and not with `change` made to EXTRACT_PARAMS (undone afterwards); both
   * with the list decoder off, which reads some of these copies at the refined geometry too: the reading tested here
   * is the search's, not the decoder's.
   */
  const readsOnlyWith = (copy: Raster, payload: Uint8Array, change: Partial<typeof EXTRACT_PARAMS>, without: string): void => {
    const saved = { ...EXTRACT_PARAMS };
    try {
      EXTRACT_PARAMS.list = 1;
      Object.assign(EXTRACT_PARAMS, change);
      expect(reads(extractWatermark(copy).payload, payload), without).toBe(false);
      Object.assign(EXTRACT_PARAMS, saved, { list: 1 });
      expect(reads(extractWatermark(copy).payload, payload)).toBe(true);
    } finally {
      Object.assign(EXTRACT_PARAMS, saved);
    }
  };

  it('reads a copy whose refinement climbed off the map from the candidate it started at (readStart)', async () => {
    const { copy, payload } = await copyOf('coins.png', 6);
    readsOnlyWith(copy, payload, { readStart: false }, 'the refined geometry alone');
  });

  it('reads a copy whose best coarse candidate is a rotation under the floor, over the whole grid (turnUnderFloor)', async () => {
    const { copy, payload } = await copyOf('chelsea.png', 6);
    const best = coarseBest(copy);
    expect(best).toBeLessThan(EXTRACT_PARAMS.searchFloor);
    expect(best).toBeGreaterThanOrEqual(EXTRACT_PARAMS.turnUnderFloor);
    readsOnlyWith(copy, payload, { turnUnderFloor: Infinity }, 'without the rotation folded over the whole grid');
  });
});
