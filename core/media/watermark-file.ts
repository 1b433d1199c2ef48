// Watermark embedding and extraction on files, for `custody watermark embed|extract`.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { CustodyError } from '../errors.ts';
import { commitOutput } from '../provenance/output.ts';
import { DEFAULT_LIMITS, detectFile, isImageFormat, type ImageFormat, type Limits } from './detect.ts';
import { decodeImage, encodeImage, probeImage } from './image.ts';
import { embedWatermark, extractWatermark, matchWatermarkIn, type Extraction } from './watermark/codec.ts';
import { MATCH_PARAMS, type MatchScores } from './watermark/match.ts';

async function readImage(path: string, limits: Limits) {
  const { format } = await detectFile(path, limits);
  if (!isImageFormat(format)) throw new CustodyError('UNSUPPORTED_FORMAT', `expected a still image, got ${format.toUpperCase()} video`);
  const bytes = await readFile(path);
  const info = await probeImage(bytes, format, limits);
  return { format, bytes, info, raster: await decodeImage(bytes, format, limits) };
}

export function parsePayload(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a payload of 32 hex digits (128 bits), got ${JSON.stringify(hex)} (${hex.length} characters)`);
  }
  return Buffer.from(hex, 'hex');
}

/** Embeds `payload` into the image at `input` and writes it to `output`, in the input's format. */
export async function embedWatermarkFile(input: string, output: string, payload: Uint8Array, limits: Limits = DEFAULT_LIMITS): Promise<string> {
  const img = await readImage(input, limits);
  const want = extname(output).slice(1).toLowerCase();
  const same: Record<ImageFormat, string[]> = { jpeg: ['jpg', 'jpeg'], png: ['png'], webp: ['webp'], tiff: ['tif', 'tiff'], heif: ['heic', 'heif'], avif: ['avif'] };
  if (want && !same[img.format].includes(want)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an output name ending in .${same[img.format][0]} (the input is ${img.format.toUpperCase()}), got .${want}`);
  }
  // the decoded pixels are ours alone: marked in place, no second full-size buffer (36 MB at 12 MP)
  const marked = embedWatermark(img.raster, payload, { inPlace: true });
  const encoded = await encodeImage(marked, img.format, img.bytes, img.info);
  return commitOutput({ dir: dirname(output), name: basename(output) }, encoded, () => {});
}

export async function extractWatermarkFile(input: string, limits: Limits = DEFAULT_LIMITS, deep = false): Promise<Extraction & { width: number; height: number }> {
  const { raster } = await readImage(input, limits);
  return { ...extractWatermark(raster, { deep }), width: raster.width, height: raster.height };
}

/**
 * Which of `payloads` is marked in the image at `input` (match.ts): for a copy whose mark is too faint to read blind
 * when the candidate records are known. `match` is null when none reaches the threshold.
 */
export async function matchWatermarkFile(input: string, payloads: readonly Uint8Array[], limits: Limits = DEFAULT_LIMITS): Promise<MatchScores & { width: number; height: number }> {
  if (payloads.length === 0 || payloads.length > MATCH_PARAMS.maxCandidates) {
    throw new CustodyError('INVALID_ARGUMENT', `expected 1 to ${MATCH_PARAMS.maxCandidates} payloads to match, got ${payloads.length}`);
  }
  const { raster } = await readImage(input, limits);
  return { ...matchWatermarkIn(raster, payloads), width: raster.width, height: raster.height };
}
