// Known-answer and error-correction checks of the watermark's building blocks.
import { describe, expect, it } from 'vitest';
import { codedLength, convEncode, viterbiDecode } from '../core/media/watermark/conv.ts';
import { blockDct, blockIdct } from '../core/media/watermark/dct.ts';
import { circularCorrelation, spectrum } from '../core/media/watermark/fft.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { bitsToBytes, bytesToBits } from '../core/media/watermark/grid.ts';

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

  it('bytes and bits round-trip, most significant bit first', () => {
    expect(Array.from(bytesToBits(new Uint8Array([0x80, 0x01])))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const b = new Uint8Array([1, 2, 250, 99]);
    expect(Array.from(bitsToBytes(bytesToBits(b)))).toEqual(Array.from(b));
  });
});
