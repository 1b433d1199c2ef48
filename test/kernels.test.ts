// The WebAssembly kernels: the committed bytes are what their .wat source assembles to, and each kernel gives
// exactly what the JavaScript it replaces gives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASM_BASE64 } from '../core/media/kernels/lanczos-rows.wasm.ts';
import { LanczosRowsWasm, coefficients, horizontalRow } from '../core/media/phash.ts';
// @ts-expect-error plain JavaScript build script without types
import { KERNELS_DIR, assemble, moduleText } from '../scripts/build-wasm.js';

describe('WebAssembly kernels', () => {
  it('lanczos-rows.wasm.ts is the assembled lanczos-rows.wat (run `npm run build:wasm` after editing it)', async () => {
    const source = readFileSync(join(KERNELS_DIR, 'lanczos-rows.wat'), 'utf8');
    const bytes: Uint8Array = await assemble('lanczos-rows.wat', source);
    expect(Buffer.from(WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(join(KERNELS_DIR, 'lanczos-rows.wasm.ts'), 'utf8')).toBe(moduleText('lanczos-rows.wat', bytes));
  });

  it("the SIMD horizontal pass equals Pillow's integer pass in JavaScript, to the byte", () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24) & 255;
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
