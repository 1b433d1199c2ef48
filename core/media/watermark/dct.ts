// 8×8 orthonormal DCT-II (JPEG's transform) on square tiles made of 8×8 blocks, as two 1-D passes with a
// precomputed basis. Orthonormal, so a change of δ in a coefficient is a change of δ² in pixel energy.

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

/** Forward DCT of every 8×8 block of a size×size tile (row-major); returns coefficients in the same layout. */
export function blockDct(tile: Float64Array, size: number): Float64Array {
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

/** Inverse of blockDct. */
export function blockIdct(coef: Float64Array, size: number): Float64Array {
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
