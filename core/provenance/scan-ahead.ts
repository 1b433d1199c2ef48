// A photo scanned while the vault unlocks. A fresh `custody sign` waits for the key derivation (scrypt, most of a
// second on a libuv thread) before it may sign, and the first half of signing a photo needs no key: reading,
// decoding, the pHash, the watermark's luma grid and the layout (render-image.ts, scanPhoto). The desk starts that
// half for the command's first file while the derivation runs (Desk.prepareSigning) and the sign takes it.
//
// Nothing here is a use case: no key, no record, no output, nothing shown. The sign reads the file again, hashes
// what it read, checks who acts and whether those bytes were signed before, and takes the scan only when it was made
// from bytes of the same SHA-256 (so from the same bytes): the record binds what the sign read, and a file changed
// in between is scanned again from the bytes it binds.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { detectFile, isImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { releasePixels } from '../media/passes.ts';
import type { PixelPool } from '../media/pixel-pool.ts';
import { hasManifest } from '../c2pa/read.ts';
import { scanPhoto, type PhotoScan } from './render-image.ts';
import { C2PA_MIME } from './sign-image.ts';

/**
 * While the vault unlocks one core runs the key derivation and this thread the scan: a pixel worker helps only where
 * a third core is free for it. On two cores its start and its first (cold) passes competed with both: a fresh
 * `custody sign` of a 20 MP photo took 1.185 s with the worker and 1.070 s without (median of 10 each, alternated;
 * CPU 1.80 → 1.59 s). Without the worker the photo is marked on this thread too, and the pool starts with the
 * command's next photo.
 */
export function scanAheadPool(cores = availableParallelism()): 'default' | null {
  return cores >= 3 ? 'default' : null;
}

export class ScanAhead {
  readonly path: string;
  readonly #result: Promise<{ sha256: string; scan: PhotoScan } | null>;
  #settled = false;

  /**
   * Starts scanning the photo at `path` (an absolute path, confined by the caller); anything that fails leaves no
   * scan. `pool`: the pixel workers to share its rows with (as scanPhoto); by default the process's only where a
   * third core is free (scanAheadPool). `c2pa`: the sign will write Content Credentials, so whether the original
   * already carries some (originOf) is looked up too, once the scan is done.
   */
  constructor(path: string, limits: Limits, pool: PixelPool | null | 'default' = scanAheadPool(), c2pa = false) {
    this.path = path;
    this.#result = (async () => {
      const { format } = await detectFile(path, limits);
      if (!isImageFormat(format)) return null;
      const bytes = await readFile(path);
      const scan = await scanPhoto(bytes, format, limits, pool);
      const mime = C2PA_MIME[format];
      if (c2pa && mime) {
        // a corrupt file rejects where the render awaits it, as hasManifest did there; untaken, it is ignored
        const present = hasManifest(bytes, mime);
        present.catch(() => undefined);
        scan.manifest = { mime, present };
      }
      return { sha256: sha256Hex(bytes), scan };
    })().catch(() => null);
  }

  /** Settles when the scan is ready or has failed (true: a scan is there to take); never rejects. */
  ready(): Promise<boolean> {
    return this.#result.then((r) => r !== null);
  }

  /**
   * The scan, if it was made from bytes of this SHA-256 (the bytes the sign read and binds), else null; once. A scan
   * taken is the render's to release; one of other bytes is released here.
   */
  async take(sha256: string): Promise<PhotoScan | null> {
    if (this.#settled) return null;
    this.#settled = true;
    const r = await this.#result;
    if (!r) return null;
    if (r.sha256 === sha256) return r.scan;
    releasePixels(r.scan.pixels);
    return null;
  }

  /** Gives the scan's memory back when it was not taken (the sign failed before, or signed something else). */
  drop(): void {
    if (this.#settled) return;
    this.#settled = true;
    void this.#result.then((r) => r && releasePixels(r.scan.pixels));
  }
}
