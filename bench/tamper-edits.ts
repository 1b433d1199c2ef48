// Local edits of a picture for the tamper benchmark and tests, each with the rectangle it touched (the truth a
// localisation is scored against): a black box, a clone-stamp, a patch from another photo (a face swap-in), text
// added, a blurred region and an object removed by inpainting. OpenCV is not installable here, so the inpainting is a
// push-pull diffusion fill (the hole filled from ever coarser averages of its surroundings, then smoothed), which is
// what cv2.INPAINT_TELEA does in spirit: the removed object's texture is replaced by smooth colour from its edge.
import sharp from 'sharp';
import type { Raster } from '../core/media/watermark/codec.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';

export const EDITS = ['box', 'clone', 'patch', 'text', 'blur', 'inpaint'] as const;
export type Edit = (typeof EDITS)[number];

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Edited {
  raster: Raster;
  rect: Rect;
}

function rgb(img: Raster): Raster {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0; i < n; i++, p += img.channels) {
    const c = img.channels >= 3 ? [img.data[p]!, img.data[p + 1]!, img.data[p + 2]!] : [img.data[p]!, img.data[p]!, img.data[p]!];
    out.set(c, i * 3);
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/** Std of the luma inside a rectangle: where an edit changes something one can see. */
function texture(img: Raster, r: Rect): number {
  let s = 0, ss = 0, n = 0;
  for (let y = r.y; y < r.y + r.h; y += 2) {
    for (let x = r.x; x < r.x + r.w; x += 2) {
      const p = (y * img.width + x) * 3;
      const l = 0.299 * img.data[p]! + 0.587 * img.data[p + 1]! + 0.114 * img.data[p + 2]!;
      s += l; ss += l * l; n++;
    }
  }
  const m = s / n;
  return Math.sqrt(Math.max(0, ss / n - m * m));
}

/**
 * A rectangle of `share` of the picture's area, aspect between 2:3 and 3:2, placed at random; with `textured`, the
 * most textured of 8 random places (a blur or a removal on a flat sky changes nothing a viewer could see).
 */
export function placeRect(img: Raster, share: number, rand: () => number, textured = false): Rect {
  const area = share * img.width * img.height;
  const aspect = 2 / 3 + rand() * (5 / 6);
  const w = Math.min(img.width - 2, Math.round(Math.sqrt(area * aspect)));
  const h = Math.min(img.height - 2, Math.round(area / w));
  const at = (): Rect => ({ x: 1 + Math.floor(rand() * (img.width - w - 2)), y: 1 + Math.floor(rand() * (img.height - h - 2)), w, h });
  if (!textured) return at();
  let best = at();
  let bestT = texture(img, best);
  for (let i = 0; i < 7; i++) {
    const r = at();
    const t = texture(img, r);
    if (t > bestT) {
      best = r;
      bestT = t;
    }
  }
  return best;
}

function fill(img: Raster, r: Rect, f: (x: number, y: number, p: number) => void): Raster {
  const out = { ...img, data: Uint8Array.from(img.data) };
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) f(x, y, (y * img.width + x) * 3);
  return out;
}

/**
 * Applies `edit` over about `share` of the area (seeded); `donor` is another photo, for the patch. The rectangle
 * returned is what the edit visibly changed (pixels more than 24 levels off), within the placed rectangle: the
 * glyphs of a text, not the box they were fitted in.
 */
export async function applyEdit(src: Raster, edit: Edit, share: number, seed: number, donor: Raster): Promise<Edited> {
  const img = rgb(src);
  const e = await place(img, edit, share, seed, donor);
  return { raster: e.raster, rect: changedBox(img, e.raster, e.rect) };
}

function changedBox(a: Raster, b: Raster, r: Rect): Rect {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = r.y; y < r.y + r.h; y++) {
    for (let x = r.x; x < r.x + r.w; x++) {
      const p = (y * a.width + x) * 3;
      if (Math.abs(a.data[p]! - b.data[p]!) + Math.abs(a.data[p + 1]! - b.data[p + 1]!) + Math.abs(a.data[p + 2]! - b.data[p + 2]!) > 24) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? r : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

async function place(img: Raster, edit: Edit, share: number, seed: number, donor: Raster): Promise<Edited> {
  const rand = mulberry32(seed);
  const rect = placeRect(img, share, rand, edit === 'blur' || edit === 'inpaint' || edit === 'clone');
  const { width: W } = img;
  switch (edit) {
    case 'box': {
      const out = fill(img, rect, () => {});
      for (let y = rect.y; y < rect.y + rect.h; y++) out.data.fill(0, (y * W + rect.x) * 3, (y * W + rect.x + rect.w) * 3);
      return { raster: out, rect };
    }
    case 'clone': {
      // the source: the same size, somewhere else not overlapping the target
      let sx = 0, sy = 0;
      for (let i = 0; i < 50; i++) {
        sx = Math.floor(rand() * (img.width - rect.w));
        sy = Math.floor(rand() * (img.height - rect.h));
        if (Math.abs(sx - rect.x) >= rect.w || Math.abs(sy - rect.y) >= rect.h) break;
      }
      const out = { ...img, data: Uint8Array.from(img.data) };
      for (let y = 0; y < rect.h; y++) out.data.set(img.data.subarray(((sy + y) * W + sx) * 3, ((sy + y) * W + sx + rect.w) * 3), ((rect.y + y) * W + rect.x) * 3);
      return { raster: out, rect };
    }
    case 'patch': {
      const d = rgb(donor);
      const piece = await sharp(d.data, { raw: { width: d.width, height: d.height, channels: 3 } }).resize(rect.w, rect.h, { fit: 'cover' }).raw().toBuffer();
      const out = { ...img, data: Uint8Array.from(img.data) };
      for (let y = 0; y < rect.h; y++) out.data.set(piece.subarray(y * rect.w * 3, (y + 1) * rect.w * 3), ((rect.y + y) * W + rect.x) * 3);
      return { raster: out, rect };
    }
    case 'text': {
      // a caption block over the rectangle: two or three lines, each stretched to its width
      const texts = [['BREAKING', 'NEWS'], ['FAKE', 'PHOTO', 'SOLD'], ['EXCLUSIVE', 'LIVE'], ['STAGED', 'SCENE', 'HERE']];
      const lines = texts[Math.floor(rand() * texts.length)]!;
      const lh = rect.h / lines.length;
      const body = lines.map((l, i) => `<text x="${rect.w * 0.02}" y="${lh * (i + 0.82)}" textLength="${rect.w * 0.96}" lengthAdjust="spacingAndGlyphs" font-family="DejaVu Sans" font-weight="bold" font-size="${lh * 0.95}" fill="#fff" stroke="#000" stroke-width="${Math.max(1, lh / 16)}">${l}</text>`).join('');
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${rect.w}" height="${rect.h}">${body}</svg>`;
      const buf = await sharp(img.data, { raw: { width: W, height: img.height, channels: 3 } }).composite([{ input: Buffer.from(svg), left: rect.x, top: rect.y }]).removeAlpha().raw().toBuffer();
      return { raster: { ...img, data: new Uint8Array(buf) }, rect };
    }
    case 'blur': {
      const sigma = Math.max(3, Math.min(rect.w, rect.h) / 8);
      const piece = await sharp(img.data, { raw: { width: W, height: img.height, channels: 3 } }).extract({ left: rect.x, top: rect.y, width: rect.w, height: rect.h }).blur(sigma).raw().toBuffer();
      const out = { ...img, data: Uint8Array.from(img.data) };
      for (let y = 0; y < rect.h; y++) out.data.set(piece.subarray(y * rect.w * 3, (y + 1) * rect.w * 3), ((rect.y + y) * W + rect.x) * 3);
      return { raster: out, rect };
    }
    case 'inpaint':
      return { raster: inpaint(img, rect), rect };
  }
}

/** Push-pull diffusion fill of `r` from its surroundings, then 30 Jacobi sweeps inside the hole. */
export function inpaint(img: Raster, r: Rect): Raster {
  const { width: W, height: H } = img;
  const out = { ...img, data: Uint8Array.from(img.data) };
  for (let c = 0; c < 3; c++) {
    // levels of (sum of known values, count of known) down to 1×1
    const levels: { w: number; h: number; v: Float64Array; m: Float64Array }[] = [];
    let w = W, h = H;
    let v = new Float64Array(W * H);
    let m = new Float64Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const hole = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
        if (!hole) {
          v[y * W + x] = img.data[(y * W + x) * 3 + c]!;
          m[y * W + x] = 1;
        }
      }
    }
    levels.push({ w, h, v, m });
    while (w > 1 || h > 1) {
      const nw = Math.max(1, Math.ceil(w / 2));
      const nh = Math.max(1, Math.ceil(h / 2));
      const nv = new Float64Array(nw * nh);
      const nm = new Float64Array(nw * nh);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const j = (y >> 1) * nw + (x >> 1);
        nv[j] = nv[j]! + v[y * w + x]!;
        nm[j] = nm[j]! + m[y * w + x]!;
      }
      levels.push({ w: nw, h: nh, v: nv, m: nm });
      w = nw; h = nh; v = nv; m = nm;
    }
    // pull: each level's value is its own average where known, else the coarser level's
    let coarse = new Float64Array([levels[levels.length - 1]!.v[0]! / Math.max(1e-9, levels[levels.length - 1]!.m[0]!)]);
    for (let l = levels.length - 2; l >= 0; l--) {
      const L = levels[l]!;
      const cw = levels[l + 1]!.w;
      const val = new Float64Array(L.w * L.h);
      for (let y = 0; y < L.h; y++) for (let x = 0; x < L.w; x++) {
        const i = y * L.w + x;
        const known = L.m[i]!;
        const up = coarse[(y >> 1) * cw + (x >> 1)]!;
        // a partly known cell blends its known average with the coarser estimate by how much of it is known
        const cell = l === 0 ? 1 : 4 ** l;
        const share = Math.min(1, known / cell);
        val[i] = known > 0 ? share * (L.v[i]! / known) + (1 - share) * up : up;
      }
      coarse = val;
    }
    const plane = coarse;
    for (let it = 0; it < 30; it++) {
      for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) {
        const i = y * W + x;
        plane[i] = (plane[Math.max(0, y - 1) * W + x]! + plane[Math.min(H - 1, y + 1) * W + x]! + plane[y * W + Math.max(0, x - 1)]! + plane[y * W + Math.min(W - 1, x + 1)]!) / 4;
      }
    }
    for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) out.data[(y * W + x) * 3 + c] = Math.round(plane[y * W + x]!);
  }
  return out;
}

/** Intersection over union of two rectangles. */
export function iou(a: Rect, b: Rect): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const i = ix * iy;
  return i / (a.w * a.h + b.w * b.h - i);
}
