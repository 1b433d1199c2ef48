// The fingerprint signals of an image held in memory: SHA-256, pHash and the watermark payload, read in the same
// passes the desk's verify uses. What a hub computes from an uploaded copy (byContent, the public page) before it
// throws the upload away.
import { CustodyError } from '../errors.ts';
import { DEFAULT_LIMITS, formatBytes, isImageFormat, sniff, type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { decodeImage, probeImage } from '../media/image.ts';
import { perceptualScan, releasePixels, sharePixels } from '../media/passes.ts';
import { WATERMARK_READ_MIN_SIDE, readWatermark, type Extraction, type Raster, type WatermarkReading } from '../media/watermark/codec.ts';
import type { LumaGridSink } from '../media/watermark/resample.ts';
import { MATCH_PARAMS } from '../media/watermark/match.ts';

export interface ImageSignals {
  sha256: string;
  format: ImageFormat;
  width: number;
  height: number;
  phash: string;
  /**
   * null when the image is too small to look for a watermark in; `deep` when the deep search ran (extract.ts: asked
   * for, or on its own, searchWatermark); `matched` when no mark was read blind but one candidate record's was matched
   * (match.ts): its payload is then that record's, and `score` and `threshold` the match's.
   */
  watermark: { detected: boolean; payload: string | null; score: number; threshold: number; deep: boolean; matched?: true } | null;
}

/**
 * Which of `payloads` (hex, the likeliest first; at most MATCH_PARAMS.maxCandidates of them are tried) is marked in
 * the copy `reading` searched, whose mark could not be read blind (match.ts), with its score; null when none reaches
 * the threshold.
 */
function matchPayloads(reading: WatermarkReading, payloads: readonly string[]): { payload: string; z: number } | null {
  const tried = payloads.filter((p) => /^[0-9a-f]{32}$/.test(p)).slice(0, MATCH_PARAMS.maxCandidates);
  if (tried.length === 0) return null;
  const { match } = reading.match(tried.map((p) => Buffer.from(p, 'hex')));
  return match ? { payload: tried[match.index]!, z: match.z } : null;
}

/** What verify's watermark search found (searchWatermark). */
export interface WatermarkSearch {
  /** the blind reading: the quick search's, or the deep search's where it ran */
  ex: Extraction;
  /** the candidate matched where nothing was read blind (match.ts), with its score */
  match: { payload: string; z: number } | null;
  /** the deep search ran: asked for, or on its own (`autoDeep`) */
  deep: boolean;
  /** it ran on its own: the copy looks like a signed photo and neither the quick search nor the matching found a mark */
  autoDeep: boolean;
}

/**
 * Verify's watermark search, on the desk and on the hub: the quick search (the deep one too where `deep` asks for it);
 * where it reads no mark, or finds one by its sync pattern alone whose payload fails its CRC-24, the records whose
 * picture looks like this one (`candidates`, hex payloads, the likeliest first; asked for only then) matched against
 * the copy; and where nothing was found and that matches none either, the deep search on its own, when there were
 * candidates and `mayDeep` allows it (a hub's budget). A copy that looks like a signed photo is
 * worth 0.3 s more: a platform's reframing (squeezed or stretched, and cropped) carries its mark where only the deep
 * search finds it, and the verifier should not have to know to ask. A photo that looks like none pays nothing more.
 */
export async function searchWatermark(
  raster: Raster,
  luma: LumaGridSink,
  opts: { deep: boolean; candidates: () => Promise<readonly string[]>; mayDeep?: () => Promise<boolean> },
): Promise<WatermarkSearch> {
  // one whitened grid for the three: the matching and the deep search start from what the quick search left
  const reading = readWatermark(raster, { luma, deep: opts.deep });
  const ex = reading.extraction;
  if (ex.checked) return { ex, match: null, deep: opts.deep, autoDeep: false };
  // nothing read, or a mark found by its sync pattern alone whose payload failed its checksum (it may be wrong in
  // many bits): the lookalike records are matched against it either way
  const candidates = await opts.candidates();
  const match = matchPayloads(reading, candidates);
  // a mark whose sync pattern was found has its geometry: a deeper search for one would not read it better
  if (match || ex.detected || opts.deep || candidates.length === 0 || !(await (opts.mayDeep?.() ?? true))) return { ex, match, deep: opts.deep, autoDeep: false };
  return { ex: reading.deeper(), match: null, deep: true, autoDeep: true };
}

/**
 * `deep`: the watermark searched for deeper when the quick search finds none (about 0.33 s more; extract.ts,
 * deepSearch). `candidates`: where no mark is read, the payloads (hex) of the records whose picture looks like this
 * one (by its pHash), matched against the copy (match.ts; at most MATCH_PARAMS.maxCandidates are tried), and searched
 * for deeper where none matches and `mayDeep` allows (searchWatermark).
 */
export async function imageSignals(
  bytes: Uint8Array,
  limits: Limits = DEFAULT_LIMITS,
  opts: { deep?: boolean; candidates?: (phash: string) => Promise<readonly string[]>; mayDeep?: () => Promise<boolean> } = {},
): Promise<ImageSignals> {
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
      const { candidates, mayDeep } = opts;
      const { ex, match, deep } = await searchWatermark(pixels.raster, watermarkLuma, {
        deep: opts.deep ?? false,
        candidates: async () => (candidates ? candidates(phash) : []),
        ...(mayDeep ? { mayDeep } : {}),
      });
      watermark = match
        ? { detected: true, payload: match.payload, score: round(match.z), threshold: MATCH_PARAMS.threshold, deep, matched: true }
        : { detected: ex.detected, payload: ex.payload ? Buffer.from(ex.payload).toString('hex') : null, score: round(ex.score), threshold: ex.threshold, deep };
    }
    return { sha256: sha256Hex(bytes), format, width: pixels.raster.width, height: pixels.raster.height, phash, watermark };
  } finally {
    releasePixels(pixels);
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
