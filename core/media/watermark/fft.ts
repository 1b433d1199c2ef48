// Radix-2 complex FFT (iterative Cooley–Tukey) and the circular cross-correlation of two real n×n tiles, used to
// find where the sync pattern sits in the folded tile. n is a power of two (the tile side).

import { WASM_BASE64 } from '../kernels/wm-fft.wasm.ts';
import { growMemory, loadKernel } from '../kernels/load.ts';

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

/**
 * The transforms in WebAssembly (kernels/wm-fft.wat): the same butterflies two at a time with SIMD, the same results
 * to the bit (test/kernels.test.ts). A fresh process (`custody watermark extract`) runs them compiled from the
 * start, where the JavaScript loops would run interpreted until V8 has compiled them. Null where WebAssembly SIMD
 * is not available: the JavaScript below gives the same numbers.
 */
interface WasmFft {
  rows(re: number, im: number, count: number, n: number, inverse: number, rev: number, twc: number, tws: number): void;
  fft2(re: number, im: number, tr: number, ti: number, n: number, inverse: number, rev: number, twc: number, tws: number, s: number): void;
  product(re: number, im: number, pr: number, pi: number, or: number, oi: number, n: number): void;
  productTwo(re: number, im: number, pr: number, pi: number, qr: number, qi: number, n: number): void;
  peak(c: number, n: number, out: number): void;
  memory: WebAssembly.Memory;
  /** byte offsets of each size's tables (rev, twc, tws), and where the data starts */
  tables: Map<number, { rev: number; twc: number; tws: number }>;
  /** spectra of spectrum() copied into the memory: the slot each holds, in its size's SpectrumSlots */
  spectra: WeakMap<Spectrum, number>;
  slots: Map<number, SpectrumSlots>;
  /** a clock for the slots' last use */
  tick: number;
  top: number;
}

/**
 * A fixed region of the module's memory for the spectra of one transform size, SPECTRUM_SLOTS of them, reused least
 * recently used first. The sync patterns' spectra live for the whole process, but matching (match.ts) makes new ones
 * on every call, one per candidate payload: placed each at a fresh offset, as they once were, they grew the memory
 * by a megabyte a matching until it could grow no more (about four thousand matchings, an hour of a busy hub) and
 * every transform failed.
 */
interface SpectrumSlots {
  base: number;
  owners: (Spectrum | null)[];
  used: number[];
}
/** Spectra kept in the module per transform size: the four sync patterns' and a matching's candidates, with room to spare */
export const SPECTRUM_SLOTS = 12;

let wasm: WasmFft | null | undefined;
/** The WebAssembly transforms' memory in bytes, 0 before they ran or without them (a test watches it stay bounded). */
export function wasmFftMemoryBytes(): number {
  return wasm ? wasm.memory.buffer.byteLength : 0;
}
/** Kernels off: the JavaScript transforms (tests compare the two). */
export function useWasmFft(on: boolean): boolean {
  wasm = on ? undefined : null;
  return on && wasmFft() !== null;
}

function wasmFft(): WasmFft | null {
  if (wasm === undefined) {
    const exports = loadKernel<WasmFft>(WASM_BASE64);
    wasm = exports && { rows: exports.rows, fft2: exports.fft2, product: exports.product, productTwo: exports.productTwo, peak: exports.peak, memory: exports.memory, tables: new Map(), spectra: new WeakMap(), slots: new Map(), tick: 0, top: 0 };
  }
  return wasm;
}

/** The wasm module's tables for size n (placed once), and room for `bytes` of data after them; null when n < 4. */
function wasmLayout(n: number, bytes: number): { k: WasmFft; t: { rev: number; twc: number; tws: number }; data: number } | null {
  const k = n >= 4 ? wasmFft() : null;
  if (!k) return null;
  let t = k.tables.get(n);
  if (!t) {
    const p = plan(n);
    t = { rev: k.top, twc: k.top + n * 4, tws: k.top + n * 4 + (n - 1) * 8 };
    k.top = (t.tws + (n - 1) * 8 + 15) & ~15;
    growMemory(k.memory, k.top);
    const rev = new Uint32Array(k.memory.buffer, t.rev, n);
    rev.set(p.rev);
    const c = new Float64Array(k.memory.buffer, t.twc, n - 1);
    const s = new Float64Array(k.memory.buffer, t.tws, n - 1);
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      for (let j = 0; j < half; j++) {
        c[half - 1 + j] = p.cos[j * (n / len)]!;
        s[half - 1 + j] = p.sin[j * (n / len)]!;
      }
    }
    k.tables.set(n, t);
  }
  growMemory(k.memory, k.top + bytes);
  return { k, t, data: k.top };
}

/**
 * `count` transforms of length n of the contiguous rows of re/im from index `off` (fft1 on each), in place. The
 * callers that batch their rows here get the WebAssembly transform.
 */
function fftRows(re: Float64Array, im: Float64Array, off: number, count: number, n: number, inverse: boolean): void {
  const size = count * n;
  const w = wasmLayout(n, size * 16);
  if (!w) {
    const p = plan(n);
    for (let r = 0; r < count; r++) fft1(re, im, off + r * n, n, inverse, p);
    return;
  }
  const { k, t, data } = w;
  const mr = new Float64Array(k.memory.buffer, data, size);
  const mi = new Float64Array(k.memory.buffer, data + size * 8, size);
  mr.set(re.subarray(off, off + size));
  mi.set(im.subarray(off, off + size));
  k.rows(data, data + size * 8, count, n, inverse ? 1 : 0, t.rev, t.twc, t.tws);
  re.set(mr, off);
  im.set(mi, off);
}

/** 2-D FFT of an n×n array: rows in place, then columns through a transposed copy so every pass reads in order. */
export function fft2(re: Float64Array, im: Float64Array, n: number, inverse = false): void {
  const w = wasmLayout(n, n * n * 32);
  if (w) {
    const { k, t, data } = w;
    const nn = n * n;
    const mr = new Float64Array(k.memory.buffer, data, nn);
    const mi = new Float64Array(k.memory.buffer, data + nn * 8, nn);
    mr.set(re);
    mi.set(im);
    k.fft2(data, data + nn * 8, data + nn * 16, data + nn * 24, n, inverse ? 1 : 0, t.rev, t.twc, t.tws, inverse ? 1 / (n * n) : 1);
    re.set(mr);
    im.set(mi);
    return;
  }
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

/** A pattern's spectrum (spectrum()): not to be changed once made, since the WebAssembly correlations keep a copy. */
export type Spectrum = { readonly re: Float64Array; readonly im: Float64Array };

/** Spectra made by spectrum() */
const MADE = new WeakSet<Spectrum>();

/** Spectrum of a real pattern, to correlate against many tiles. */
export function spectrum(real: Float64Array, n: number): Spectrum {
  const re = Float64Array.from(real);
  const im = new Float64Array(n * n);
  fft2(re, im, n);
  const s = Object.freeze({ re, im });
  MADE.add(s);
  return s;
}

/**
 * Where `p` (a spectrum of size n) is in the module's memory, copied into its size's least recently used slot if it is
 * not there yet; the slots of `pinned` (the other patterns of the same call) are not taken.
 */
function placedSpectrum(k: WasmFft, p: Spectrum, n: number, pinned: readonly Spectrum[]): number {
  const nn = n * n;
  let r = k.slots.get(n);
  if (!r) {
    r = { base: k.top, owners: new Array<Spectrum | null>(SPECTRUM_SLOTS).fill(null), used: new Array<number>(SPECTRUM_SLOTS).fill(0) };
    k.top += SPECTRUM_SLOTS * nn * 16;
    growMemory(k.memory, k.top);
    k.slots.set(n, r);
  }
  let slot = k.spectra.get(p);
  if (slot === undefined) {
    let lru = -1;
    for (let i = 0; i < SPECTRUM_SLOTS; i++) {
      const o = r.owners[i];
      if (o && pinned.includes(o)) continue;
      if (lru < 0 || r.used[i]! < r.used[lru]!) lru = i;
    }
    if (lru < 0) throw new Error(`expected at most ${SPECTRUM_SLOTS - 1} patterns in one correlation, got ${pinned.length}`);
    slot = lru;
    const old = r.owners[slot];
    if (old) k.spectra.delete(old);
    r.owners[slot] = p;
    k.spectra.set(p, slot);
    const at = r.base + slot * nn * 16;
    new Float64Array(k.memory.buffer, at, nn).set(p.re);
    new Float64Array(k.memory.buffer, at + nn * 8, nn).set(p.im);
  }
  r.used[slot] = ++k.tick;
  return r.base + slot * nn * 16;
}

/**
 * The correlations in the WebAssembly module: the tiles copied in, transformed, multiplied by the patterns'
 * conjugate spectra and transformed back there (the same arithmetic as below, so the same surfaces to the bit), the
 * `out` planes copied out. `inputs` go in as the real and imaginary parts of plane 0; patterns of spectrum() stay in
 * the module's memory. Null where the module is not available (n < 4, or no WebAssembly) or a pattern is not one of
 * spectrum()'s.
 */
function wasmCorrelate(inputs: readonly [Float64Array, Float64Array | null], patterns: readonly Spectrum[], n: number, run: (k: WasmFft, at: (plane: number) => number, spectra: number[], fft: (plane: number, inverse: boolean) => void) => number[]): Float64Array[] | null;
function wasmCorrelate<T>(inputs: readonly [Float64Array, Float64Array | null], patterns: readonly Spectrum[], n: number, run: (k: WasmFft, at: (plane: number) => number, spectra: number[], fft: (plane: number, inverse: boolean) => void) => number[], take: (k: WasmFft, at: number, scratch: number) => T): T[] | null;
function wasmCorrelate<T>(
  inputs: readonly [Float64Array, Float64Array | null],
  patterns: readonly Spectrum[],
  n: number,
  run: (k: WasmFft, at: (plane: number) => number, spectra: number[], fft: (plane: number, inverse: boolean) => void) => number[],
  take?: (k: WasmFft, at: number, scratch: number) => T,
): (T | Float64Array)[] | null {
  if (!patterns.every((p) => MADE.has(p))) return null;
  const nn = n * n;
  const w0 = wasmLayout(n, 0);
  if (!w0) return null;
  const spectra = patterns.map((p) => placedSpectrum(w0.k, p, n, patterns));
  // planes: 0, 1 (re, im of the input), 2, 3 (a second product), 4, 5 (the transform's scratch)
  const { k, t, data } = wasmLayout(n, nn * 48)!;
  const at = (plane: number): number => data + plane * nn * 8;
  new Float64Array(k.memory.buffer, at(0), nn).set(inputs[0]);
  if (inputs[1]) new Float64Array(k.memory.buffer, at(1), nn).set(inputs[1]);
  else new Float64Array(k.memory.buffer, at(1), nn).fill(0);
  const fft = (plane: number, inverse: boolean): void => k.fft2(at(plane), at(plane + 1), at(4), at(5), n, inverse ? 1 : 0, t.rev, t.twc, t.tws, inverse ? 1 / nn : 1);
  const planes = run(k, at, spectra, fft);
  // the transform's scratch planes (4, 5) are free once the transforms are done
  if (take) return planes.map((plane) => take(k, at(plane), at(4)));
  return planes.map((plane) => new Float64Array(k.memory.buffer.slice(at(plane), at(plane) + nn * 8)));
}

/** out[dy * n + dx] = Σ_{x,y} a[(y + dy) mod n][(x + dx) mod n] · p[y][x], with p given by its spectrum. */
export function circularCorrelation(a: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): Float64Array {
  const w = wasmCorrelate([a, null], [p], n, (k, at, [sp], fft) => {
    fft(0, false);
    k.product(at(0), at(1), sp!, sp! + n * n * 8, at(0), at(1), n * n);
    fft(0, true);
    return [0];
  });
  if (w) return w[0]!;
  return correlate(Float64Array.from(a), new Float64Array(n * n), p, n).re;
}

/** The WebAssembly steps of circularCorrelationPair (and correlationPeaksPair): a⋆p, b⋆p in planes 0, 1. */
const pairOne = (n: number) => (k: WasmFft, at: (plane: number) => number, [sp]: number[], fft: (plane: number, inverse: boolean) => void): number[] => {
  fft(0, false);
  k.product(at(0), at(1), sp!, sp! + n * n * 8, at(0), at(1), n * n);
  fft(0, true);
  return [0, 1];
};

/**
 * The circular correlations of two real tiles with the same pattern, for the price of one: a goes in as the real
 * part and b as the imaginary part, and since both correlations are real they come back apart, as the real and the
 * imaginary part of one inverse transform.
 */
export function circularCorrelationPair(a: Float64Array, b: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): [Float64Array, Float64Array] {
  const w = wasmCorrelate([a, b], [p], n, pairOne(n));
  if (w) return [w[0]!, w[1]!];
  const { re, im } = correlate(Float64Array.from(a), Float64Array.from(b), p, n);
  return [re, im];
}

/** The WebAssembly steps of circularCorrelationPairTwo: a⋆p, b⋆p in planes 0, 1 and a⋆q, b⋆q in planes 2, 3. */
const pairTwo = (n: number) => (k: WasmFft, at: (plane: number) => number, [sp, sq]: number[], fft: (plane: number, inverse: boolean) => void): number[] => {
  fft(0, false);
  k.product(at(0), at(1), sq!, sq! + n * n * 8, at(2), at(3), n * n);
  k.product(at(0), at(1), sp!, sp! + n * n * 8, at(0), at(1), n * n);
  fft(0, true);
  fft(2, true);
  return [0, 1, 2, 3];
};

/**
 * circularCorrelationPair with two patterns: [a⋆p, b⋆p, a⋆q, b⋆q] for one forward transform and two inverse ones,
 * the spectrum of a + ib being multiplied by each pattern's conjugate in turn.
 */
export function circularCorrelationPairTwo(a: Float64Array, b: Float64Array, p: { re: Float64Array; im: Float64Array }, q: { re: Float64Array; im: Float64Array }, n: number): [Float64Array, Float64Array, Float64Array, Float64Array] {
  const w = wasmCorrelate([a, b], [p, q], n, pairTwo(n));
  if (w) return [w[0]!, w[1]!, w[2]!, w[3]!];
  const re = Float64Array.from(a);
  const im = Float64Array.from(b);
  fft2(re, im, n);
  const withQ = product(Float64Array.from(re), Float64Array.from(im), q, n);
  const withP = product(re, im, p, n);
  fft2(withP.re, withP.im, n, true);
  fft2(withQ.re, withQ.im, n, true);
  return [withP.re, withP.im, withQ.re, withQ.im];
}

/** A correlation surface's highest value, where it is (the first of equal ones), and the surface's RMS. */
export interface SurfacePeak {
  at: number;
  value: number;
  rms: number;
}

/** surfacePeak of a surface in JavaScript: the sum of squares in index order, as the WebAssembly `peak`. */
export function surfacePeak(c: Float64Array): SurfacePeak {
  let s2 = 0;
  let at = 0;
  for (let i = 0; i < c.length; i++) {
    s2 += c[i]! * c[i]!;
    if (c[i]! > c[at]!) at = i;
  }
  return { at, value: c[at]!, rms: Math.sqrt(s2 / c.length) };
}

/** A surface's peak read in the WebAssembly module (its `peak`), the surface left there. */
const wasmPeak = (n: number) => (k: WasmFft, at: number, scratch: number): SurfacePeak => {
  const nn = n * n;
  k.peak(at, nn, scratch);
  const out = new Float64Array(k.memory.buffer, scratch, 2);
  return { at: new Int32Array(k.memory.buffer, scratch + 16, 1)[0]!, value: out[1]!, rms: Math.sqrt(out[0]! / nn) };
};

/**
 * circularCorrelationPairTwo's four surfaces reduced to their peaks, for a search that wants no more of each: in
 * WebAssembly the surfaces stay in the module's memory (four 128×128 planes not copied out per pair of tiles).
 */
export function correlationPeaksPairTwo(a: Float64Array, b: Float64Array, p: Spectrum, q: Spectrum, n: number): [SurfacePeak, SurfacePeak, SurfacePeak, SurfacePeak] {
  const w = wasmCorrelate([a, b], [p, q], n, pairTwo(n), wasmPeak(n));
  if (w) return [w[0]!, w[1]!, w[2]!, w[3]!];
  const [ap, bp, aq, bq] = circularCorrelationPairTwo(a, b, p, q, n);
  return [surfacePeak(ap), surfacePeak(bp), surfacePeak(aq), surfacePeak(bq)];
}

/**
 * circularCorrelationPair's two surfaces reduced to their peaks, as correlationPeaksPairTwo for one pattern: the
 * same arithmetic as the first two of that call (one forward transform, the product, one inverse), so the same peaks
 * to the bit, for one inverse transform fewer.
 */
export function correlationPeaksPair(a: Float64Array, b: Float64Array, p: Spectrum, n: number): [SurfacePeak, SurfacePeak] {
  const w = wasmCorrelate([a, b], [p], n, pairOne(n), wasmPeak(n));
  if (w) return [w[0]!, w[1]!];
  const [ap, bp] = circularCorrelationPair(a, b, p, n);
  return [surfacePeak(ap), surfacePeak(bp)];
}

function correlate(re: Float64Array, im: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): { re: Float64Array; im: Float64Array } {
  fft2(re, im, n);
  product(re, im, p, n);
  fft2(re, im, n, true);
  return { re, im };
}

/** re + i·im times conj(p), in place. */
function product(re: Float64Array, im: Float64Array, p: { re: Float64Array; im: Float64Array }, n: number): { re: Float64Array; im: Float64Array } {
  for (let i = 0; i < n * n; i++) {
    // A · conj(P)
    const ar = re[i]!;
    const ai = im[i]!;
    const pr = p.re[i]!;
    const pi = p.im[i]!;
    re[i] = ar * pr + ai * pi;
    im[i] = ai * pr - ar * pi;
  }
  return { re, im };
}

/**
 * The circular correlations of one real tile with two patterns, for the price of one: A·conj(P) and A·conj(Q) are
 * the spectra of real surfaces, so A·conj(P) + i·A·conj(Q) transforms back to the first as its real part and the
 * second as its imaginary part.
 */
export function circularCorrelationTwo(a: Float64Array, p: { re: Float64Array; im: Float64Array }, q: { re: Float64Array; im: Float64Array }, n: number): [Float64Array, Float64Array] {
  const w = wasmCorrelate([a, null], [p, q], n, (k, at, [sp, sq], fft) => {
    fft(0, false);
    k.productTwo(at(0), at(1), sp!, sp! + n * n * 8, sq!, sq! + n * n * 8, n * n);
    fft(0, true);
    return [0, 1];
  });
  if (w) return [w[0]!, w[1]!];
  const re = Float64Array.from(a);
  const im = new Float64Array(n * n);
  fft2(re, im, n);
  for (let i = 0; i < n * n; i++) {
    const ar = re[i]!;
    const ai = im[i]!;
    // X = A·conj(P), Y = A·conj(Q); X + iY
    const xr = ar * p.re[i]! + ai * p.im[i]!;
    const xi = ai * p.re[i]! - ar * p.im[i]!;
    const yr = ar * q.re[i]! + ai * q.im[i]!;
    const yi = ai * q.re[i]! - ar * q.im[i]!;
    re[i] = xr - yi;
    im[i] = xi + yr;
  }
  fft2(re, im, n, true);
  return [re, im];
}

/**
 * Circular autocorrelation of a real n×n array: the inverse transform of its power spectrum, in about half the work
 * of two complex 2-D transforms, since the input, the power spectrum and the output are all real. Rows go two at a
 * time as the real and imaginary parts of one transform (and come apart by symmetry), and only the n/2 + 1 columns
 * of non-negative frequency are transformed (the others are their conjugates).
 */
export function autocorrelation(a: Float64Array, n: number, band: readonly [number, number] = [0, 1]): Float64Array {
  const { tr, ti, zr, zi } = powerSpectrumHalf(a, n, band);
  return inversePower(tr, ti, zr, zi, n);
}

/**
 * The autocorrelation of `a` (as autocorrelation()) and, from the same forward transform, the m×m inverse transform
 * of `derive(power)`: a real spectrum of m/2 + 1 columns kx = 0…m/2 of m rows ky each (the power's layout, whose
 * columns hold n rows), such as the power flattened (lattice.ts). With m < n and the derived spectrum 0 from
 * frequency m/2 on, its transform is what the n×n one would be at every (n/m)th lag, times (n/m)². The
 * autocorrelation is the same to the bit as autocorrelation()'s.
 */
export function autocorrelationAnd(a: Float64Array, n: number, m: number, derive: (power: Float64Array) => Float64Array, band: readonly [number, number] = [0, 1]): [Float64Array, Float64Array] {
  const { tr, ti, zr, zi } = powerSpectrumHalf(a, n, band);
  const other = derive(tr);
  const ac = inversePower(tr, ti, zr, zi, n);
  const half = m >> 1;
  return [ac, inversePower(other, new Float64Array((half + 1) * m), new Float64Array(half * m), new Float64Array(half * m), m)];
}

/** The power spectrum of a real n×n array, its n/2 + 1 columns of non-negative frequency (kx-major), in `tr`. */
function powerSpectrumHalf(a: Float64Array, n: number, band: readonly [number, number]): { tr: Float64Array; ti: Float64Array; zr: Float64Array; zi: Float64Array } {
  const h = (n >> 1) + 1;
  const pairs = n >> 1;
  // the spectrum's kept columns, stored column after column so that the column passes read in order
  const tr = new Float64Array(h * n);
  const ti = new Float64Array(h * n);
  // rows y and y + 1 as the real and imaginary parts of one transform, every pair in one batch
  const zr = new Float64Array(pairs * n);
  const zi = new Float64Array(pairs * n);
  for (let q = 0; q < pairs; q++) {
    zr.set(a.subarray(2 * q * n, 2 * q * n + n), q * n);
    zi.set(a.subarray((2 * q + 1) * n, (2 * q + 1) * n + n), q * n);
  }
  fftRows(zr, zi, 0, pairs, n, false);
  for (let q = 0; q < pairs; q++) {
    const y = 2 * q;
    const o = q * n;
    for (let k = 0; k < h; k++) {
      const m = o + ((n - k) & (n - 1));
      // row y: (Z[k] + conj Z[−k]) / 2; row y + 1: (Z[k] − conj Z[−k]) / 2i
      tr[k * n + y] = (zr[o + k]! + zr[m]!) / 2;
      ti[k * n + y] = (zi[o + k]! - zi[m]!) / 2;
      tr[k * n + y + 1] = (zi[o + k]! + zi[m]!) / 2;
      ti[k * n + y + 1] = (zr[m]! - zr[o + k]!) / 2;
    }
  }
  const lo2 = (band[0] * n) ** 2;
  const hi2 = (band[1] * n) ** 2;
  fftRows(tr, ti, 0, h, n, false);
  for (let k = 0; k < h; k++) {
    for (let j = 0; j < n; j++) {
      const i = k * n + j;
      const f = Math.min(j, n - j);
      const r2 = k * k + f * f;
      tr[i] = r2 < lo2 || r2 > hi2 ? 0 : tr[i]! * tr[i]! + ti[i]! * ti[i]!;
      ti[i] = 0;
    }
  }
  return { tr, ti, zr, zi };
}

/** The real n×n inverse transform of a Hermitian power spectrum kept as its non-negative columns (tr, ti = 0). */
function inversePower(tr: Float64Array, ti: Float64Array, zr: Float64Array, zi: Float64Array, n: number): Float64Array {
  const h = (n >> 1) + 1;
  const pairs = n >> 1;
  fftRows(tr, ti, 0, h, n, true);
  // each row's spectrum is Hermitian (the output is real): C[n − k] = conj C[k]; two rows per inverse transform
  for (let q = 0; q < pairs; q++) {
    const y = 2 * q;
    const o = q * n;
    for (let k = 0; k < n; k++) {
      const c = k < h ? k : n - k;
      const sign = k < h ? 1 : -1;
      const ar = tr[c * n + y]!;
      const ai = sign * ti[c * n + y]!;
      const br = tr[c * n + y + 1]!;
      const bi = sign * ti[c * n + y + 1]!;
      zr[o + k] = ar - bi;
      zi[o + k] = ai + br;
    }
  }
  fftRows(zr, zi, 0, pairs, n, true);
  const out = new Float64Array(n * n);
  const s = 1 / (n * n);
  for (let q = 0; q < pairs; q++) {
    const y = 2 * q;
    const o = q * n;
    for (let x = 0; x < n; x++) {
      out[y * n + x] = zr[o + x]! * s;
      out[(y + 1) * n + x] = zi[o + x]! * s;
    }
  }
  return out;
}
