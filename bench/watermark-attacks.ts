// The watermark attack suite of BENCHMARKS.md, with sharp, plus the quality metrics (PSNR, SSIM) and the photo set
// (the skimage photographs and larger photos derived from them in code). Shared by bench/watermark.bench.ts and the
// watermark tests.

import sharp from 'sharp';
type SharpPipe = ReturnType<typeof sharp>;
import type { Raster } from '../core/media/watermark/codec.ts';
import type { Affine } from '../core/media/watermark/grid.ts';
import { PHOTOS, photo } from '../test/fixtures/photos.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';

export const ATTACKS = [
  'none', 'jpeg90', 'jpeg75', 'jpeg60', 'jpeg50', 'webp75', 'resize75', 'resize50', 'screenshot',
  'crop10', 'crop25', 'brightness20', 'contrast20', 'noise5', 'blur1', 'rotate2',
] as const;
/** single steps that only appear inside HARD_ATTACKS' chains */
type ChainStep = 'rotate-4' | 'jpeg80';
/**
 * Issue 23's harder, realistic transforms: a reshare chain, a heavy crop, a larger rotation, mirroring, an aspect
 * change, and compound chains of them with lossy steps.
 */
export const HARD_ATTACKS = [
  'reshare', 'crop50', 'rotate5', 'mirror', 'squeeze90',
  'mirror+crop25+jpeg75', 'rotate5+resize75+jpeg75', 'squeeze90+crop10+webp75', 'rotate-4+mirror+jpeg80',
] as const;
export type Attack = (typeof ATTACKS)[number] | (typeof HARD_ATTACKS)[number] | ChainStep;

export async function loadRaster(file: string | Buffer): Promise<Raster> {
  const { data, info } = await sharp(file, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

function fromRaw(img: Raster): SharpPipe {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } });
}

/** A PNG file of `img`'s pixels (lossless: they read back the same). */
export function pngOf(img: Raster): Promise<Buffer> {
  return fromRaw(img).png().toBuffer();
}

/** `img` resized (Lanczos) to `longSide` pixels on its long side. */
export async function atLongSide(img: Raster, longSide: number): Promise<Raster> {
  const s = longSide / Math.max(img.width, img.height);
  return loadRaster(await fromRaw(img).resize(Math.round(img.width * s), Math.round(img.height * s), { kernel: 'lanczos3' }).png().toBuffer());
}

async function raw(s: SharpPipe): Promise<Raster> {
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

async function reencode(s: SharpPipe): Promise<Raster> {
  return loadRaster(await s.toBuffer());
}

function meanLuma(img: Raster): number {
  const { data, channels } = img;
  const n = img.width * img.height;
  let s = 0;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    s += channels >= 3 ? 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]! : data[p]!;
  }
  return s / n;
}

/** Per-channel affine change a·v + b on colour channels (alpha kept), clamped and rounded like Pillow's point(). */
function affine(img: Raster, a: number, b: number): Raster {
  const out = Uint8Array.from(img.data);
  const colour = img.channels >= 3 ? 3 : 1;
  for (let p = 0; p < out.length; p += img.channels) {
    for (let c = 0; c < colour; c++) out[p + c] = Math.min(255, Math.max(0, Math.round(a * img.data[p + c]! + b)));
  }
  return { ...img, data: out };
}

function gaussianNoise(img: Raster, sigma: number, seed: number): Raster {
  const rand = mulberry32(seed);
  const out = Uint8Array.from(img.data);
  const colour = img.channels >= 3 ? 3 : 1;
  for (let p = 0; p < out.length; p += img.channels) {
    for (let c = 0; c < colour; c++) {
      // Box–Muller
      const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      out[p + c] = Math.min(255, Math.max(0, Math.round(img.data[p + c]! + sigma * g)));
    }
  }
  return { ...img, data: out };
}

function centralCrop(img: Raster, areaKept: number): SharpPipe {
  const f = Math.sqrt(areaKept);
  const w = Math.round(img.width * f);
  const h = Math.round(img.height * f);
  return fromRaw(img).extract({ left: Math.floor((img.width - w) / 2), top: Math.floor((img.height - h) / 2), width: w, height: h });
}

/** Rotation by `deg` degrees about the centre on the same canvas: the corners that leave it are cut, black fills in. */
async function rotateSameCanvas(img: Raster, deg: number): Promise<Raster> {
  const big = await raw(fromRaw(img).rotate(deg, { background: { r: 0, g: 0, b: 0, alpha: 1 } }));
  return raw(fromRaw(big).extract({ left: Math.floor((big.width - img.width) / 2), top: Math.floor((big.height - img.height) / 2), width: img.width, height: img.height }));
}

export async function attack(img: Raster, name: Attack, seed = 1): Promise<Raster> {
  const { width: w, height: h } = img;
  if (name.includes('+')) {
    // a chain: each step in turn, each re-encoding step decoded again before the next
    let out = img;
    for (const step of name.split('+')) out = await attack(out, step as Attack, seed);
    return out;
  }
  switch (name) {
    case 'none':
      return reencode(fromRaw(img).png({ compressionLevel: 1 }));
    case 'jpeg90':
    case 'jpeg75':
    case 'jpeg60':
    case 'jpeg50':
      return reencode(fromRaw(img).jpeg({ quality: Number(name.slice(4)), chromaSubsampling: '4:2:0' }));
    case 'webp75':
      return reencode(fromRaw(img).webp({ quality: 75 }));
    case 'resize75':
    case 'resize50': {
      const f = Number(name.slice(6)) / 100;
      return raw(fromRaw(img).resize(Math.round(w * f), Math.round(h * f), { kernel: 'lanczos3', fit: 'fill' }));
    }
    case 'screenshot':
      return reencode(fromRaw(img).resize(1366, Math.round((h * 1366) / w), { kernel: 'linear', fit: 'fill' }).png({ compressionLevel: 1 }));
    case 'crop10':
      return raw(centralCrop(img, 0.9));
    case 'crop25':
      return raw(centralCrop(img, 0.75));
    case 'brightness20':
      return affine(img, 1.2, 0);
    case 'contrast20':
      // Pillow's ImageEnhance.Contrast: blend with the mean grey, mean + 1.2·(v − mean)
      return affine(img, 1.2, -0.2 * Math.round(meanLuma(img)));
    case 'noise5':
      return gaussianNoise(img, 5, seed);
    case 'blur1':
      return raw(fromRaw(img).blur(1));
    case 'rotate2':
      return rotateSameCanvas(img, 2);
    // issue 23
    case 'reshare': {
      // shared twice: a platform crops 10 % and halves the size at JPEG 70, a second one re-encodes as WebP 75
      const first = await reencode(centralCrop(img, 0.9).resize(Math.round(w * Math.sqrt(0.9) * 0.5), null, { kernel: 'lanczos3' }).jpeg({ quality: 70, chromaSubsampling: '4:2:0' }));
      return reencode(fromRaw(first).webp({ quality: 75 }));
    }
    case 'crop50':
      return raw(centralCrop(img, 0.5));
    case 'rotate5':
      return rotateSameCanvas(img, 5);
    case 'rotate-4':
      return rotateSameCanvas(img, -4);
    case 'mirror':
      return raw(fromRaw(img).flop());
    case 'squeeze90':
      return raw(fromRaw(img).resize(w, Math.round(h * 0.9), { kernel: 'lanczos3', fit: 'fill' }));
    case 'jpeg80':
      return reencode(fromRaw(img).jpeg({ quality: 80, chromaSubsampling: '4:2:0' }));
    default:
      throw new Error(`expected an attack of ATTACKS or HARD_ATTACKS, got ${name}`);
  }
}

/**
 * The linear map that `name` applies from the working grid of a width×height image to the working grid of its
 * attacked copy, about both centres (as extractAt and foldAffine take it). Every attack here keeps the centre; the
 * rounding of the sides by a resize (the screenshot's, the reshare's) is left out.
 * The grid is tied to the short side, so a uniform resize leaves the map as it was, a central crop magnifies it, and
 * a squeeze changes one axis; a mirror flips it (folded under the flip, the copy gives the straight tile back).
 * bench:watermark --geometry reads every copy there too: what the payload gives when the search is not in the way.
 */
export function attackGeometry(name: Attack, width: number, height: number): Affine {
  // the map in pixels (row-major [a, b, c, d]) and the sides of the copy as if no uniform resize had been made
  let m: [number, number, number, number] = [1, 0, 0, 1];
  let w = width;
  let h = height;
  const then = (s: readonly [number, number, number, number]): void => {
    m = [s[0] * m[0] + s[1] * m[2], s[0] * m[1] + s[1] * m[3], s[2] * m[0] + s[3] * m[2], s[2] * m[1] + s[3] * m[3]];
  };
  const crop = (areaKept: number): void => {
    w *= Math.sqrt(areaKept);
    h *= Math.sqrt(areaKept);
  };
  for (const step of name.split('+')) {
    const rotate = /^rotate(-?\d+)$/.exec(step);
    if (rotate) {
      // sharp turns clockwise on the screen (y down): (x, y) → (x cos θ − y sin θ, x sin θ + y cos θ)
      const t = (Number(rotate[1]) * Math.PI) / 180;
      then([Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)]);
    } else if (step === 'mirror') then([-1, 0, 0, 1]);
    else if (step === 'squeeze90') {
      then([1, 0, 0, 0.9]);
      h *= 0.9;
    } else if (step === 'crop10' || step === 'reshare') crop(0.9);
    else if (step === 'crop25') crop(0.75);
    else if (step === 'crop50') crop(0.5);
  }
  const k = Math.min(width, height) / Math.min(w, h);
  return [m[0] * k, m[1] * k, m[2] * k, m[3] * k];
}

/** PSNR over the colour channels (alpha excluded). */
export function psnr(a: Raster, b: Raster): number {
  const colour = a.channels >= 3 ? 3 : 1;
  let se = 0;
  let n = 0;
  for (let p = 0; p < a.data.length; p += a.channels) {
    for (let c = 0; c < colour; c++) {
      const d = a.data[p + c]! - b.data[p + c]!;
      se += d * d;
      n++;
    }
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se);
}

function lumaPlane(img: Raster): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  for (let i = 0, p = 0; i < n; i++, p += img.channels) {
    out[i] = img.channels >= 3 ? 0.299 * img.data[p]! + 0.587 * img.data[p + 1]! + 0.114 * img.data[p + 2]! : img.data[p]!;
  }
  return out;
}

/** Mean SSIM on luminance with skimage's defaults (7×7 uniform window, K1 0.01, K2 0.03, sample covariance). */
export function ssim(a: Raster, b: Raster): number {
  const w = a.width;
  const h = a.height;
  const x = lumaPlane(a);
  const y = lumaPlane(b);
  const r = 3;
  const N = 49;
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const cov = N / (N - 1);
  // column sums over 7 rows, updated as the window slides down
  const sx = new Float64Array(w), sy = new Float64Array(w), sxx = new Float64Array(w), syy = new Float64Array(w), sxy = new Float64Array(w);
  const add = (row: number, k: number): void => {
    const o = row * w;
    for (let i = 0; i < w; i++) {
      const u = x[o + i]!;
      const v = y[o + i]!;
      sx[i] = sx[i]! + k * u;
      sy[i] = sy[i]! + k * v;
      sxx[i] = sxx[i]! + k * u * u;
      syy[i] = syy[i]! + k * v * v;
      sxy[i] = sxy[i]! + k * u * v;
    }
  };
  for (let r0 = 0; r0 < 2 * r + 1; r0++) add(r0, 1);
  let total = 0;
  let count = 0;
  for (let cy = r; cy < h - r; cy++) {
    if (cy > r) {
      add(cy - r - 1, -1);
      add(cy + r, 1);
    }
    let a1 = 0, b1 = 0, aa = 0, bb = 0, ab = 0;
    for (let i = 0; i < 2 * r + 1; i++) {
      a1 += sx[i]!; b1 += sy[i]!; aa += sxx[i]!; bb += syy[i]!; ab += sxy[i]!;
    }
    for (let cx = r; cx < w - r; cx++) {
      if (cx > r) {
        const o = cx - r - 1;
        const q = cx + r;
        a1 += sx[q]! - sx[o]!; b1 += sy[q]! - sy[o]!; aa += sxx[q]! - sxx[o]!; bb += syy[q]! - syy[o]!; ab += sxy[q]! - sxy[o]!;
      }
      const mx = a1 / N;
      const my = b1 / N;
      const vx = (aa / N - mx * mx) * cov;
      const vy = (bb / N - my * my) * cov;
      const vxy = (ab / N - mx * my) * cov;
      total += ((2 * mx * my + C1) * (2 * vxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}

export interface BenchPhoto {
  name: string;
  /** 'graphic': a drawing, diagram or synthetic image, not a photograph (the targets are set on photographs) */
  kind: 'photo' | 'graphic';
  load: () => Promise<Raster>;
}

/**
 * The skimage images that are not photographs: no camera noise or texture to hide a mark in, so a lossy re-encode
 * keeps little of it. The watermark targets are set on real photographs; these are measured and reported beside
 * them, not left out.
 */
export const GRAPHICS: ReadonlyMap<string, string> = new Map([
  ['color.png', 'a synthetic colour wheel (smooth gradients)'],
  ['horse.png', 'a black-and-white silhouette'],
  ['logo.png', 'the scikit-image logo, drawn'],
  ['phantom.png', 'the Shepp–Logan phantom, synthetic'],
]);

/** The skimage photographs that are large enough to carry a watermark (≥ 256 px on the short side). */
export async function skimagePhotos(): Promise<BenchPhoto[]> {
  const out: BenchPhoto[] = [];
  for (const f of PHOTOS) {
    const m = await sharp(photo(f)).metadata();
    if (Math.min(m.width ?? 0, m.height ?? 0) >= 256) out.push({ name: f, kind: GRAPHICS.has(f) ? 'graphic' : 'photo', load: () => loadRaster(photo(f)) });
  }
  return out;
}

const REAL_PHOTOS = ['coins.png', 'cell.png', 'brick.png', 'moon.png', 'grass.png', 'astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'hubble_deep_field.jpg', 'retina.jpg', 'rocket.jpg', 'motorcycle_left.png', 'ihc.png', 'gravel.png'];

/** A cols×rows mosaic of photos, each resized (Lanczos) to cell×cell RGB, saved as JPEG q95 like camera output. */
async function mosaic(names: string[], cols: number, rows: number, cell: number): Promise<Raster> {
  const tiles = await Promise.all(
    names.slice(0, cols * rows).map(async (n, i) => ({
      input: await sharp(photo(n)).removeAlpha().toColourspace('srgb').resize(cell, cell, { fit: 'cover' }).png().toBuffer(),
      left: (i % cols) * cell,
      top: Math.floor(i / cols) * cell,
    })),
  );
  const jpeg = await sharp({ create: { width: cols * cell, height: rows * cell, channels: 3, background: '#808080' } })
    .composite(tiles)
    .jpeg({ quality: 95 })
    .toBuffer();
  return loadRaster(jpeg);
}

/** Larger photographs derived from the skimage ones, 12–17 MP, as a newsroom camera would deliver. */
export function largePhotos(): BenchPhoto[] {
  return [
    { name: 'mosaic-4x3 (17 MP)', kind: 'photo', load: () => mosaic(['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'retina.jpg', 'hubble_deep_field.jpg', 'ihc.png', 'camera.png', 'coins.png', 'gravel.png', 'moon.png'], 4, 3, 1200) },
    { name: 'retina×2.5 (12 MP)', kind: 'photo', load: async () => loadRaster(await sharp(photo('retina.jpg')).resize(3528, 3528, { kernel: 'lanczos3' }).jpeg({ quality: 95 }).toBuffer()) },
    { name: 'mosaic-3x2 (13 MP)', kind: 'photo', load: () => mosaic(['hubble_deep_field.jpg', 'motorcycle_left.png', 'coffee.png', 'brick.png', 'grass.png', 'astronaut.png'], 3, 2, 1500) },
    // the top of BENCHMARKS.md's range (and the sign benchmark's size): every photograph once, the first five twice
    { name: 'mosaic-5x4 (20 MP)', kind: 'photo', load: () => mosaic([...REAL_PHOTOS, ...REAL_PHOTOS], 5, 4, 1000) },
  ];
}

/**
 * The i-th generated variant of an unmarked image, for the false-positive count: crops anywhere in the frame (30–95 %
 * of the area), rotations up to ±10°, mirroring, aspect changes of ±20 %, rescaling 0.4–1.5×, JPEG 50–95 and WebP,
 * and chains of two of these. Deterministic in (i, seed).
 */
export async function unmarkedVariant(img: Raster, i: number, seed = 1): Promise<{ name: string; img: Raster }> {
  const rand = mulberry32(seed * 7919 + i * 104729);
  const between = (a: number, b: number): number => a + (b - a) * rand();
  const step = async (src: Raster, kind: number): Promise<{ name: string; img: Raster }> => {
    const { width: w, height: h } = src;
    switch (kind) {
      case 0: {
        const f = Math.sqrt(between(0.3, 0.95));
        const cw = Math.max(256, Math.round(w * f));
        const ch = Math.max(256, Math.round(h * f));
        if (cw >= w || ch >= h) return { name: 'none', img: src };
        const left = Math.floor(rand() * (w - cw));
        const top = Math.floor(rand() * (h - ch));
        return { name: `crop${cw}x${ch}@${left},${top}`, img: await raw(fromRaw(src).extract({ left, top, width: cw, height: ch })) };
      }
      case 1: {
        const deg = Math.round(between(-10, 10) * 10) / 10;
        return { name: `rotate${deg}`, img: await rotateSameCanvas(src, deg) };
      }
      case 2:
        return { name: 'mirror', img: await raw(fromRaw(src).flop()) };
      case 3: {
        const f = between(0.8, 1.2);
        const across = rand() < 0.5;
        const size: [number, number] = across ? [Math.round(w * f), h] : [w, Math.round(h * f)];
        return { name: `aspect${across ? 'x' : 'y'}${f.toFixed(2)}`, img: await raw(fromRaw(src).resize(size[0], size[1], { kernel: 'lanczos3', fit: 'fill' })) };
      }
      case 4: {
        const f = between(0.4, 1.5);
        return { name: `resize${f.toFixed(2)}`, img: await raw(fromRaw(src).resize(Math.round(w * f), Math.round(h * f), { kernel: 'lanczos3', fit: 'fill' })) };
      }
      default: {
        const q = Math.round(between(50, 95));
        const webp = rand() < 0.3;
        return { name: `${webp ? 'webp' : 'jpeg'}${q}`, img: await reencode(webp ? fromRaw(src).webp({ quality: q }) : fromRaw(src).jpeg({ quality: q })) };
      }
    }
  };
  const first = await step(img, Math.floor(rand() * 6));
  if (rand() < 0.5) return first;
  const second = await step(first.img, Math.floor(rand() * 6));
  return { name: `${first.name}+${second.name}`, img: second.img };
}
