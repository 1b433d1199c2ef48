// The WebAssembly kernels: the committed bytes are what their .wat source assembles to, and each kernel gives
// exactly what the JavaScript it replaces gives.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASM_BASE64 } from '../core/media/kernels/lanczos-rows.wasm.ts';
import { LanczosRowsWasm, coefficients, horizontalRow } from '../core/media/phash.ts';
import { autocorrelation, circularCorrelation, circularCorrelationPair, circularCorrelationPairTwo, circularCorrelationTwo, correlationPeaksPair, correlationPeaksPairTwo, fft2, spectrum, surfacePeak, useWasmFft } from '../core/media/watermark/fft.ts';
import { blockDct, blockDctShifted, blockIdct, useWasmDct } from '../core/media/watermark/dct.ts';
import { addGridDelta, lumaToGrid, roundTripKernel, useWasmAdd, useWasmLumaArea } from '../core/media/watermark/resample.ts';
import { convolve, useWasmConv } from '../core/media/watermark/informed.ts';
import { lumaPlane, useWasmLuma } from '../core/media/luma.ts';
import { ssimGain, useWasmSsim } from '../core/media/watermark/embed.ts';
import { codedLength, convEncode, useWasmViterbi, viterbiDecode } from '../core/media/watermark/conv.ts';
import { boxBlur, fold, foldAffine, highPass, inverseRms15, localRms, multiplyInto, sealGrid, useWasmBlur, useWasmFold, type Affine } from '../core/media/watermark/grid.ts';
// @ts-expect-error plain JavaScript build script without types
import { KERNELS_DIR, assemble, moduleText } from '../scripts/build-wasm.js';

describe('WebAssembly kernels', () => {
  it('lanczos-rows.wasm.ts is the assembled lanczos-rows.wat (run `npm run build:wasm` after editing it)', async () => {
    const source = readFileSync(join(KERNELS_DIR, 'lanczos-rows.wat'), 'utf8');
    const bytes: Uint8Array = await assemble('lanczos-rows.wat', source);
    expect(Buffer.from(WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(join(KERNELS_DIR, 'lanczos-rows.wasm.ts'), 'utf8')).toBe(moduleText('lanczos-rows.wat', bytes));
  });

  it('every .wasm.ts is its assembled .wat', async () => {
    const wats = readdirSync(KERNELS_DIR).filter((f) => f.endsWith('.wat'));
    expect(wats).toContain('wm-fft.wat');
    for (const wat of wats) {
      const bytes: Uint8Array = await assemble(wat, readFileSync(join(KERNELS_DIR, wat), 'utf8'));
      expect(readFileSync(join(KERNELS_DIR, wat.replace(/\.wat$/, '.wasm.ts')), 'utf8'), wat).toBe(moduleText(wat, bytes));
    }
  });

  const noise = (seed: number) => () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  /** Pseudo-random bytes from `seed` (the same generator's top byte). */
  const bytes = (seed: number) => (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24) & 255;
  /** Turns a kernel on, failing unless it loads: one that does not falls back to the JavaScript, which would then be compared with itself. */
  const kernelOn = (use: (on: boolean) => boolean): void => expect(use(true), 'the kernel loads').toBe(true);
  const same = (a: Float64Array, b: Float64Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  it("the watermark's FFTs and correlations in WebAssembly equal the JavaScript ones to the bit", () => {
    const rand = noise(7);
    try {
      for (const n of [2, 4, 8, 128, 256]) {
        for (const inverse of [false, true]) {
          const re = new Float64Array(n * n).map(rand);
          const im = new Float64Array(n * n).map(rand);
          const js = [Float64Array.from(re), Float64Array.from(im)] as const;
          const wasm = [Float64Array.from(re), Float64Array.from(im)] as const;
          useWasmFft(false);
          fft2(js[0], js[1], n, inverse);
          kernelOn(useWasmFft);
          fft2(wasm[0], wasm[1], n, inverse);
          expect(same(js[0], wasm[0]) && same(js[1], wasm[1]), `fft2 ${n}, inverse ${inverse}`).toBe(true);
          expect(same(js[0], re), 'the transform changed something').toBe(false);
        }
      }
      for (const n of [8, 128]) {
        const tiles = [0, 1].map(() => new Float64Array(n * n).map(rand));
        const p = spectrum(new Float64Array(n * n).map(rand), n);
        const q = spectrum(new Float64Array(n * n).map(rand), n);
        // a spectrum that is not spectrum()'s is correlated by the JavaScript, with the same result
        const plain = { re: Float64Array.from(p.re), im: Float64Array.from(p.im) };
        const all = (): Float64Array[] => [
          circularCorrelation(tiles[0]!, p, n),
          circularCorrelation(tiles[0]!, plain, n),
          ...circularCorrelationPair(tiles[0]!, tiles[1]!, p, n),
          ...circularCorrelationPairTwo(tiles[0]!, tiles[1]!, p, q, n),
          ...circularCorrelationTwo(tiles[1]!, p, q, n),
          ...circularCorrelationTwo(tiles[0]!, q, p, n),
        ];
        useWasmFft(false);
        const js = all();
        kernelOn(useWasmFft);
        const wasm = all();
        js.forEach((c, i) => expect(same(c, wasm[i]!), `correlation ${i}, ${n}`).toBe(true));
        expect(same(js[0]!, js[2]!), 'two tiles gave the same surface').toBe(false);
        // the peaks and RMS of circularCorrelationPairTwo's surfaces, taken in the module, are the JavaScript's
        const peaks = correlationPeaksPairTwo(tiles[0]!, tiles[1]!, p, q, n);
        expect(peaks).toEqual(js.slice(4, 8).map(surfacePeak));
        useWasmFft(false);
        expect(correlationPeaksPairTwo(tiles[0]!, tiles[1]!, p, q, n)).toEqual(peaks);
        // one pattern: the first two of those peaks, one inverse transform fewer, in JavaScript and in the module
        expect(correlationPeaksPair(tiles[0]!, tiles[1]!, p, n)).toEqual(peaks.slice(0, 2));
        kernelOn(useWasmFft);
        expect(correlationPeaksPair(tiles[0]!, tiles[1]!, p, n)).toEqual(peaks.slice(0, 2));
        expect(correlationPeaksPair(tiles[0]!, tiles[1]!, q, n)).toEqual(peaks.slice(2, 4));
        const top = js[4]!.indexOf(Math.max(...js[4]!));
        expect(peaks[0]).toEqual({ at: top, value: js[4]![top], rms: Math.sqrt(js[4]!.reduce((s, v) => s + v * v, 0) / (n * n)) });
      }
      for (const n of [64, 512]) {
        const a = new Float64Array(n * n).map(rand);
        useWasmFft(false);
        const js = autocorrelation(a, n, [0.05, 0.45]);
        kernelOn(useWasmFft);
        expect(same(js, autocorrelation(a, n, [0.05, 0.45])), `autocorrelation ${n}`).toBe(true);
      }
    } finally {
      useWasmFft(true);
    }
  });

  it("the watermark's Viterbi decoder in WebAssembly gives the JavaScript decoder's bits", () => {
    const rand = noise(3);
    try {
      for (const bits of [8, 152]) {
        for (const noiseLevel of [0, 0.8, 1.5, 4]) {
          const message = new Uint8Array(bits).map(() => (rand() > 0 ? 1 : 0));
          const coded = convEncode(message);
          const soft = Float64Array.from(coded, (c) => (c ? 1 : -1) + noiseLevel * rand() * 2);
          expect(soft.length).toBe(codedLength(bits));
          useWasmViterbi(false);
          const js = viterbiDecode(soft, bits);
          kernelOn(useWasmViterbi);
          const wasm = viterbiDecode(soft, bits);
          expect(Buffer.from(wasm).equals(Buffer.from(js)), `${bits} bits, noise ${noiseLevel}`).toBe(true);
          if (noiseLevel === 0) expect(Buffer.from(wasm).equals(Buffer.from(message))).toBe(true);
        }
        // ties: all-zero soft values
        useWasmViterbi(false);
        const js = viterbiDecode(new Float64Array(codedLength(bits)), bits);
        kernelOn(useWasmViterbi);
        expect(Buffer.from(viterbiDecode(new Float64Array(codedLength(bits)), bits)).equals(Buffer.from(js))).toBe(true);
      }
    } finally {
      useWasmViterbi(true);
    }
  });

  it("the watermark grid's luma and area sums in WebAssembly equal scanLuma and the sink's rows to the bit", () => {
    const byte = bytes(99);
    try {
      for (const [width, height, channels, gw, gh] of [[1100, 1030, 3, 512, 512], [1537, 1024, 4, 768, 512], [1030, 2100, 1, 512, 1044], [1200, 1100, 2, 512, 512], [700, 600, 3, 512, 512]] as const) {
        const img = { data: new Uint8Array(width * height * channels).map(byte), width, height, channels };
        useWasmLumaArea(false);
        const js = lumaToGrid(img, gw, gh);
        kernelOn(useWasmLumaArea);
        const wasm = lumaToGrid(img, gw, gh);
        expect(Buffer.from(wasm.buffer).equals(Buffer.from(js.buffer)), `${width}×${height}×${channels}`).toBe(true);
        expect(js.some((v) => v !== js[0])).toBe(true);
      }
    } finally {
      useWasmLumaArea(true);
    }
  });

  it("the watermark's add-back in WebAssembly gives the JavaScript's bytes, clamping included", () => {
    const byte = bytes(7);
    const rand = noise(31);
    try {
      // sizes whose rows are no multiple of 16 bytes, grey with and without alpha, RGB, RGBA; grids down to one cell
      const cases = [[1100, 733, 3, 768, 512], [1537, 1024, 4, 768, 512], [513, 1030, 1, 512, 1028], [601, 600, 2, 513, 512], [37, 23, 3, 1, 1], [40, 9, 3, 7, 2]] as const;
      for (const [width, height, channels, gw, gh] of cases) {
        // changes of up to ±300 levels: every pixel near either end clamps
        for (const scale of [8, 600]) {
          const delta = new Float32Array(gw * gh).map(() => rand() * scale);
          const img = { data: new Uint8Array(width * height * channels).map(byte), width, height, channels };
          for (const range of [undefined, { from: 3, to: Math.max(4, height - 5) }]) {
            useWasmAdd(false);
            const js = addGridDelta(img, delta, gw, gh, false, range);
            kernelOn(useWasmAdd);
            const wasm = addGridDelta(img, delta, gw, gh, false, range);
            expect(Buffer.from(wasm.data).equals(Buffer.from(js.data)), `${width}×${height}×${channels} on ${gw}×${gh}, ±${scale / 2}`).toBe(true);
            expect(Buffer.from(js.data).equals(Buffer.from(img.data))).toBe(false);
            if (channels === 4 || channels === 2) {
              // alpha untouched
              for (let i = channels - 1; i < js.data.length; i += channels) if (js.data[i] !== img.data[i]) throw new Error(`alpha changed at ${i}`);
            }
          }
          // in place: the same bytes in the caller's own buffer
          const own = { ...img, data: img.data.slice() };
          expect(addGridDelta(own, delta, gw, gh, true).data.buffer).toBe(own.data.buffer);
          useWasmAdd(false);
          expect(Buffer.from(own.data).equals(Buffer.from(addGridDelta(img, delta, gw, gh, false).data))).toBe(true);
          kernelOn(useWasmAdd);
        }
      }
    } finally {
      useWasmAdd(true);
    }
  });

  it("Pillow's luma of RGB pixels in WebAssembly gives lumaRow's bytes", () => {
    const byte = bytes(5);
    try {
      // widths that leave pixels over after the sixteen-at-a-time loop; the extremes of every channel
      for (const [width, height] of [[1100, 37], [17, 3], [5, 2], [16, 1], [2048, 20]] as const) {
        const data = new Uint8Array(width * height * 3).map(byte);
        data.fill(255, 0, 48);
        data.fill(0, 48, 96);
        const img = { data, width, height, channels: 3 };
        useWasmLuma(false);
        const js = lumaPlane(img);
        kernelOn(useWasmLuma);
        const wasm = lumaPlane(img);
        expect(Buffer.from(wasm).equals(Buffer.from(js)), `${width}×${height}`).toBe(true);
        expect(js[0]).toBe(255);
        // every byte checked against the formula itself, not only against the JavaScript
        for (let i = 0; i < js.length; i++) {
          const want = (19595 * data[3 * i]! + 38470 * data[3 * i + 1]! + 7471 * data[3 * i + 2]! + 0x8000) >>> 16;
          if (wasm[i] !== want) throw new Error(`pixel ${i}: ${wasm[i]} for ${want}`);
        }
      }
    } finally {
      useWasmLuma(true);
    }
  });

  it("the SSIM gain's bisection in WebAssembly lands on the JavaScript's gain to the bit", () => {
    const rand = noise(53);
    try {
      for (const [gw, gh, r] of [[768, 512, 2], [512, 512, 1], [37, 41, 3], [5, 1, 1]] as const) {
        const grid = new Float32Array(gw * gh).map(() => 128 + rand() * 200);
        const delta = new Float32Array(gw * gh).map(() => rand() * 4);
        for (const loss of [0.025, 0.2, 1e-4]) {
          useWasmSsim(false);
          const js = ssimGain(grid, delta, gw, gh, loss, r);
          kernelOn(useWasmSsim);
          const wasm = ssimGain(grid, delta, gw, gh, loss, r);
          expect(Object.is(wasm, js), `${gw}×${gh} r ${r}, loss ${loss}: ${wasm} against ${js}`).toBe(true);
          expect(js).toBeGreaterThan(0);
        }
      }
    } finally {
      useWasmSsim(true);
    }
  });

  it("the embedder's separable convolution in WebAssembly equals the JavaScript to the bit", () => {
    const rand = noise(41);
    try {
      // the round trip's kernels (five taps), longer and single-tap ones, odd and even widths, grids smaller than a kernel
      const kernels = [roundTripKernel(768, 5476), roundTripKernel(512, 3651), Float32Array.of(0.25, 0.5, 0.25), Float32Array.of(1), new Float32Array(9).map(rand)];
      for (const [w, h] of [[768, 512], [513, 300], [7, 5], [2, 9], [1, 1]] as const) {
        const src = new Float32Array(w * h).map(() => rand() * 40);
        for (const kx of kernels) {
          for (const ky of [kernels[0]!, kernels[4]!, kx]) {
            useWasmConv(false);
            const js = convolve(src, w, h, kx, ky);
            kernelOn(useWasmConv);
            const wasm = convolve(src, w, h, kx, ky);
            expect(Buffer.from(wasm.buffer).equals(Buffer.from(js.buffer)), `${w}×${h}, ${kx.length}×${ky.length} taps`).toBe(true);
          }
        }
      }
    } finally {
      useWasmConv(true);
    }
  });

  it("the watermark's block DCT and its inverse in WebAssembly equal the JavaScript to the bit", () => {
    const rand = noise(17);
    try {
      for (const size of [8, 128]) {
        const tile = new Float64Array(size * size).map(rand);
        for (const [dx, dy] of [[0, 0], [3, 5], [size - 1, 1], [-2, 9]] as const) {
          useWasmDct(false);
          const js = blockDctShifted(tile, size, dx, dy);
          kernelOn(useWasmDct);
          expect(same(js, blockDctShifted(tile, size, dx, dy)), `blockDctShifted ${size} ${dx} ${dy}`).toBe(true);
        }
        for (const [what, run] of [['blockDct', blockDct], ['blockIdct', blockIdct]] as const) {
          useWasmDct(false);
          const js = run(tile, size);
          kernelOn(useWasmDct);
          const wasm = run(tile, size);
          expect(same(js, wasm), `${what} ${size}`).toBe(true);
          expect(same(js, tile)).toBe(false);
        }
      }
    } finally {
      useWasmDct(true);
    }
  });

  it("the watermark's box blur, high-pass and local RMS in WebAssembly equal the JavaScript to the bit", () => {
    const rand = noise(5);
    const f32 = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    try {
      for (const [w, h] of [[768, 512], [5, 9], [13, 3]] as const) {
        const grid = new Float32Array(w * h).map(() => 128 + 100 * rand());
        for (const r of [1, 2, 6]) {
          const weights = (on: boolean): Float32Array => {
            useWasmBlur(on);
            const wgt = Float32Array.from(grid, (v) => Math.abs(v - 128) / 7);
            inverseRms15(wgt, w);
            const out = Float32Array.from(grid);
            multiplyInto(out, wgt, w);
            return out;
          };
          expect(f32(weights(false), weights(true)), `inverseRms15, multiplyInto ${w}×${h}`).toBe(true);
          for (const [what, run] of [['boxBlur', boxBlur], ['highPass', highPass], ['localRms', localRms]] as const) {
            useWasmBlur(false);
            const js = run(grid, w, h, r);
            kernelOn(useWasmBlur);
            const wasm = run(grid, w, h, r);
            expect(f32(js, wasm), `${what} ${w}×${h} r ${r}`).toBe(true);
            expect(f32(js, grid), `${what} changed nothing`).toBe(false);
          }
        }
      }
    } finally {
      useWasmBlur(true);
    }
  });

  it("the watermark's folds in WebAssembly equal the JavaScript folds to the bit, on a sealed grid only", () => {
    const rand = noise(11);
    const DEG = Math.PI / 180;
    try {
      for (const [w, h] of [[768, 512], [512, 512], [700, 530]] as const) {
        const grid = new Float32Array(w * h).map(rand);
        const folds: [string, () => Float64Array][] = [
          ...([[1, 0, Infinity], [1.1, 0, 192], [0.98, 0, 192], [1, 3 * DEG, 192], [1.05, -7 * DEG, Infinity], [1.3, 0, Infinity], [0.7, 0, Infinity], [1.2, 10 * DEG, Infinity]] as const).map(
            ([s, a, half]) => [`fold ${s} ${a} ${half}`, () => fold(grid, w, h, 128, s, a, half)] as [string, () => Float64Array],
          ),
          ...([[1.1, 0.05, -0.04, 0.9], [0.8, 0, 0, 1.2], [1, 0, 0, 0.9]] as Affine[]).map((m) => [`foldAffine ${m}`, () => foldAffine(grid, w, h, 128, m)] as [string, () => Float64Array]),
        ];
        for (const [what, run] of folds) {
          useWasmFold(false);
          const js = run();
          kernelOn(useWasmFold);
          const unsealed = run();
          sealGrid(grid);
          const wasm = run();
          expect(same(js, unsealed), `${what} unsealed, ${w}×${h}`).toBe(true);
          expect(same(js, wasm), `${what}, ${w}×${h}`).toBe(true);
        }
        // another grid sealed after it: the first is folded by the JavaScript again, and still right
        const other = new Float32Array(w * h).map(rand);
        sealGrid(other);
        useWasmFold(false);
        const js = fold(grid, w, h, 128, 1.1, 0, 192);
        kernelOn(useWasmFold);
        sealGrid(other);
        expect(same(js, fold(grid, w, h, 128, 1.1, 0, 192))).toBe(true);
      }
    } finally {
      useWasmFold(true);
    }
  });

  it("the SIMD horizontal pass equals Pillow's integer pass in JavaScript, to the byte", () => {
    const rand = bytes(12345);
    for (const width of [9, 31, 33, 100, 257, 1000, 5476]) {
      const rows = 37; // more than one band of the kernel's 16 rows
      for (const fill of ['random', 'white', 'stripes'] as const) {
        const band = new Uint8Array(width * rows).map((_, i) => (fill === 'random' ? rand() : fill === 'white' ? 255 : (i & 1) * 255));
        const c = coefficients(width, 32);
        const js = new Uint8Array(32 * rows);
        for (let r = 0; r < rows; r++) horizontalRow(band, r * width, c, 32, js, r * 32);
        const wasm = new Uint8Array(32 * rows);
        LanczosRowsWasm.create(c, width, 32)!.run(band, 0, rows, wasm, 0);
        expect(Buffer.from(wasm).equals(Buffer.from(js)), `${width} px, ${fill}`).toBe(true);
      }
    }
  });
});
