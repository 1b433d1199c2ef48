// Custody's invisible watermark: a DWT+DCT spread-spectrum codec with a re-synchronisable tiled layout.
// - where: luminance only, resampled to a working grid tied to the image's size, not its pixels (grid.ts), so a
//   rescaled copy maps onto the same grid; in that grid (the LL band of a Haar level), mid-frequency coefficients of
//   8×8 DCT blocks (layout.ts).
// - what: 128 payload bits and their CRC-24 (crc.ts), convolutionally coded (conv.ts), spread over a 128×128 tile
//   that repeats over the image, next to a known sync pattern; strength follows local texture, fades in near-black
//   areas, and the embedder cancels host interference it can predict (informed.ts); the energy is set per photo by
//   a predicted SSIM loss within a PSNR range (embed.ts).
// - reading: fold the grid onto one tile, find the sync pattern by FFT correlation, decode the payload at the
//   strongest sync peaks and keep a reading whose CRC matches; only when none does, search scales/rotations
//   (extract.ts).
// v2 (this format): 128-px tile, CRC-24, 384 sync slots, SSIM-driven energy; v1 marks do not read as v2.

import { CustodyError } from '../../errors.ts';
import { watermarkDeltaFor, watermarkHost, type WatermarkHost } from './embed.ts';
import { EXTRACT_PARAMS, extractFrom, readGrid } from './extract.ts';
import { gridDims } from './grid.ts';
import type { RowRange } from '../luma.ts';
import { LumaGridSink, addGridDelta, lumaToGrid } from './resample.ts';
import { matchWatermark, type MatchScores } from './match.ts';

export interface Raster {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export const WATERMARK_ALGORITHM = 'org.custody.watermark.dwtdct.v2';
export const WATERMARK_MIN_SIDE = 256;
/** the short side under which extraction does not look for a mark (copies are often smaller than their originals) */
export const WATERMARK_READ_MIN_SIDE = EXTRACT_PARAMS.minSide;
export const WATERMARK_PAYLOAD_BYTES = 16;

export interface Extraction {
  detected: boolean;
  /** 16 bytes when detected, else null */
  payload: Uint8Array | null;
  /**
   * The sync correlation peak over the RMS of its surface at the best geometry (≈ 3.5–5.5 on unmarked photos),
   * plus `threshold` when the payload read there passed its CRC-24 (chance: once in 2^24 per reading, or path of a
   * list-decoded reading, tried), so
   * `detected` is always `score ≥ threshold`.
   */
  score: number;
  threshold: number;
  /**
   * The payload passed its CRC-24. False for a mark found by its sync pattern alone (`score ≥ threshold` with no
   * reading that passed): its payload was decoded without a check and may be wrong in many bits.
   */
  checked: boolean;
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

/**
 * The codec's view of an image's luma, to be filled by scanLuma together with other consumers (the pHash), so that
 * signing and verifying pass over the full-resolution pixels once; hand it to embedWatermark / extractWatermark.
 */
export function watermarkLumaSink(width: number, height: number): LumaGridSink {
  const { gw, gh } = gridDims(width, height);
  return new LumaGridSink(width, height, gw, gh);
}

export interface WatermarkOptions {
  /** a watermarkLumaSink(img.width, img.height) that has seen every row of `img` */
  luma?: LumaGridSink;
}

function gridOf(img: Raster, luma: LumaGridSink | undefined): Float32Array | undefined {
  if (!luma) return undefined;
  const { gw, gh } = gridDims(img.width, img.height);
  if (luma.outW !== gw || luma.outH !== gh) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the luma of a ${img.width}×${img.height} image (a ${gw}×${gh} grid), got a ${luma.outW}×${luma.outH} grid`);
  }
  return luma.grid();
}

/** What embedding `payload` changes: the luminance delta on the working grid, before it is added to the pixels. */
export interface WatermarkPlan {
  width: number;
  height: number;
  gw: number;
  gh: number;
  delta: Float32Array;
}

/**
 * What planning a watermark reads from `img` alone, before the payload is known (embed.ts, watermarkHost): a scan
 * made while the key is not there yet computes it, and planWatermarkOn finishes the plan once the payload is.
 */
export interface PreparedWatermark {
  width: number;
  height: number;
  gw: number;
  gh: number;
  host: WatermarkHost;
}

/** The payload-independent half of planWatermark(img, payload, opts). */
export function prepareWatermark(img: Raster, opts: WatermarkOptions = {}): PreparedWatermark {
  checkRaster(img);
  checkWatermarkSize(img);
  const { gw, gh } = gridDims(img.width, img.height);
  return { width: img.width, height: img.height, gw, gh, host: watermarkHost(img.width, img.height, gridOf(img, opts.luma) ?? lumaToGrid(img, gw, gh)) };
}

/** Plans the watermark carrying the 16-byte `payload` in `img` (applyWatermark adds it to the pixels). */
export function planWatermark(img: Raster, payload: Uint8Array, opts: WatermarkOptions = {}): WatermarkPlan {
  checkRaster(img);
  checkPayload(payload);
  return planOn(prepareWatermark(img, opts), payload);
}

/** planWatermark(img, payload, opts) from prepareWatermark(img, opts): the same plan to the bit. */
export function planWatermarkOn(prepared: PreparedWatermark, payload: Uint8Array): WatermarkPlan {
  checkPayload(payload);
  return planOn(prepared, payload);
}

/** planWatermarkOn once the payload is checked. */
function planOn(prepared: PreparedWatermark, payload: Uint8Array): WatermarkPlan {
  const { width, height, gw, gh } = prepared;
  return { width, height, gw, gh, delta: watermarkDeltaFor(prepared.host, payload) };
}

function checkPayload(payload: Uint8Array): void {
  if (!(payload instanceof Uint8Array) || payload.length !== WATERMARK_PAYLOAD_BYTES) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected a ${WATERMARK_PAYLOAD_BYTES}-byte watermark payload, got ${payload instanceof Uint8Array ? `${payload.length} bytes` : typeof payload}`,
    );
  }
}

function checkWatermarkSize(img: Raster): void {
  if (Math.min(img.width, img.height) < WATERMARK_MIN_SIDE) {
    throw new CustodyError(
      'IMAGE_TOO_SMALL_FOR_WATERMARK',
      `expected an image at least ${WATERMARK_MIN_SIDE} px on its short side, got ${img.width}×${img.height}`,
      { width: img.width, height: img.height, minSide: WATERMARK_MIN_SIDE },
    );
  }
}

/**
 * Adds a planned watermark to `img`: a copy, or `img`'s own pixels changed when `inPlace` (no second full-size
 * buffer), only the rows of `rows` if given (threads sharing the pixels each take a range).
 */
export function applyWatermark(img: Raster, plan: WatermarkPlan, opts: { inPlace?: boolean; rows?: RowRange } = {}): Raster {
  checkRaster(img);
  if (img.width !== plan.width || img.height !== plan.height) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a ${plan.width}×${plan.height} image for this watermark, got ${img.width}×${img.height}`);
  }
  return addGridDelta(img, plan.delta, plan.gw, plan.gh, opts.inPlace ?? false, opts.rows);
}

/**
 * Returns a watermarked copy of `img` (same size and channels; alpha untouched) carrying the 16-byte `payload`;
 * with `inPlace`, `img`'s own pixels are changed and returned (no second full-size buffer).
 */
export function embedWatermark(img: Raster, payload: Uint8Array, opts: WatermarkOptions & { inPlace?: boolean } = {}): Raster {
  return applyWatermark(img, planWatermark(img, payload, opts), opts);
}

/** Looks for a watermark; `detected` is false (and `payload` null) when the detection statistic is under threshold. */
export function extractWatermark(img: Raster, opts: WatermarkOptions & { deep?: boolean } = {}): Extraction {
  checkRaster(img);
  return extractFrom(img, gridOf(img, opts.luma), opts.deep ?? false);
}

/**
 * One copy searched once and then as far as its verifier needs (searchWatermark in core/provenance/image-signals.ts):
 * `extraction` is extractWatermark's, with the deep search when `deep` asked for it; `match` and `deeper` then match
 * candidates (matchWatermarkIn) and search deeper (extractWatermark with `deep`) on the grid the first search
 * whitened, and the deep search starts after the quick one's result instead of running it again. Each gives what
 * those calls give on the same image.
 */
export interface WatermarkReading {
  readonly extraction: Extraction;
  match(payloads: readonly Uint8Array[]): MatchScores;
  deeper(): Extraction;
}

export function readWatermark(img: Raster, opts: WatermarkOptions & { deep?: boolean } = {}): WatermarkReading {
  checkRaster(img);
  const r = readGrid(img, gridOf(img, opts.luma), opts.deep ?? false);
  return {
    extraction: r.first,
    match(payloads) {
      for (const p of payloads) checkPayload(p);
      return matchWatermark(img, payloads, r.grid ? { grid: r.grid } : {});
    },
    deeper: () => r.deeper(),
  };
}

/**
 * Which of `payloads` is marked in `img`, for a verifier that has candidate records when extraction read no mark
 * (match.ts): a copy that kept too little of its mark to be read blind can still carry enough of one record's whole
 * pattern to tell it from the others. `match` is null when no candidate reaches MATCH_PARAMS.threshold.
 */
export function matchWatermarkIn(img: Raster, payloads: readonly Uint8Array[], opts: WatermarkOptions = {}): MatchScores {
  checkRaster(img);
  for (const p of payloads) checkPayload(p);
  return matchWatermark(img, payloads, { luma: gridOf(img, opts.luma) });
}
