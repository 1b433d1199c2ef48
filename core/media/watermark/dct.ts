// 8×8 orthonormal DCT-II (JPEG's transform) on square tiles made of 8×8 blocks, as two 1-D passes with a
// precomputed basis. Orthonormal, so a change of δ in a coefficient is a change of δ² in pixel energy.

import { WASM_BASE64 as DCT_WASM } from '../kernels/wm-dct.wasm.ts';
import { growMemory, lazyKernel } from '../kernels/load.ts';

export const B = 8;

/** BASIS[k * 8 + n] = c_k cos(π (2n + 1) k / 16). */
export const BASIS = (() => {
  const m = new Float64Array(B * B);
  for (let k = 0; k < B; k++) {
    const c = k === 0 ? Math.sqrt(1 / B) : Math.sqrt(2 / B);
    for (let n = 0; n < B; n++) m[k * B + n] = c * Math.cos((Math.PI * (2 * n + 1) * k) / (2 * B));
  }
  return m;
})();

/**
 * Both transforms in WebAssembly (kernels/wm-dct.wat): the same sums in the same order, so the same coefficients to
 * the bit (test/kernels.test.ts); the extractor transforms a tile per reading it decodes, and a fresh process would
 * run the JavaScript below interpreted until V8 compiles it. Null where WebAssembly is not available.
 */
interface DctKernel {
  blocks(input: number, out: number, size: number, m: number, tmp: number): void;
  shift(input: number, out: number, size: number, dx: number, dy: number): void;
  memory: WebAssembly.Memory;
}

// B and its transpose placed once, at 0 and 512
const dctKernel = lazyKernel<DctKernel>(DCT_WASM, (k) => {
  const m = new Float64Array(k.memory.buffer, 0, 2 * B * B);
  for (let i = 0; i < B; i++) for (let n = 0; n < B; n++) [m[i * B + n], m[B * B + n * B + i]] = [BASIS[i * B + n]!, BASIS[i * B + n]!];
  return k;
});

/** Kernel off: the JavaScript transforms (tests compare the two). */
export const useWasmDct = dctKernel.use;

// [B at 0 | its transpose at 512 | tmp at 1024 | in | out]
function wasmBlocks(src: Float64Array, size: number, inverse: boolean, shift?: readonly [number, number]): Float64Array | null {
  const k = dctKernel.get();
  if (!k || size % B !== 0) return null;
  const bytes = size * size * 8;
  const inAt = 2048;
  const outAt = inAt + bytes;
  growMemory(k.memory, outAt + bytes);
  if (shift) {
    // the shifted copy goes to out, and is transformed from there into in
    new Float64Array(k.memory.buffer, inAt, size * size).set(src.subarray(0, size * size));
    k.shift(inAt, outAt, size, shift[0], shift[1]);
    k.blocks(outAt, inAt, size, inverse ? B * B * 8 : 0, 1024);
    return new Float64Array(k.memory.buffer.slice(inAt, inAt + bytes));
  }
  new Float64Array(k.memory.buffer, inAt, size * size).set(src.subarray(0, size * size));
  k.blocks(inAt, outAt, size, inverse ? B * B * 8 : 0, 1024);
  return new Float64Array(k.memory.buffer.slice(outAt, outAt + bytes));
}

/** Forward DCT of every 8×8 block of a size×size tile (row-major); returns coefficients in the same layout. */
export function blockDct(tile: Float64Array, size: number): Float64Array {
  const w = wasmBlocks(tile, size, false);
  if (w) return w;
  const out = new Float64Array(size * size);
  const tmp = new Float64Array(B * B);
  for (let by = 0; by < size; by += B) {
    for (let bx = 0; bx < size; bx += B) {
      // rows: tmp[y][u] = Σ_x tile[y][x] BASIS[u][x]
      for (let y = 0; y < B; y++) {
        const r = (by + y) * size + bx;
        for (let u = 0; u < B; u++) {
          let s = 0;
          for (let x = 0; x < B; x++) s += tile[r + x]! * BASIS[u * B + x]!;
          tmp[y * B + u] = s;
        }
      }
      // columns: out[v][u] = Σ_y tmp[y][u] BASIS[v][y]
      for (let v = 0; v < B; v++) {
        const r = (by + v) * size + bx;
        for (let u = 0; u < B; u++) {
          let s = 0;
          for (let y = 0; y < B; y++) s += tmp[y * B + u]! * BASIS[v * B + y]!;
          out[r + u] = s;
        }
      }
    }
  }
  return out;
}

/**
 * blockDct of the tile shifted so that its position (dx, dy) comes to the origin: of aligned[y][x] =
 * tile[(y + dy) mod size][(x + dx) mod size] (size a power of two), without a JavaScript pass over the tile.
 */
export function blockDctShifted(tile: Float64Array, size: number, dx: number, dy: number): Float64Array {
  if ((size & (size - 1)) === 0) {
    const w = wasmBlocks(tile, size, false, [dx & (size - 1), dy & (size - 1)]);
    if (w) return w;
  }
  const aligned = new Float64Array(size * size);
  const m = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) aligned[y * size + x] = tile[((y + dy) & m) * size + ((x + dx) & m)]!;
  }
  return blockDct(aligned, size);
}

/** Inverse of blockDct. */
export function blockIdct(coef: Float64Array, size: number): Float64Array {
  const w = wasmBlocks(coef, size, true);
  if (w) return w;
  const out = new Float64Array(size * size);
  const tmp = new Float64Array(B * B);
  for (let by = 0; by < size; by += B) {
    for (let bx = 0; bx < size; bx += B) {
      for (let v = 0; v < B; v++) {
        const r = (by + v) * size + bx;
        for (let x = 0; x < B; x++) {
          let s = 0;
          for (let u = 0; u < B; u++) s += coef[r + u]! * BASIS[u * B + x]!;
          tmp[v * B + x] = s;
        }
      }
      for (let y = 0; y < B; y++) {
        const r = (by + y) * size + bx;
        for (let x = 0; x < B; x++) {
          let s = 0;
          for (let v = 0; v < B; v++) s += tmp[v * B + x]! * BASIS[v * B + y]!;
          out[r + x] = s;
        }
      }
    }
  }
  return out;
}
