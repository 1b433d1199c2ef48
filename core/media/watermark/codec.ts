// Custody's invisible watermark: a DWT+DCT spread-spectrum codec with a re-synchronisable tiled layout.
// - where: luminance only, resampled to a working grid tied to the image's size, not its pixels (grid.ts), so a
//   rescaled copy maps onto the same grid; in that grid (the LL band of a Haar level), mid-frequency coefficients of
//   8×8 DCT blocks (layout.ts).
// - what: 128 payload bits, convolutionally coded (conv.ts), spread over a 64×64 tile that repeats over the image,
//   next to a known sync pattern; strength follows local texture and the embedder cancels host interference it can
//   predict (informed.ts); scaled to a fixed PSNR (embed.ts).
// - reading: fold the grid onto one tile under candidate scales/rotations, find the sync pattern by FFT
//   correlation (its peak-to-RMS ratio is the detection statistic), read the slots, soft Viterbi (extract.ts).

import { CustodyError } from '../../errors.ts';
import { embedInto } from './embed.ts';
import { extractFrom } from './extract.ts';

export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export const WATERMARK_ALGORITHM = 'org.custody.watermark.dwtdct.v1';
export const WATERMARK_MIN_SIDE = 256;
export const WATERMARK_PAYLOAD_BYTES = 16;

export interface Extraction {
  detected: boolean;
  /** 16 bytes when detected, else null */
  payload: Uint8Array | null;
  /** sync correlation peak over the RMS of the correlation surface, best geometry (≈ 3.5–5.5 on unmarked photos) */
  score: number;
  threshold: number;
}

function checkRaster(img: Raster): void {
  const { data, width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new CustodyError('INVALID_ARGUMENT', `expected positive integer image dimensions, got ${width}×${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new CustodyError('INVALID_ARGUMENT', `expected 1 to 4 interleaved channels, got ${channels}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected ${width * height * channels} bytes for ${width}×${height}×${channels}, got ${data?.length ?? 'no data'}`,
    );
  }
}

/** Returns a watermarked copy of `img` (same size and channels; alpha untouched) carrying the 16-byte `payload`. */
export function embedWatermark(img: Raster, payload: Uint8Array): Raster {
  checkRaster(img);
  if (!(payload instanceof Uint8Array) || payload.length !== WATERMARK_PAYLOAD_BYTES) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected a ${WATERMARK_PAYLOAD_BYTES}-byte watermark payload, got ${payload instanceof Uint8Array ? `${payload.length} bytes` : typeof payload}`,
    );
  }
  if (Math.min(img.width, img.height) < WATERMARK_MIN_SIDE) {
    throw new CustodyError(
      'IMAGE_TOO_SMALL_FOR_WATERMARK',
      `expected an image at least ${WATERMARK_MIN_SIDE} px on its short side, got ${img.width}×${img.height}`,
      { width: img.width, height: img.height, minSide: WATERMARK_MIN_SIDE },
    );
  }
  return embedInto(img, payload);
}

/** Looks for a watermark; `detected` is false (and `payload` null) when the detection statistic is under threshold. */
export function extractWatermark(img: Raster): Extraction {
  checkRaster(img);
  return extractFrom(img);
}
