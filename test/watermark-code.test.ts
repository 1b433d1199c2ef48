// Known-answer and error-correction checks of the watermark's building blocks.
import { describe, expect, it } from 'vitest';
import { codedLength, convEncode, viterbiDecode } from '../core/media/watermark/conv.ts';
import { blockDct, blockIdct } from '../core/media/watermark/dct.ts';
import { autocorrelation, autocorrelationAnd, circularCorrelation, circularCorrelationPair, circularCorrelationPairTwo, circularCorrelationTwo, spectrum } from '../core/media/watermark/fft.ts';
import { mirrorTile } from '../core/media/watermark/layout.ts';
import { flattenPower, latticeCandidates, latticeSearch } from '../core/media/watermark/lattice.ts';
import { AspectFolds } from '../core/media/watermark/aspect.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { bitsToBytes, boxBlur, bytesToBits, fold, foldAffine } from '../core/media/watermark/grid.ts';
import { crc24Bits, crcMatches, withCrc } from '../core/media/watermark/crc.ts';
import { addGridDelta, lumaToGrid } from '../core/media/watermark/resample.ts';

describe('convolutional code (K=9, rate 1/3)', () => {
  it('encodes a single 1 as the generator impulse response 557, 663, 711 (octal)', () => {
    const bits = new Uint8Array(1).fill(1);
    const c = convEncode(bits);
    expect(c.length).toBe(codedLength(1));
    // output j at step t is bit (8 - t) of generator j
    const gens = [0o557, 0o663, 0o711];
    for (let t = 0; t < 9; t++) for (let j = 0; j < 3; j++) expect(c[t * 3 + j], `step ${t} output ${j}`).toBe((gens[j]! >> (8 - t)) & 1);
  });

  it('corrects 8 % hard errors in 128-bit messages and decodes soft noisy values', () => {
    const rand = mulberry32(42);
    for (let trial = 0; trial < 20; trial++) {
      const msg = new Uint8Array(128).map(() => (rand() < 0.5 ? 1 : 0));
      const code = convEncode(msg);
      const soft = new Float64Array(code.length);
      for (let i = 0; i < code.length; i++) {
        const flip = rand() < 0.08 ? -1 : 1;
        soft[i] = (code[i] ? 1 : -1) * flip;
      }
      expect(Array.from(viterbiDecode(soft, 128))).toEqual(Array.from(msg));
      for (let i = 0; i < code.length; i++) {
        const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
        soft[i] = (code[i] ? 1 : -1) + 0.8 * g;
      }
      expect(Array.from(viterbiDecode(soft, 128))).toEqual(Array.from(msg));
    }
  });
});

describe('transforms', () => {
  it('8×8 block DCT is orthonormal and inverts', () => {
    const rand = mulberry32(1);
    const tile = new Float64Array(64 * 64).map(() => rand() * 255);
    const c = blockDct(tile, 64);
    const e1 = tile.reduce((s, v) => s + v * v, 0);
    const e2 = c.reduce((s, v) => s + v * v, 0);
    expect(Math.abs(e1 - e2) / e1).toBeLessThan(1e-12);
    let dc = 0;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) dc += tile[y * 64 + x]!;
    expect(c[0]).toBeCloseTo(dc / 8, 9); // orthonormal DC = sum / √64
    const back = blockIdct(c, 64);
    for (let i = 0; i < tile.length; i++) expect(Math.abs(back[i]! - tile[i]!)).toBeLessThan(1e-9);
  });

  it('circular correlation finds a cyclic shift', () => {
    const rand = mulberry32(2);
    const n = 64;
    const p = new Float64Array(n * n).map(() => rand() - 0.5);
    const shifted = new Float64Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) shifted[((y + 17) % n) * n + ((x + 5) % n)] = p[y * n + x]!;
    const c = circularCorrelation(shifted, spectrum(p, n), n);
    let bi = 0;
    for (let i = 0; i < c.length; i++) if (c[i]! > c[bi]!) bi = i;
    expect([bi % n, Math.floor(bi / n)]).toEqual([5, 17]);
  });

  it('correlates two tiles in one transform as it does each alone', () => {
    const rand = mulberry32(3);
    const n = 128;
    const [a, b, p] = [0, 1, 2].map(() => new Float64Array(n * n).map(() => rand() - 0.5)) as [Float64Array, Float64Array, Float64Array];
    const s = spectrum(p, n);
    const [ca, cb] = circularCorrelationPair(a, b, s, n);
    const [sa, sb] = [circularCorrelation(a, s, n), circularCorrelation(b, s, n)];
    for (let i = 0; i < n * n; i++) {
      expect(Math.abs(ca[i]! - sa[i]!)).toBeLessThan(1e-9);
      expect(Math.abs(cb[i]! - sb[i]!)).toBeLessThan(1e-9);
    }
  });

  it('folds without rotation to the bit as the rotating fold does (its own loop, the same arithmetic)', () => {
    const rand = mulberry32(4);
    const [w, h] = [700, 512];
    const src = new Float32Array(w * h).map(() => rand() - 0.5);
    // an angle so small that cos is 1 and sin·(distance) vanishes in rounding takes the general path to the same sums
    for (const scale of [0.98, 1.0125, 1.2]) {
      for (const half of [Infinity, 192]) expect(fold(src, w, h, 128, scale, 0, half)).toEqual(fold(src, w, h, 128, scale, 1e-300, half));
    }
  });

  it('bytes and bits round-trip, most significant bit first', () => {
    expect(Array.from(bytesToBits(new Uint8Array([0x80, 0x01])))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const b = new Uint8Array([1, 2, 250, 99]);
    expect(Array.from(bitsToBytes(bytesToBits(b)))).toEqual(Array.from(b));
  });
});

describe('CRC-24 (RFC 4880)', () => {
  it('gives the OpenPGP check value for "123456789"', () => {
    expect(crc24Bits(bytesToBits(new TextEncoder().encode('123456789')))).toBe(0x21cf02);
    expect(crc24Bits(new Uint8Array(0))).toBe(0xb704ce);
  });

  it('accepts its own output and rejects every single-bit error', () => {
    const rand = mulberry32(3);
    const bits = withCrc(new Uint8Array(128).map(() => (rand() < 0.5 ? 1 : 0)));
    expect(bits.length).toBe(152);
    expect(crcMatches(bits)).toBe(true);
    for (let i = 0; i < bits.length; i++) {
      const bad = Uint8Array.from(bits);
      bad[i] = bad[i]! ^ 1;
      expect(crcMatches(bad), `bit ${i}`).toBe(false);
    }
  });
});

describe('grid resampling', () => {
  it('box blur equals the clamped-edge window mean, at every size and radius', () => {
    const rand = mulberry32(4);
    for (const [w, h, r] of [[17, 9, 2], [5, 7, 3], [40, 33, 6], [3, 3, 4], [64, 1, 1]] as const) {
      const src = new Float32Array(w * h).map(() => rand() * 255);
      const out = boxBlur(src, w, h, r);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let dy = -r; dy <= r; dy++) {
            for (let dx = -r; dx <= r; dx++) s += src[Math.min(h - 1, Math.max(0, y + dy)) * w + Math.min(w - 1, Math.max(0, x + dx))]!;
          }
          expect(out[y * w + x]!, `${w}×${h} r${r} at ${x},${y}`).toBeCloseTo(s / (2 * r + 1) ** 2, 3);
        }
      }
    }
  });

  it('area downsampling averages the luma of the pixels of each cell', () => {
    // 8×4 RGB image, columns alternate two colours: each 2×2 cell averages one of each
    const w = 8;
    const h = 4;
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) data.set(i % 2 ? [200, 100, 50] : [0, 20, 250], i * 3);
    const grid = lumaToGrid({ data, width: w, height: h, channels: 3 }, 4, 2);
    // Pillow's 'L' (the pHash's luma): round((19595 R + 38470 G + 7471 B) / 65536)
    const luma = (r: number, g: number, b: number): number => Math.floor((19595 * r + 38470 * g + 7471 * b + 0x8000) / 65536);
    for (const v of grid) expect(v).toBeCloseTo((luma(200, 100, 50) + luma(0, 20, 250)) / 2, 4);
  });

  it('adds the delta to R, G and B alike, rounded once and clamped, and leaves alpha alone', () => {
    const data = new Uint8Array([10, 250, 3, 77, 128, 128, 128, 200]);
    const img = { data, width: 2, height: 1, channels: 4 };
    const up = addGridDelta(img, new Float32Array([2.5, 2.5]), 2, 1);
    expect(Array.from(up.data)).toEqual([13, 253, 6, 77, 131, 131, 131, 200]);
    const down = addGridDelta(img, new Float32Array([-6.4, 7.6]), 2, 1);
    expect(Array.from(down.data)).toEqual([4, 244, 0, 77, 136, 136, 136, 200]);
    const clip = addGridDelta({ data: Uint8Array.from([254, 1]), width: 2, height: 1, channels: 1 }, new Float32Array([3, -3]), 2, 1);
    expect(Array.from(clip.data)).toEqual([255, 0]);
  });
});

describe('geometry search building blocks (issue 23)', () => {
  it('correlates one tile with two patterns as two single correlations do', () => {
    const rand = mulberry32(8);
    const n = 16;
    const a = new Float64Array(n * n).map(() => rand() - 0.5);
    const p = new Float64Array(n * n).map(() => rand() - 0.5);
    const q = new Float64Array(n * n).map(() => rand() - 0.5);
    const [cp, cq] = circularCorrelationTwo(a, spectrum(p, n), spectrum(q, n), n);
    const sp = circularCorrelation(a, spectrum(p, n), n);
    const sq = circularCorrelation(a, spectrum(q, n), n);
    for (let i = 0; i < n * n; i++) {
      expect(Math.abs(cp[i]! - sp[i]!)).toBeLessThan(1e-9);
      expect(Math.abs(cq[i]! - sq[i]!)).toBeLessThan(1e-9);
    }
  });

  it('autocorrelates as the direct circular sum does', () => {
    const rand = mulberry32(9);
    const n = 8;
    const a = new Float64Array(n * n).map(() => rand() - 0.5);
    const ac = autocorrelation(a, n);
    for (const [dx, dy] of [[0, 0], [1, 0], [3, 5], [7, 7]] as const) {
      let s = 0;
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) s += a[y * n + x]! * a[((y + dy) % n) * n + ((x + dx) % n)]!;
      expect(ac[dy * n + dx]).toBeCloseTo(s, 9);
    }
  });

  it('mirrors a tile about its column 0, and back', () => {
    const rand = mulberry32(10);
    const t = new Float64Array(128 * 128).map(() => rand());
    const m = mirrorTile(t);
    expect(m[5 * 128 + 0]).toBe(t[5 * 128 + 0]);
    expect(m[5 * 128 + 1]).toBe(t[5 * 128 + 127]);
    expect(mirrorTile(m)).toEqual(t);
  });

  it('folds under a diagonal map with the scaled loop as the general loop does', () => {
    const rand = mulberry32(11);
    const [w, h] = [700, 512];
    const src = new Float32Array(w * h).map(() => rand() - 0.5);
    // a shear so small that it vanishes in rounding takes the general loop to the same sums
    for (const m of [[1.1, 0, 0, 1], [0.95, 0, 0, 1.2]] as const) {
      expect(foldAffine(src, w, h, 128, m)).toEqual(foldAffine(src, w, h, 128, [m[0], 1e-300, 0, m[3]]));
    }
  });

  it('folds an aspect change with one axis folded once as foldAffine folds it', () => {
    const rand = mulberry32(12);
    for (const [w, h] of [[700, 512], [512, 683], [512, 512]] as const) {
      const src = new Float32Array(w * h).map(() => rand() - 0.5);
      const folds = new AspectFolds(src, w, h, 128, 192);
      for (const s of [0.87, 0.9, 1.111, 1.15]) {
        const across = folds.across(s);
        const down = folds.down(s);
        const wantAcross = foldAffine(src, w, h, 128, [s, 0, 0, 1], 192);
        const wantDown = foldAffine(src, w, h, 128, [1, 0, 0, s], 192);
        let err = 0;
        let mag = 0;
        for (let i = 0; i < 128 * 128; i++) {
          err = Math.max(err, Math.abs(across[i]! - wantAcross[i]!), Math.abs(down[i]! - wantDown[i]!));
          mag = Math.max(mag, Math.abs(wantAcross[i]!), Math.abs(wantDown[i]!));
        }
        // the same sums in another order: equal to rounding
        expect(mag, `${w}×${h} s ${s}`).toBeGreaterThan(0.5);
        expect(err, `${w}×${h} s ${s}`).toBeLessThan(1e-9);
      }
    }
  });

  it('reads the map of a rotated, squeezed tiled pattern off its autocorrelation', () => {
    // a random 128-periodic pattern seen through a known map: the lattice search must give that map back
    const rand = mulberry32(12);
    const tile = new Float64Array(128 * 128).map(() => rand() - 0.5);
    const [w, h] = [640, 560];
    const [a, b, c, d] = [1.1 * Math.cos(0.1), -Math.sin(0.1), 1.1 * Math.sin(0.1), Math.cos(0.1)];
    const det = a * d - b * c;
    const src = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // the embedded-grid position that the map sends to (x, y)
        const u = Math.round((d * x - b * y) / det);
        const v = Math.round((-c * x + a * y) / det);
        src[y * w + x] = tile[(((v % 128) + 128) % 128) * 128 + (((u % 128) + 128) % 128)]! + 2 * (rand() - 0.5);
      }
    }
    const [best] = latticeCandidates(src, w, h);
    expect(best!.z).toBeGreaterThan(6);
    [a, b, c, d].forEach((x, i) => expect(Math.abs(best!.m[i]! - x), `entry ${i}: ${best!.m.join(', ')}`).toBeLessThan(0.01));
  });
});

describe('axis-aligned maps from the flattened spectrum (issue 23: squeeze, crop and WebP)', () => {
  /** A random 128-periodic pattern under noise, seen through the map diag(sx, sy) about the grid's centre. */
  function tiled(sx: number, sy: number, w: number, h: number, seed: number): Float32Array {
    const rand = mulberry32(seed);
    const tile = new Float64Array(128 * 128).map(() => rand() - 0.5);
    const src = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const u = Math.round((x - w / 2) / sx);
        const v = Math.round((y - h / 2) / sy);
        src[y * w + x] = tile[(((v % 128) + 128) % 128) * 128 + (((u % 128) + 128) % 128)]! + 2 * (rand() - 0.5);
      }
    }
    return src;
  }

  it('gives back the magnifications across and down of a tiled pattern, each on its own axis', () => {
    for (const [sx, sy] of [[1.171, 1.054], [1.054, 1.171], [0.95, 1.3]] as const) {
      const [w, h] = [700, 560];
      const { axes } = latticeSearch(tiled(sx, sy, w, h, 31), w, h);
      const best = axes[0]!;
      expect(best.z, `${sx} × ${sy}`).toBeGreaterThan(4);
      // the coarse search's folds over the central square stay coherent within about ±0.75 %
      expect(Math.abs(best.m[0] / sx - 1), `${sx} × ${sy}: ${best.m.join(', ')}`).toBeLessThan(0.004);
      expect(Math.abs(best.m[3] / sy - 1), `${sx} × ${sy}: ${best.m.join(', ')}`).toBeLessThan(0.004);
      expect([best.m[1], best.m[2]]).toEqual([0, 0]);
    }
  });

  it('finds no strong axis-aligned map in noise', () => {
    const rand = mulberry32(32);
    const [w, h] = [700, 560];
    const { axes } = latticeSearch(new Float32Array(w * h).map(() => rand() - 0.5), w, h);
    expect(axes[0]!.z).toBeLessThan(3);
  });

  it('flattens a power spectrum to its ratio over the local mean, in its band only', () => {
    const n = 64;
    const h = n / 2 + 1;
    const power = new Float64Array(h * n).fill(2);
    power[5 * n + 10] = 2 + 25 * 2;
    // a frequency in column 0 whose box reaches over kx < 0, where the power is that of (−kx, −ky)
    power[1 * n + (n - 12)] = 2 + 25 * 2;
    const out = flattenPower(power, n, 2, [4, 20]);
    // 5×5 box: the spike counts once in its own box's 25 cells
    expect(out[5 * n + 10]).toBeCloseTo(52 / ((24 * 2 + 52) / 25) - 1, 12);
    expect(out[5 * n + 11]).toBeCloseTo(2 / ((24 * 2 + 52) / 25) - 1, 12);
    expect(out[8 * n + 10]).toBeCloseTo(0, 12);
    // (0, 12) has (−1, 12) in its box, which is (1, −12): the second spike
    expect(out[0 * n + 12]).toBeCloseTo(2 / ((24 * 2 + 52) / 25) - 1, 12);
    expect(out[0 * n + 2]).toBe(0);
    expect(out[25 * n + 0]).toBe(0);
  });

  it('autocorrelates the derived spectrum at every other lag, the autocorrelation unchanged', () => {
    const rand = mulberry32(33);
    const n = 16;
    const m = 8;
    const a = new Float64Array(n * n).map(() => rand() - 0.5);
    let kept: Float64Array = new Float64Array(0);
    const [ac, half] = autocorrelationAnd(a, n, m, (power) => {
      // the power below frequency m/2 on both axes, in the m×m layout
      const out = new Float64Array((m / 2 + 1) * m);
      for (let k = 0; k < m / 2; k++) {
        for (let j = 0; j < m / 2; j++) out[k * m + j] = power[k * n + j]!;
        for (let j = 1; j < m / 2; j++) out[k * m + m - j] = power[k * n + n - j]!;
      }
      // the inverse transform works in place: keep a copy
      kept = Float64Array.from(out);
      return out;
    });
    expect(ac).toEqual(autocorrelation(a, n));
    // the direct sum: the kept power's n×n inverse transform, at even lags, times (n/m)²
    const powerAt = (kx: number, ky: number): number => {
      if (Math.abs(kx) >= m / 2 || Math.abs(ky) >= m / 2) return 0;
      const [x, y] = kx < 0 ? [-kx, -ky] : [kx, ky];
      return kept[x * m + ((y + m) % m)]!;
    };
    for (const [dx, dy] of [[0, 0], [1, 0], [2, 3], [7, 5]] as const) {
      let s = 0;
      for (let ky = -n / 2; ky < n / 2; ky++) for (let kx = -n / 2; kx < n / 2; kx++) s += powerAt(kx, ky) * Math.cos((2 * Math.PI * (kx * 2 * dx + ky * 2 * dy)) / n);
      expect(half[dy * m + dx]).toBeCloseTo((s / (n * n)) * (n / m) ** 2, 9);
    }
  });
});

describe('coarse correlation with the mirrored pattern (issue 23)', () => {
  it('correlates two tiles with two patterns as four single correlations do', () => {
    const rand = mulberry32(13);
    const n = 16;
    const [a, b, p, q] = [0, 1, 2, 3].map(() => new Float64Array(n * n).map(() => rand() - 0.5)) as [Float64Array, Float64Array, Float64Array, Float64Array];
    const got = circularCorrelationPairTwo(a, b, spectrum(p, n), spectrum(q, n), n);
    const want = [circularCorrelation(a, spectrum(p, n), n), circularCorrelation(b, spectrum(p, n), n), circularCorrelation(a, spectrum(q, n), n), circularCorrelation(b, spectrum(q, n), n)];
    for (let k = 0; k < 4; k++) for (let i = 0; i < n * n; i++) expect(Math.abs(got[k]![i]! - want[k]![i]!)).toBeLessThan(1e-9);
  });
});
