// Radix-2 complex FFT (iterative Cooley–Tukey) and the circular cross-correlation of two real n×n tiles, used to
// find where the sync pattern sits in the folded tile. n is a power of two (the tile side).

interface Plan {
  rev: Uint32Array;
  /** cos/sin of −2πk/n, k < n/2 */
  cos: Float64Array;
  sin: Float64Array;
}

// the extractor correlates dozens of tiles of one size per photo: tables once per size
const PLANS = new Map<number, Plan>();
function plan(n: number): Plan {
  let p = PLANS.get(n);
  if (!p) {
    const rev = new Uint32Array(n);
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      rev[i] = j;
    }
    const cos = new Float64Array(n >> 1);
    const sin = new Float64Array(n >> 1);
    for (let k = 0; k < n >> 1; k++) {
      cos[k] = Math.cos((-2 * Math.PI * k) / n);
      sin[k] = Math.sin((-2 * Math.PI * k) / n);
    }
    p = { rev, cos, sin };
    PLANS.set(n, p);
  }
  return p;
}

/** In-place FFT of re/im[off .. off+n) (contiguous); `inverse` conjugates the twiddles (no 1/n here). */
function fft1(re: Float64Array, im: Float64Array, off: number, n: number, inverse: boolean, p: Plan): void {
  const { rev, cos, sin } = p;
  for (let i = 1; i < n; i++) {
    const j = rev[i]!;
    if (i < j) {
      const a = off + i;
      const b = off + j;
      let t = re[a]!;
      re[a] = re[b]!;
      re[b] = t;
      t = im[a]!;
      im[a] = im[b]!;
      im[b] = t;
    }
  }
  const sg = inverse ? -1 : 1;
  // each twiddle is loaded once per stage and applied to all its butterflies (the same arithmetic as butterfly by
  // butterfly, in another order)
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let k = 0; k < half; k++) {
      const cr = cos[k * step]!;
      const ci = sg * sin[k * step]!;
      for (let i = 0; i < n; i += len) {
        const a = off + i + k;
        const b = a + half;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** 2-D FFT of an n×n array: rows in place, then columns through a transposed copy so every pass reads in order. */
export function fft2(re: Float64Array, im: Float64Array, n: number, inverse = false): void {
  const p = plan(n);
  for (let y = 0; y < n; y++) fft1(re, im, y * n, n, inverse, p);
  const tr = new Float64Array(n * n);
  const ti = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      tr[x * n + y] = re[y * n + x]!;
      ti[x * n + y] = im[y * n + x]!;
    }
  }
  for (let x = 0; x < n; x++) fft1(tr, ti, x * n, n, inverse, p);
  const s = inverse ? 1 / (n * n) : 1;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      re[y * n + x] = tr[x * n + y]! * s;
      im[y * n + x] = ti[x * n + y]! * s;
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
  return correlate(Float64Array.from(a), new Float64Array(n * n), p, n).re;
}

/**
 * The circular correlations of two real tiles with the same pattern, for the price of one: a goes in as the real
 * part and b as the imaginary part, and since both correlations are real they come back apart, as the real and the
 * imaginary part of one inverse transform.
 */
export function circularCorrelationPair(a: Float64Array, b: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): [Float64Array, Float64Array] {
  const { re, im } = correlate(Float64Array.from(a), Float64Array.from(b), p, n);
  return [re, im];
}

function correlate(re: Float64Array, im: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): { re: Float64Array; im: Float64Array } {
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
  return { re, im };
}
