// Perceptual hash compatible with Python's imagehash.phash (4.3.2, hash_size 8, highfreq_factor 4):
// image.convert('L').resize((32, 32), LANCZOS) → 2-D DCT-II → top-left 8×8 → bit = coefficient > median.
// The grayscale conversion and the Lanczos resample follow Pillow's C code (Convert.c, Resample.c) to the bit,
// including its 22-bit fixed-point coefficients and the rounding to 8 bits after each pass.

/** Pillow's RGB → L: ITU-R 601-2 luma in 16-bit fixed point, L24 in Convert.c. */
export function lumaFromInterleaved(data: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  const n = width * height;
  if (data.length < n * channels) {
    throw new Error(`expected ${n * channels} bytes for ${width}×${height}×${channels}, got ${data.length}`);
  }
  const out = new Uint8Array(n);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = data[j]!;
    return out;
  }
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    out[i] = (data[j]! * 19595 + data[j + 1]! * 38470 + data[j + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

const PRECISION_BITS = 32 - 8 - 2;
const LANCZOS_SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output sample
  k: Int32Array; // fixed-point coefficients, ksize per output sample
}

/** precompute_coeffs + normalize_coeffs_8bpc from Pillow's Resample.c, for the full-image box. */
function coefficients(inSize: number, outSize: number): Coeffs {
  let filterscale = inSize / outSize;
  const scale = filterscale;
  if (filterscale < 1) filterscale = 1;
  const support = LANCZOS_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = lanczos((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x]! / ww : w[x]!;
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / (1 << PRECISION_BITS));
}

/** Pillow's Image.resize(size, LANCZOS) of an 8-bit single-channel image: horizontal pass, then vertical. */
export function resizeLanczosL(src: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  let cur = src;
  let curW = width;
  if (outW !== width) {
    const { ksize, bounds, k } = coefficients(width, outW);
    const tmp = new Uint8Array(outW * height);
    const half = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2]!;
        const n = bounds[xx * 2 + 1]!;
        const kb = xx * ksize;
        let ss = half;
        for (let x = 0; x < n; x++) ss += src[row + xmin + x]! * k[kb + x]!;
        tmp[y * outW + xx] = clip8(ss);
      }
    }
    cur = tmp;
    curW = outW;
  }
  if (outH === height) return cur;
  const { ksize, bounds, k } = coefficients(height, outH);
  const out = new Uint8Array(curW * outH);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]!;
    const n = bounds[yy * 2 + 1]!;
    const kb = yy * ksize;
    for (let x = 0; x < curW; x++) {
      let ss = half;
      for (let y = 0; y < n; y++) ss += cur[(ymin + y) * curW + x]! * k[kb + y]!;
      out[yy * curW + x] = clip8(ss);
    }
  }
  return out;
}

const DCT32 = (() => {
  // Only the first 8 DCT-II basis rows are needed: cos(pi * k * (2n + 1) / 64), k < 8, n < 32.
  const m = new Float64Array(8 * 32);
  for (let k = 0; k < 8; k++) for (let n = 0; n < 32; n++) m[k * 32 + n] = Math.cos((Math.PI * k * (2 * n + 1)) / 64);
  return m;
})();

/** pHash of a 32×32 grayscale thumbnail, as 8 bytes in imagehash's bit order (row-major, first bit = MSB). */
export function phashFromThumb32(thumb: Uint8Array): Uint8Array {
  if (thumb.length !== 32 * 32) throw new Error(`expected a 32×32 thumbnail (1024 bytes), got ${thumb.length}`);
  // dct(dct(pixels, axis=0), axis=1): columns first, then rows; keep the 8×8 low-frequency corner.
  const colT = new Float64Array(8 * 32); // [k][x]
  for (let k = 0; k < 8; k++) {
    for (let x = 0; x < 32; x++) {
      let s = 0;
      for (let y = 0; y < 32; y++) s += DCT32[k * 32 + y]! * thumb[y * 32 + x]!;
      colT[k * 32 + x] = s;
    }
  }
  const low = new Float64Array(64);
  for (let ky = 0; ky < 8; ky++) {
    for (let kx = 0; kx < 8; kx++) {
      let s = 0;
      for (let x = 0; x < 32; x++) s += DCT32[kx * 32 + x]! * colT[ky * 32 + x]!;
      // scipy's FFT-based DCT returns exact zeros where symmetry cancels a coefficient (a chessboard gives 47);
      // summing cosines leaves ~1e-11 there instead, which would flip bits against a median of exactly 0.
      low[ky * 8 + kx] = Math.abs(s) < 1e-6 ? 0 : s;
    }
  }
  const sorted = Array.from(low).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  const out = new Uint8Array(8);
  for (let i = 0; i < 64; i++) if (low[i]! > median) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** pHash of decoded pixels (interleaved 8-bit channels, as sharp's raw output gives them). */
export function phashPixels(data: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  const luma = lumaFromInterleaved(data, width, height, channels);
  return phashFromThumb32(resizeLanczosL(luma, width, height, 32, 32));
}

export function phashHex(hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex');
}
