// Full-size pictures for the loupe: an item's signed copy, or the original it was signed from while that file is
// still where it was and still holds the bytes that were signed. The bytes go out as they are when a browser shows
// them as they are (JPEG, PNG, WebP), so the loupe shows the real pixels at 1:1, not a re-encode; other formats and
// pictures too large to send whole are rendered by sharp (said in `scaled` when made smaller).
import { readFileSync, statSync } from 'node:fs';
import sharp from '../media/sharp.ts';
import { sha256Hex } from '../media/hash.ts';
import type { Limits } from '../media/detect.ts';

/** A picture larger than this goes out rendered down to PICTURE_MAX_SIDE (a data: URL over JSON has to stay sane). */
export const PICTURE_MAX_BYTES = 24 * 1024 * 1024;
export const PICTURE_MAX_PIXELS = 40_000_000;
export const PICTURE_MAX_SIDE = 8192;

const AS_IS: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface Picture {
  dataUrl: string;
  width: number;
  height: number;
  scaled: boolean;
}

/**
 * The picture at `path` when its bytes hash to `sha256` (a file that was replaced, or a link to something else, is
 * not shown: null), else null too when it is gone or over the desk's limits.
 */
export async function pictureOf(path: string | null, sha256: string | null, limits: Limits): Promise<Picture | null> {
  if (!path || !sha256) return null;
  let bytes: Buffer;
  try {
    if (statSync(path).size > limits.maxImageBytes) return null;
    bytes = readFileSync(path);
  } catch {
    return null;
  }
  if (sha256Hex(bytes) !== sha256) return null;
  try {
    const meta = await sharp(bytes, { limitInputPixels: limits.maxPixels }).metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    const width = (turned ? meta.height : meta.width) ?? 0;
    const height = (turned ? meta.width : meta.height) ?? 0;
    const mime = AS_IS[meta.format ?? ''];
    if (mime && bytes.length <= PICTURE_MAX_BYTES && width * height <= PICTURE_MAX_PIXELS) {
      return { dataUrl: `data:${mime};base64,${bytes.toString('base64')}`, width, height, scaled: false };
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .rotate()
      .resize(PICTURE_MAX_SIDE, PICTURE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 92 })
      .toBuffer({ resolveWithObject: true });
    return { dataUrl: `data:image/jpeg;base64,${data.toString('base64')}`, width: info.width, height: info.height, scaled: info.width !== width || info.height !== height };
  } catch {
    return null; // sharp cannot read it: nothing to show
  }
}
