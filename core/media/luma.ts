// One pass over a decoded image's pixels, a row of luma at a time, shared by every consumer that needs the luma of
// the whole image (the pHash's Lanczos pass, the watermark's working grid). On a 20 MP photo a full-resolution pass
// costs as much as a third of sharp's decode+encode; signing and verifying make this one pass instead of three.
//
// The luma is Pillow's `Image.convert('L')` (ITU-R 601-2 in 16-bit fixed point, L24 in Convert.c), to the bit, as
// the pHash's compatibility with Python's imagehash needs it. Grey images (1 or 2 channels) give their first channel;
// alpha never counts.

import { WASM_BASE64 as LUMA_WASM } from './kernels/luma.wasm.ts';
import { growMemory, lazyKernel } from './kernels/load.ts';
import type { Raster } from './watermark/codec.ts';

/**
 * Receives the luma in order, a band of `rows` rows at a time starting at row `y` (y = 0 … height − 1, `width`
 * bytes per row); `band` is reused for the next band.
 */
export interface LumaSink {
  rows(y: number, rows: number, band: Uint8Array): void;
}

/**
 * Rows per band. Bands rather than single rows keep the sinks' loops out of scanLuma's optimised code: V8 inlining
 * the per-row calls made the pHash's pass 30 % slower (measured on a 20 MP photo).
 */
const BAND = 16;

/** Pillow's luma of the `width` pixels starting at byte `p`, into `out` from index `at`. */
export function lumaRow(data: Uint8Array, p: number, width: number, channels: number, out: Uint8Array, at = 0): void {
  const end = at + width;
  if (channels < 3) {
    for (let x = at; x < end; x++, p += channels) out[x] = data[p]!;
    return;
  }
  for (let x = at; x < end; x++, p += channels) {
    out[x] = (Math.imul(data[p]!, 19595) + Math.imul(data[p + 1]!, 38470) + Math.imul(data[p + 2]!, 7471) + 0x8000) >>> 16;
  }
}

function checkRaster({ data, width, height, channels }: Raster): void {
  if (data.length < width * height * channels) {
    throw new Error(`expected ${width * height * channels} bytes for ${width}×${height}×${channels}, got ${data.length}`);
  }
}

function lumaRows(data: Uint8Array, y: number, rows: number, width: number, channels: number, band: Uint8Array): void {
  if (channels === 3 && rgbInKernel(data.subarray(y * width * 3, (y + rows) * width * 3), band)) return;
  for (let r = 0; r < rows; r++) lumaRow(data, (y + r) * width * channels, width, channels, band, r * width);
}

/** kernels/luma.wat: the luma of RGB pixels sixteen at a time, the same bytes as lumaRow. */
interface LumaKernel {
  rgb(src: number, out: number, n: number): void;
  memory: WebAssembly.Memory;
}

const lumaKernel = lazyKernel<LumaKernel>(LUMA_WASM);

/** Kernel off: lumaRow alone (tests compare the two). */
export const useWasmLuma = lumaKernel.use;

/** The luma of the RGB pixels `rgb` into `out` through the kernel; false, having done nothing, without one. */
function rgbInKernel(rgb: Uint8Array, out: Uint8Array): boolean {
  const k = lumaKernel.get();
  if (!k) return false;
  const n = rgb.length / 3;
  const outAt = (rgb.length + 15) & ~15;
  const need = outAt + n;
  growMemory(k.memory, need);
  const buf = k.memory.buffer;
  new Uint8Array(buf, 0, rgb.length).set(rgb);
  k.rgb(0, outAt, n);
  out.set(new Uint8Array(buf, outAt, n));
  return true;
}

/** Rows [from, to) of an image. */
export interface RowRange {
  from: number;
  to: number;
}

/**
 * Feeds every row of `img`'s luma (or the rows of `range`) to each sink, in one pass over the pixels. Sinks that
 * scanned different ranges of the same image combine with their `absorb` methods (see parallel.ts).
 */
export function scanLuma(img: Raster, sinks: readonly LumaSink[], range: RowRange = { from: 0, to: img.height }): void {
  checkRaster(img);
  const { data, width, channels } = img;
  const band = new Uint8Array(width * BAND);
  for (let y = range.from; y < range.to; y += BAND) {
    const rows = Math.min(BAND, range.to - y);
    lumaRows(data, y, rows, width, channels, band);
    for (const sink of sinks) sink.rows(y, rows, band);
  }
}

/** The whole luma plane (tests, and the rare consumer that needs random access). */
export function lumaPlane(img: Raster): Uint8Array {
  checkRaster(img);
  const { data, width, height, channels } = img;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y += BAND) {
    const rows = Math.min(BAND, height - y);
    lumaRows(data, y, rows, width, channels, out.subarray(y * width, (y + rows) * width));
  }
  return out;
}
