// The full-resolution pixel work that signing and verifying share out between threads: each job takes a range of
// rows of an image held in a SharedArrayBuffer. Run inline by parallel.ts for its own share, and by pixel-worker.js
// in worker threads for the others; both run this same code, so a row's result does not depend on the thread.
import { scanLuma, type LumaSink, type RowRange } from './luma.ts';
import { PhashSink } from './phash.ts';
import type { Raster } from './watermark/codec.ts';
import { LumaGridSink, addGridDelta } from './watermark/resample.ts';
import type { CoarseShare } from './watermark/extract.ts';

/** An image whose pixels live in a SharedArrayBuffer (starting at byte 0), as posted to a worker. */
export interface SharedPixels {
  buffer: SharedArrayBuffer;
  width: number;
  height: number;
  channels: number;
}

export type PixelJob =
  /** the pHash's horizontal pass and, with `grid`, the watermark's working-grid sums, over `rows` */
  | { kind: 'scan'; pixels: SharedPixels; rows: RowRange; grid: { gw: number; gh: number } | null }
  /** adds the watermark's grid delta to `rows`, in place */
  | { kind: 'add'; pixels: SharedPixels; rows: RowRange; delta: Float32Array; gw: number; gh: number }
  /** a share of the watermark extractor's coarse search (extract.ts), which answers through the shared buffers */
  | { kind: 'coarse'; share: CoarseShare };

export type PixelResult = { kind: 'scan'; mid: Uint8Array; acc: Float64Array | Float32Array | null } | { kind: 'add' } | { kind: 'coarse' };

export function rasterOf(p: SharedPixels): Raster {
  return { data: new Uint8Array(p.buffer, 0, p.width * p.height * p.channels), width: p.width, height: p.height, channels: p.channels };
}

/** A worker's job: the extractor's coarse search loads with its first share (most workers only scan and add). */
export async function runWorkerJob(job: PixelJob): Promise<PixelResult> {
  if (job.kind !== 'coarse') return runPixelJob(job);
  (await import('./watermark/extract.ts')).runCoarseShare(job.share);
  return { kind: 'coarse' };
}

/** The jobs that take a range of rows, which the calling thread also runs for its own share. */
export type RowJob = Exclude<PixelJob, { kind: 'coarse' }>;

export function runPixelJob(job: RowJob): PixelResult {
  const img = rasterOf(job.pixels);
  if (job.kind === 'add') {
    addGridDelta(img, job.delta, job.gw, job.gh, true, job.rows);
    return { kind: 'add' };
  }
  const phash = new PhashSink(img.width, img.height);
  const grid = job.grid ? new LumaGridSink(img.width, img.height, job.grid.gw, job.grid.gh) : null;
  const sinks: LumaSink[] = grid ? [phash, grid] : [phash];
  scanLuma(img, sinks, job.rows);
  return { kind: 'scan', mid: phash.mid, acc: grid?.acc ?? null };
}
