// The fingerprint signals of an image held in memory: SHA-256, pHash and the watermark payload, read in the same
// passes the desk's verify uses. What a hub computes from an uploaded copy (byContent, the public page) before it
// throws the upload away.
import { CustodyError } from '../errors.ts';
import { DEFAULT_LIMITS, formatBytes, isImageFormat, sniff, type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { decodeImage, probeImage } from '../media/image.ts';
import { perceptualScan, releasePixels, sharePixels } from '../media/passes.ts';
import { WATERMARK_READ_MIN_SIDE, extractWatermark, matchWatermarkIn, type Raster } from '../media/watermark/codec.ts';
import type { LumaGridSink } from '../media/watermark/resample.ts';
import { MATCH_PARAMS } from '../media/watermark/match.ts';

export interface ImageSignals {
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  phash: string;
  /**
   * null when the image is too small to look for a watermark in; `deep` when the deep search was asked for
   * (extract.ts); `matched` when no mark was read blind but one candidate record's was matched (match.ts): its payload
   * is then that record's, and `score` and `threshold` the match's.
   */
  watermark: { detected: boolean; payload: string | null; score: number; threshold: number; deep: boolean; matched?: true } | null;
}

/**
 * Which of `payloads` (hex, the likeliest first; at most MATCH_PARAMS.maxCandidates of them are tried) is marked in
 * `raster`, whose mark could not be read blind (match.ts), with its score; null when none reaches the threshold.
 */
export function matchPayloads(raster: Raster, luma: LumaGridSink, payloads: readonly string[]): { payload: string; z: number } | null {
  const tried = payloads.filter((p) => /^[0-9a-f]{32}$/.test(p)).slice(0, MATCH_PARAMS.maxCandidates);
  if (tried.length === 0) return null;
  const { match } = matchWatermarkIn(raster, tried.map((p) => Buffer.from(p, 'hex')), { luma });
  return match ? { payload: tried[match.index]!, z: match.z } : null;
}

/**
 * `deep`: the watermark searched for deeper when the quick search finds none (about 0.33 s more; extract.ts,
 * deepSearch). `candidates`: where no mark is read, the payloads (hex) of the records whose picture looks like this
 * one (by its pHash), matched against the copy (match.ts; at most MATCH_PARAMS.maxCandidates are tried).
 */
export async function imageSignals(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS, opts: { deep?: boolean; candidates?: (phash: string) => Promise<readonly string[]> } = {}): Promise<ImageSignals> {
  if (bytes.length === 0) throw new CustodyError('CORRUPT_MEDIA', 'expected an image, got 0 bytes');
  if (bytes.length > limits.maxImageBytes) throw new CustodyError('FILE_TOO_LARGE', `expected an image of at most ${formatBytes(limits.maxImageBytes)}, got ${formatBytes(bytes.length)}`);
  const format = sniff(bytes.subarray(0, 32));
  if (!format || !isImageFormat(format)) {
    throw new CustodyError('UNSUPPORTED_FORMAT', `expected a JPEG, PNG, WebP, TIFF or AVIF image, got ${format ? `a ${format.toUpperCase()} video` : 'bytes of no known image format'}`);
  }
  await probeImage(bytes, format, limits);
  const pixels = sharePixels(await decodeImage(bytes, format, limits));
  try {
    const { phash, watermarkLuma } = await perceptualScan(pixels, WATERMARK_READ_MIN_SIDE);
    let watermark: ImageSignals['watermark'] = null;
    if (watermarkLuma) {
      const deep = opts.deep ?? false;
      const ex = extractWatermark(pixels.raster, { luma: watermarkLuma, deep });
      watermark = { detected: ex.detected, payload: ex.payload ? Buffer.from(ex.payload).toString('hex') : null, score: round(ex.score), threshold: ex.threshold, deep };
      const match = !ex.detected && opts.candidates ? matchPayloads(pixels.raster, watermarkLuma, await opts.candidates(phash)) : null;
      if (match) watermark = { detected: true, payload: match.payload, score: round(match.z), threshold: MATCH_PARAMS.threshold, deep, matched: true };
    }
    return { sha256: sha256Hex(bytes), format, width: pixels.raster.width, height: pixels.raster.height, phash, watermark };
  } finally {
    releasePixels(pixels);
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
