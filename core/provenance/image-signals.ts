// The fingerprint signals of an image held in memory: SHA-256, pHash and the watermark payload, read in the same
// passes the desk's verify uses. What a hub computes from an uploaded copy (byContent, the public page) before it
// throws the upload away.
import { CustodyError } from '../errors.ts';
import { DEFAULT_LIMITS, formatBytes, isImageFormat, sniff, type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { decodeImage, probeImage } from '../media/image.ts';
import { perceptualScan, releasePixels, sharePixels } from '../media/passes.ts';
import { extractWatermark } from '../media/watermark/codec.ts';

export interface ImageSignals {
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  phash: string;
  /** null when the image is too small to carry a watermark; `deep` when the deep search was asked for (extract.ts). */
  watermark: { detected: boolean; payload: string | null; score: number; threshold: number; deep: boolean } | null;
}

/** `deep`: the watermark searched for deeper when the quick search finds none (about 0.33 s more; extract.ts, deepSearch). */
export async function imageSignals(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS, opts: { deep?: boolean } = {}): Promise<ImageSignals> {
  if (bytes.length === 0) throw new CustodyError('CORRUPT_MEDIA', 'expected an image, got 0 bytes');
  if (bytes.length > limits.maxImageBytes) throw new CustodyError('FILE_TOO_LARGE', `expected an image of at most ${formatBytes(limits.maxImageBytes)}, got ${formatBytes(bytes.length)}`);
  const format = sniff(bytes.subarray(0, 32));
  if (!format || !isImageFormat(format)) {
    throw new CustodyError('UNSUPPORTED_FORMAT', `expected a JPEG, PNG, WebP, TIFF or AVIF image, got ${format ? `a ${format.toUpperCase()} video` : 'bytes of no known image format'}`);
  }
  await probeImage(bytes, format, limits);
  const pixels = sharePixels(await decodeImage(bytes, format, limits));
  try {
    const { phash, watermarkLuma } = await perceptualScan(pixels);
    let watermark: ImageSignals['watermark'] = null;
    if (watermarkLuma) {
      const deep = opts.deep ?? false;
      const ex = extractWatermark(pixels.raster, { luma: watermarkLuma, deep });
      watermark = { detected: ex.detected, payload: ex.payload ? Buffer.from(ex.payload).toString('hex') : null, score: Math.round(ex.score * 1000) / 1000, threshold: ex.threshold, deep };
    }
    return { sha256: sha256Hex(bytes), format, width: pixels.raster.width, height: pixels.raster.height, phash, watermark };
  } finally {
    releasePixels(pixels);
  }
}
