// Radix-2 complex FFT (iterative Cooley–Tukey) and the circular cross-correlation of two real n×n tiles, used to
// find where the sync pattern sits in the folded tile. n is a power of two (the tile side).

function fft1(re: Float64Array, im: Float64Array, off: number, stride: number, n: number, inverse: boolean): void {
  // bit reversal
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = off + i * stride;
      const b = off + j * stride;
      let t = re[a]!;
      re[a] = re[b]!;
      re[b] = t;
      t = im[a]!;
      im[a] = im[b]!;
      im[b] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = off + (i + k) * stride;
        const b = off + (i + k + len / 2) * stride;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

export function fft2(re: Float64Array, im: Float64Array, n: number, inverse = false): void {
  for (let y = 0; y < n; y++) fft1(re, im, y * n, 1, n, inverse);
  for (let x = 0; x < n; x++) fft1(re, im, x, n, n, inverse);
  if (inverse) {
    const s = 1 / (n * n);
    for (let i = 0; i < n * n; i++) {
      re[i] = re[i]! * s;
      im[i] = im[i]! * s;
    }
  }
}

/** Spectrum of a real pattern, to correlate against many tiles. */
export function spectrum(real: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const re = Float64Array.from(real);
  const im = new Float64Array(n * n);
  fft2(re, im, n);
  return { re, im };
}

/** out[dy * n + dx] = Σ_{x,y} a[(y + dy) mod n][(x + dx) mod n] · p[y][x], with p given by its spectrum. */
export function circularCorrelation(a: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): Float64Array {
  const re = Float64Array.from(a);
  const im = new Float64Array(n * n);
  fft2(re, im, n);
  for (let i = 0; i < n * n; i++) {
    // A · conj(P)
    const ar = re[i]!;
    const ai = im[i]!;
    const pr = p.re[i]!;
    const pi = p.im[i]!;
    re[i] = ar * pr + ai * pi;
    im[i] = ai * pr - ar * pi;
  }
  fft2(re, im, n, true);
  return re;
}
