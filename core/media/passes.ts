// The full-resolution passes of signing and verifying a photo, on the calling thread or shared out by rows with the
// pixel workers (pixel-pool.ts): the perceptual scan (Pillow's luma feeding the pHash's Lanczos pass and the
// watermark's working grid together, in one pass over the pixels) and the watermark's add-back.
//
// Sharing needs the pixels in a SharedArrayBuffer: sharePixels copies a decoded image there once (20 MP: ~4 ms into
// a reused buffer, ~35 ms into fresh memory), which pays for itself from a few megapixels on. A scan job a worker fails is redone on the calling thread.
import { scanLuma, type LumaSink, type RowRange } from './luma.ts';
import { PhashSink, phashHex } from './phash.ts';
import { rasterOf, runPixelJob, type RowJob, type PixelResult, type SharedPixels } from './pixel-jobs.ts';
import { pixelPoolIfReady, type PixelPool } from './pixel-pool.ts';
import { WATERMARK_MIN_SIDE, applyWatermark, watermarkLumaSink, type Raster, type WatermarkPlan } from './watermark/codec.ts';
import type { LumaGridSink } from './watermark/resample.ts';

/** Below this many pixels the copy into shared memory and the messages cost more than the second thread saves. */
export const SHARE_MIN_PIXELS = 2_000_000;

/** A decoded image ready for the passes: its pixels shared with the pool's workers, or not (then inline). */
export interface Pixels {
  raster: Raster;
  shared: SharedPixels | null;
  pool: PixelPool | null;
}

/**
 * One shared buffer kept between photos (released by releasePixels, dropped after a minute unused): fresh memory
 * costs a page fault per 4 KiB on first touch, which on these VMs is most of the copy's cost.
 */
let spare: SharedArrayBuffer | null = null;
let spareTimer: NodeJS.Timeout | null = null;
const SPARE_KEEP_MS = 60_000;

function takeBuffer(bytes: number): SharedArrayBuffer {
  if (spare && spare.byteLength >= bytes && spare.byteLength <= 2 * bytes) {
    const b = spare;
    spare = null;
    return b;
  }
  return new SharedArrayBuffer(bytes);
}

/** Hands the shared buffer of `px` back for the next photo; `px` must not be used afterwards. */
export function releasePixels(px: Pixels): void {
  if (!px.shared) return;
  spare = px.shared.buffer;
  if (spareTimer) clearTimeout(spareTimer);
  spareTimer = setTimeout(() => (spare = null), SPARE_KEEP_MS);
  spareTimer.unref();
}

/**
 * Starts the process's pool, without waiting for it, when an image of this size will be shared with it: called
 * before decoding, so that the pool is up when the pixels are (a fresh process's first photo shares its passes too).
 */
export function expectPixels(width: number, height: number): void {
  if (width * height >= SHARE_MIN_PIXELS) pixelPoolIfReady();
}

/**
 * Copies `raster` into shared memory when the image is large enough to gain from it and a pool is up (by default
 * the process's pool, which the first large image starts without waiting for it).
 */
export function sharePixels(raster: Raster, pool: PixelPool | null | 'default' = 'default'): Pixels {
  if (raster.width * raster.height < SHARE_MIN_PIXELS) return { raster, shared: null, pool: null };
  const p = pool === 'default' ? pixelPoolIfReady() : pool;
  if (!p) return { raster, shared: null, pool: null };
  const buffer = takeBuffer(raster.data.length);
  new Uint8Array(buffer).set(raster.data);
  const shared: SharedPixels = { buffer, width: raster.width, height: raster.height, channels: raster.channels };
  return { raster: rasterOf(shared), shared, pool: p };
}

/** Rows split into `parts` ranges of about equal size. */
function split(height: number, parts: number): RowRange[] {
  const out: RowRange[] = [];
  for (let i = 0; i < parts; i++) {
    const from = Math.round((i * height) / parts);
    const to = Math.round(((i + 1) * height) / parts);
    if (to > from) out.push({ from, to });
  }
  return out;
}

/**
 * Runs `job(rows)` for every range: the first on this thread, the others in workers. A job that only reads
 * (`retry`) is redone on this thread when its worker fails; one that writes is not (it may have half run).
 */
async function shareOut(
  px: Pixels,
  job: (rows: RowRange) => RowJob,
  inline: (rows: RowRange) => void,
  merge: (r: PixelResult) => void,
  retry: boolean,
): Promise<void> {
  const [own, ...rest] = split(px.raster.height, 1 + px.pool!.size);
  const remote = rest.map((rows) => {
    const run = px.pool!.run(job(rows));
    return retry ? run.catch(() => runPixelJob(job(rows))) : run;
  });
  inline(own!);
  for (const r of await Promise.all(remote)) merge(r);
}

export interface PerceptualScan {
  /** imagehash.phash, 16 hex digits */
  phash: string;
  /** for planWatermark / extractWatermark; null when the image is under the scan's watermarkMinSide */
  watermarkLuma: LumaGridSink | null;
}

/**
 * The pHash and the watermark's view of the luma, from one pass over the pixels. `watermarkMinSide`: the short side
 * under which no watermark view is made: WATERMARK_MIN_SIDE to carry one (signing), WATERMARK_READ_MIN_SIDE to look
 * for one (a reshared copy is often smaller than what a mark is embedded in).
 */
export async function perceptualScan(px: Pixels, watermarkMinSide = WATERMARK_MIN_SIDE): Promise<PerceptualScan> {
  const { raster } = px;
  const phash = new PhashSink(raster.width, raster.height);
  const watermarkLuma = Math.min(raster.width, raster.height) >= watermarkMinSide ? watermarkLumaSink(raster.width, raster.height) : null;
  const sinks: LumaSink[] = watermarkLuma ? [phash, watermarkLuma] : [phash];
  if (!px.shared) {
    scanLuma(raster, sinks);
  } else {
    const shared = px.shared;
    const grid = watermarkLuma ? { gw: watermarkLuma.outW, gh: watermarkLuma.outH } : null;
    await shareOut(
      px,
      (rows) => ({ kind: 'scan', pixels: shared, rows, grid }),
      (rows) => scanLuma(raster, sinks, rows),
      (r) => {
        if (r.kind !== 'scan') return;
        phash.absorb(r.mid);
        if (watermarkLuma && r.acc) watermarkLuma.absorb(r.acc);
      },
      true,
    );
  }
  return { phash: phashHex(phash.hash()), watermarkLuma };
}

/** Adds a planned watermark to the pixels, in place. */
export async function markPixels(px: Pixels, plan: WatermarkPlan): Promise<Raster> {
  if (!px.shared) return applyWatermark(px.raster, plan, { inPlace: true });
  const shared = px.shared;
  await shareOut(
    px,
    (rows) => ({ kind: 'add', pixels: shared, rows, delta: plan.delta, gw: plan.gw, gh: plan.gh }),
    (rows) => void applyWatermark(px.raster, plan, { inPlace: true, rows }),
    () => {},
    false,
  );
  return px.raster;
}
