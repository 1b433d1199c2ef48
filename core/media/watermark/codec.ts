// Custody's invisible watermark: a DWT+DCT spread-spectrum codec with a re-synchronisable tiled layout.
// See layout.ts for where the bits live, embed.ts and extract.ts for the two directions.

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
  payload: Uint8Array | null;
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
