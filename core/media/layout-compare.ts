// Where a copy's content differs from the signed picture: register the copy onto the original's layout (layout.ts)
// — a crop and a resize are one scale and one offset, found by normalised cross-correlation, coarse then fine — fit
// the copy's brightness and contrast as one global curve, and mark the cells whose residual is larger than
// re-encoding and sub-pixel misalignment explain, or whose texture was wiped out (a blur, an inpainted removal) or
// appeared (text, a pasted patch). Connected marked cells become regions in the original's pixel coordinates.
import { resampleArea, type Layout } from './layout.ts';
import { turnBack } from './layout-rotation.ts';
import { photometricFit, tone, detail, blur121, box, erode, close, count, components } from './layout-grid.ts';

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
  /** 'changed': different content; 'smoothed': detail wiped out (a blur, a removal); 'global': most of the frame */
  kind: 'changed' | 'smoothed' | 'global';
}

export interface LayoutComparison {
  /** Whether the copy could be placed on the original at all (a correlation of at least ALIGN_MIN). */
  aligned: boolean;
  /** Normalised cross-correlation of the aligned copy with the original's layout. */
  correlation: number;
  /** The part of the original the copy shows, in the original's pixels. */
  footprint: { x: number; y: number; w: number; h: number };
  /** Copy pixels per original pixel. */
  scale: number;
  /** The share of the footprint that matches the original within tolerance (the rest is what changed). */
  inliers: number;
  /** Brightness and contrast: copy ≈ gain·original + offset. */
  gain: number;
  offset: number;
  /** Changed regions, in the original's pixels; empty when only global transforms happened. */
  regions: Region[];
  /** The share of the shown footprint the regions cover. */
  changedShare: number;
  /** Degrees (clockwise) the copy was turned by, and turned back before the comparison; absent when upright. */
  rotation?: number;
}

/**
 * The share of the footprint that must match the original, aligned, for the copy to count as this picture's framing
 * at all (else it is rotated, mirrored, heavily filtered or another picture, and no regions are reported).
 */
export const ALIGN_MIN = 0.5;
/** A change smaller than this share of the shown picture is not reported (sub-cell noise). */
const MIN_REGION_SHARE = 0.004;
/** Past this share the change is global (a filter, a different picture), not local. */
const GLOBAL_SHARE = 0.5;
/** The residual floor (grey levels) and the tolerance per unit of local gradient (sub-pixel misalignment). */
const FLOOR = 9;
const GRADIENT_TOLERANCE = 0.65;
/** Detail (what a 3×3 blur removes) kept below this share of the original's: smoothed (tuned by bench:tamper). */
const SMOOTHED_DETAIL = 0.5;

interface Geometry {
  /** footprint left, top, and width in layout cells; the height follows from the aspects */
  x0: number;
  y0: number;
  fw: number;
}

/** A copy turned by up to this many degrees either way is turned back before it is compared. */
const TURN_MAX = 5;
const TURN_STEP = 0.5;
/** A turn is taken only when this much more of the copy matches the original with it than without. */
const TURN_GAIN = 0.02;

/**
 * Compares a copy with the layout of the original. `copy` is the copy's luma at any resolution with the copy's
 * aspect (`cw`×`ch` cells for a `copyWidth`×`copyHeight` image); `original` gives the signed image's pixel size.
 * Laid over upright first; when that leaves changed areas or does not align, the copy is also tried turned back by
 * the angle (up to ±5°) under which it correlates best, and that is kept when it explains the copy better: more of
 * it matches and less of it is left changed (a local edit stays where it is under any turn).
 */
export function compareLayout(layout: Layout, original: { width: number; height: number }, copy: Float32Array, cw: number, ch: number, copySize: { width: number; height: number }): LayoutComparison {
  const upright = compareFrame(layout, original, copy, cw, ch, copySize, null);
  if (upright.cmp.aligned && upright.cmp.regions.length === 0) return upright.cmp;
  const O = Float32Array.from(layout.data);
  const degrees = findTurn(O, layout.width, layout.height, copy, cw, ch, upright.hPerW, [upright.full, ...(upright.g ? [upright.g] : [])]);
  if (degrees === null) return upright.cmp;
  const t = turnBack(copy, cw, ch, degrees);
  const turned = compareFrame(layout, original, t.values, cw, ch, copySize, t.valid).cmp;
  const better = turned.aligned && (!upright.cmp.aligned || (turned.inliers >= upright.cmp.inliers + TURN_GAIN && turned.changedShare <= upright.cmp.changedShare));
  return better ? { ...turned, rotation: round3(degrees) } : upright.cmp;
}

/**
 * The angle under which the copy, turned back, correlates best with the layout at one of `seeds` (the upright
 * registration's framing and the whole frame): every half degree up to ±5°, then a quarter degree either side of the
 * best. Null when upright correlates best. Scored on a copy at twice the layout's size: cheap, and enough to rank.
 */
function findTurn(O: Float32Array, tw: number, th: number, copy: Float32Array, cw: number, ch: number, hPerW: number, seeds: Geometry[]): number | null {
  const sw = Math.min(cw, 2 * tw);
  const sh = Math.max(1, Math.round((sw * ch) / cw));
  const small = sw < cw ? resampleArea(copy, cw, ch, sw, sh) : copy;
  const smallW = sw < cw ? sw : cw;
  const smallH = sw < cw ? sh : ch;
  const score = (deg: number): number => {
    const t = deg === 0 ? { values: small, valid: null } : turnBack(small, smallW, smallH, deg);
    let best = -1;
    for (const g of seeds) {
      const s = sample(t.values, smallW, smallH, g, hPerW, tw, th, 2, t.valid);
      best = Math.max(best, ncc(O, s.values, s.inside));
    }
    return best;
  };
  let bestDeg = 0;
  let bestScore = score(0);
  for (let d = TURN_STEP; d <= TURN_MAX + 1e-9; d += TURN_STEP) {
    for (const deg of [d, -d]) {
      const s = score(deg);
      if (s > bestScore) {
        bestScore = s;
        bestDeg = deg;
      }
    }
  }
  if (bestDeg === 0) return null;
  for (const deg of [bestDeg - TURN_STEP / 2, bestDeg + TURN_STEP / 2]) {
    const s = score(deg);
    if (s > bestScore) {
      bestScore = s;
      bestDeg = deg;
    }
  }
  return bestDeg;
}

/**
 * One comparison with the copy as given. `valid` (1 inside, 0 outside, at the copy's resolution) marks what a turn
 * brought in from outside the copy's frame: cells that need it are outside the footprint.
 */
function compareFrame(layout: Layout, original: { width: number; height: number }, copy: Float32Array, cw: number, ch: number, copySize: { width: number; height: number }, valid: Float32Array | null): { cmp: LayoutComparison; g: Geometry | null; full: Geometry; hPerW: number } {
  const { width: tw, height: th } = layout;
  const O = Float32Array.from(layout.data);
  // footprint height in layout rows per layout column of width: the copy's aspect in the layout's cell units
  const cellAspect = (original.width / tw) / (original.height / th);
  const hPerW = (copySize.height / copySize.width) * cellAspect;
  const fwMax = Math.min(tw, th / hPerW);
  const geometry = register(O, tw, th, copy, cw, ch, hPerW, fwMax, valid);
  const full: Geometry = { x0: (tw - fwMax) / 2, y0: (th - fwMax * hPerW) / 2, fw: fwMax };
  const cellW = original.width / tw;
  const cellH = original.height / th;
  const footprintOf = (g: Geometry) => ({ x: Math.round(g.x0 * cellW), y: Math.round(g.y0 * cellH), w: Math.round(g.fw * cellW), h: Math.round(g.fw * hPerW * cellH) });
  const none = (g: Geometry, correlation: number): LayoutComparison => ({
    aligned: false, correlation: round3(correlation), inliers: 0, footprint: footprintOf(g), scale: round3(copySize.width / (g.fw * cellW)), gain: 1, offset: 0, regions: [], changedShare: 0,
  });
  if (!geometry) return { cmp: none({ x0: 0, y0: 0, fw: fwMax }, 0), g: null, full, hPerW };
  const { g, inliers, correlation } = geometry;
  if (inliers < ALIGN_MIN) return { cmp: none(g, correlation), g, full, hPerW };
  // The copy over the layout's cells, each an area average of what the cell covers in the copy, like the layout's
  // own cells (bilinear sampling, good enough to register, blurs detail by up to half at half-cell offsets).
  const area = cellsOfCopy(copy, cw, ch, g, hPerW, tw, th, valid);
  const { gain, offset, curve } = photometricFit(O, area.values, erode(area.inside, tw, th, 1));
  // outside the footprint the copy says nothing: the prediction stands in, so that windows at the edge see no change
  const Q0 = new Float32Array(area.values.length);
  for (let i = 0; i < Q0.length; i++) Q0[i] = area.inside[i] ? area.values[i]! : tone(curve, O[i]!);
  const inside = erode(area.inside, tw, th, 1);
  const Q = blur121(Q0, tw, th);
  const P0 = blur121(O, tw, th);
  const P = new Float32Array(P0.length);
  for (let i = 0; i < P.length; i++) P[i] = tone(curve, P0[i]!);

  const n = tw * th;
  const R2 = new Float32Array(n);
  const G2 = new Float32Array(n);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const i = y * tw + x;
      const r = Q[i]! - P[i]!;
      R2[i] = r * r;
      const gx = (P[y * tw + Math.min(tw - 1, x + 1)]! - P[y * tw + Math.max(0, x - 1)]!) / 2;
      const gy = (P[Math.min(th - 1, y + 1) * tw + x]! - P[Math.max(0, y - 1) * tw + x]!) / 2;
      G2[i] = gx * gx + gy * gy;
    }
  }
  // detail: what a 3×3 binomial blur takes away, before the pre-blur; a blur or an inpainted removal wipes it out
  const DP = detail(O, tw, th, gain);
  const DQ = detail(Q0, tw, th, 1);
  const e = box(R2, tw, th, 2);
  const g2 = box(G2, tw, th, 2);
  const mP = box(P, tw, th, 2);
  const mQ = box(Q, tw, th, 2);
  const PP = box(P.map((v) => v * v), tw, th, 2);
  const QQ = box(Q.map((v) => v * v), tw, th, 2);
  const kind = new Uint8Array(n); // 0 none, 1 changed, 2 smoothed
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    const sP = Math.sqrt(Math.max(0, PP[i]! - mP[i]! * mP[i]!));
    const sQ = Math.sqrt(Math.max(0, QQ[i]! - mQ[i]! * mQ[i]!));
    const score = Math.sqrt(e[i]!) / (FLOOR + GRADIENT_TOLERANCE * Math.sqrt(g2[i]!));
    const dP = Math.sqrt(DP[i]!);
    const dQ = Math.sqrt(DQ[i]!);
    // a copy that clips (brightened highlights, crushed shadows) loses detail there without any edit
    const clipped = mQ[i]! >= 240 || mQ[i]! <= 15;
    if (!clipped && ((sP > 6 && sQ < 0.5 * sP) || (dP > 4 && dQ < SMOOTHED_DETAIL * dP))) kind[i] = 2;
    else if (score > 1 || sQ > 2 * sP + 10) kind[i] = 1;
  }
  const footprintCells = count(inside);
  const regions = components(close(kind, tw, th), kind, tw, th, Math.max(4, MIN_REGION_SHARE * footprintCells));
  let covered = 0;
  for (const r of regions) covered += r.cells;
  const changedShare = footprintCells > 0 ? covered / footprintCells : 0;
  const toPixels = (r: { x: number; y: number; w: number; h: number }, k: Region['kind']): Region => ({
    x: Math.round(r.x * cellW), y: Math.round(r.y * cellH), w: Math.round(r.w * cellW), h: Math.round(r.h * cellH), kind: k,
  });
  const fp = footprintOf(g);
  const out: Region[] = changedShare > GLOBAL_SHARE
    ? [{ ...fp, kind: 'global' }]
    : regions.map((r) => toPixels(r, r.smoothed > r.cells / 2 ? 'smoothed' : 'changed'));
  return { cmp: { aligned: true, correlation: round3(correlation), inliers: round3(inliers), footprint: fp, scale: round3(copySize.width / (g.fw * cellW)), gain: round3(gain), offset: round3(offset), regions: out, changedShare: round3(changedShare) }, g, full, hPerW };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Finds the footprint: a coarse search over every scale (the copy showing 100 % down to 50 % of the original's
 * width) and integer offset on a half-size layout, then a pattern search refining the best few to a tenth of a cell.
 */
interface Registration {
  g: Geometry;
  correlation: number;
  /** the share of footprint cells that match within tolerance after the photometric fit */
  inliers: number;
  fit: { gain: number; offset: number; curve: Float32Array; sampled: { values: Float32Array; inside: Uint8Array } };
}

function register(O: Float32Array, tw: number, th: number, copy: Float32Array, cw: number, ch: number, hPerW: number, fwMax: number, valid: Float32Array | null): Registration | null {
  const hw = Math.max(8, Math.round(tw / 2));
  const hh = Math.max(8, Math.round(th / 2));
  const O2 = resampleArea(O, tw, th, hw, hh);
  const kx = hw / tw;
  const ky = hh / th;
  // the copy once at twice the coarse layout's size, then at each candidate size from there
  const sw = Math.min(cw, 2 * hw);
  const sh = Math.max(1, Math.round((sw * ch) / cw));
  const small = sw < cw ? resampleArea(copy, cw, ch, sw, sh) : copy;
  const smallW = sw < cw ? sw : cw;
  const smallH = sw < cw ? sh : ch;
  const coarse: { score: number; g: Geometry }[] = [];
  let floor = -Infinity;
  for (let fw = fwMax; fw >= fwMax * 0.5; fw -= 0.5 / kx) {
    const pw = Math.min(hw, Math.max(4, Math.round(fw * kx)));
    const ph = Math.min(hh, Math.max(4, Math.round(fw * hPerW * ky)));
    const c = resampleArea(small, smallW, smallH, pw, ph);
    for (let oy = 0; oy + ph <= hh; oy++) {
      for (let ox = 0; ox + pw <= hw; ox++) {
        const s = nccWindow(O2, hw, c, pw, ph, ox, oy);
        if (s <= floor) continue;
        coarse.push({ score: s, g: { x0: ox / kx, y0: oy / ky, fw: pw / kx } });
        if (coarse.length > 64) {
          coarse.sort((a, b) => b.score - a.score);
          coarse.length = 32;
          floor = coarse[31]!.score;
        }
      }
    }
  }
  if (coarse.length === 0) return null;
  coarse.sort((a, b) => b.score - a.score);
  // the whole frame is always tried: a large edit can pull the correlation peak elsewhere, never the inlier count
  const seeds: Geometry[] = [{ x0: (tw - fwMax) / 2, y0: (th - fwMax * hPerW) / 2, fw: fwMax }];
  for (const c of coarse) {
    if (seeds.length >= 3) break;
    if (seeds.some((s) => Math.abs(s.x0 - c.g.x0) < 2 && Math.abs(s.y0 - c.g.y0) < 2 && Math.abs(s.fw - c.g.fw) < 2)) continue;
    seeds.push(c.g);
  }
  // the copy at about the layout's cell size, so that sampling it cell by cell does not alias
  let best: Registration | null = null;
  const grad = gradientTolerance(O, tw, th);
  for (const seed of seeds) {
    const c1w = Math.max(4, Math.round(seed.fw));
    const c1h = Math.max(4, Math.round(seed.fw * hPerW));
    const c1 = resampleArea(copy, cw, ch, c1w, c1h);
    const v1 = valid ? resampleArea(valid, cw, ch, c1w, c1h) : null;
    let g = seed;
    let score = objective(O, tw, th, c1, c1w, c1h, g, hPerW, v1);
    for (const step of [1, 0.5, 0.25, 0.12, 0.06]) {
      for (let improved = true, rounds = 0; improved && rounds < 20; rounds++) {
        improved = false;
        for (const d of [{ x0: step }, { x0: -step }, { y0: step }, { y0: -step }, { fw: step }, { fw: -step }, { fw: step, x0: -step / 2, y0: -step * hPerW / 2 }, { fw: -step, x0: step / 2, y0: step * hPerW / 2 }]) {
          const cand = { x0: g.x0 + (d.x0 ?? 0), y0: g.y0 + (d.y0 ?? 0), fw: g.fw + (d.fw ?? 0) };
          if (cand.fw > fwMax + 0.5 || cand.fw < 2 || cand.x0 < -0.5 || cand.y0 < -0.5 || cand.x0 + cand.fw > tw + 0.5 || cand.y0 + cand.fw * hPerW > th + 0.5) continue;
          const s = objective(O, tw, th, c1, c1w, c1h, cand, hPerW, v1);
          if (s > score) {
            score = s;
            g = cand;
            improved = true;
          }
        }
      }
    }
    const sampled = sample(c1, c1w, c1h, g, hPerW, tw, th, 1, v1);
    const fitted = photometricFit(O, sampled.values, erode(sampled.inside, tw, th, 1));
    let n = 0;
    let ok = 0;
    for (let i = 0; i < O.length; i++) {
      if (!sampled.inside[i]) continue;
      n++;
      if (Math.abs(sampled.values[i]! - tone(fitted.curve, O[i]!)) <= grad[i]!) ok++;
    }
    const inliers = n > 0 ? ok / n : 0;
    if (!best || inliers > best.inliers) best = { g, correlation: score, inliers, fit: { ...fitted, sampled } };
  }
  return best;
}

/** Per cell, how far a copy may differ from the original and still match: the floor plus the local gradient. */
function gradientTolerance(O: Float32Array, tw: number, th: number): Float32Array {
  const out = new Float32Array(O.length);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const gx = (O[y * tw + Math.min(tw - 1, x + 1)]! - O[y * tw + Math.max(0, x - 1)]!) / 2;
      const gy = (O[Math.min(th - 1, y + 1) * tw + x]! - O[Math.max(0, y - 1) * tw + x]!) / 2;
      out[y * tw + x] = FLOOR + 2 * GRADIENT_TOLERANCE * Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

/** The correlation at geometry `g`, over every other cell each way (the search needs the peak, not its height). */
function objective(O: Float32Array, tw: number, th: number, c1: Float32Array, c1w: number, c1h: number, g: Geometry, hPerW: number, v1: Float32Array | null): number {
  const s = sample(c1, c1w, c1h, g, hPerW, tw, th, 2, v1);
  return ncc(O, s.values, s.inside);
}

/** The copy area-averaged over each layout cell wholly inside the footprint; `inside` marks those cells. */
function cellsOfCopy(copy: Float32Array, cw: number, ch: number, g: Geometry, hPerW: number, tw: number, th: number, valid: Float32Array | null): { values: Float32Array; inside: Uint8Array } {
  const values = new Float32Array(tw * th);
  const inside = new Uint8Array(tw * th);
  const fh = g.fw * hPerW;
  const xa = Math.max(0, Math.ceil(g.x0 - 1e-6));
  const xb = Math.min(tw, Math.floor(g.x0 + g.fw + 1e-6));
  const ya = Math.max(0, Math.ceil(g.y0 - 1e-6));
  const yb = Math.min(th, Math.floor(g.y0 + fh + 1e-6));
  if (xb - xa < 1 || yb - ya < 1) return { values, inside };
  const X = (x: number): number => ((x - g.x0) / g.fw) * cw;
  const Y = (y: number): number => ((y - g.y0) / fh) * ch;
  const rect = { x0: X(xa), y0: Y(ya), x1: X(xb), y1: Y(yb) };
  const cells = resampleArea(copy, cw, ch, xb - xa, yb - ya, rect);
  const whole = valid ? resampleArea(valid, cw, ch, xb - xa, yb - ya, rect) : null;
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const c = (y - ya) * (xb - xa) + (x - xa);
      if (whole && whole[c]! < 0.999) continue;
      values[y * tw + x] = cells[c]!;
      inside[y * tw + x] = 1;
    }
  }
  return { values, inside };
}

/** The copy sampled (bilinear) at every layout cell the footprint covers; `inside` marks those cells. */
function sample(c1: Float32Array, c1w: number, c1h: number, g: Geometry, hPerW: number, tw: number, th: number, stride = 1, valid: Float32Array | null = null): { values: Float32Array; inside: Uint8Array } {
  const values = new Float32Array(tw * th);
  const inside = new Uint8Array(tw * th);
  const fh = g.fw * hPerW;
  for (let y = 0; y < th; y += stride) {
    const v = (y + 0.5 - g.y0) / fh;
    if (v < 0 || v > 1) continue;
    const cy = Math.min(c1h - 1, Math.max(0, v * c1h - 0.5));
    const y0 = Math.floor(cy);
    const y1 = Math.min(c1h - 1, y0 + 1);
    const fy = cy - y0;
    for (let x = 0; x < tw; x += stride) {
      const u = (x + 0.5 - g.x0) / g.fw;
      if (u < 0 || u > 1) continue;
      const cx = Math.min(c1w - 1, Math.max(0, u * c1w - 0.5));
      const x0 = Math.floor(cx);
      const x1 = Math.min(c1w - 1, x0 + 1);
      const fx = cx - x0;
      if (valid && Math.min(valid[y0 * c1w + x0]!, valid[y0 * c1w + x1]!, valid[y1 * c1w + x0]!, valid[y1 * c1w + x1]!) < 0.999) continue;
      const a = c1[y0 * c1w + x0]! * (1 - fx) + c1[y0 * c1w + x1]! * fx;
      const b = c1[y1 * c1w + x0]! * (1 - fx) + c1[y1 * c1w + x1]! * fx;
      values[y * tw + x] = a * (1 - fy) + b * fy;
      inside[y * tw + x] = 1;
    }
  }
  return { values, inside };
}

function ncc(a: Float32Array, b: Float32Array, mask: Uint8Array): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (!mask[i]) continue;
    const x = a[i]!;
    const y = b[i]!;
    n++; sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  if (n < 16) return -1;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  return va > 0 && vb > 0 ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : 0;
}

function nccWindow(O: Float32Array, ow: number, c: Float32Array, pw: number, ph: number, ox: number, oy: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let y = 0; y < ph; y++) {
    const r = (oy + y) * ow + ox;
    const q = y * pw;
    for (let x = 0; x < pw; x++) {
      const a = O[r + x]!;
      const b = c[q + x]!;
      sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b;
    }
  }
  const n = pw * ph;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  // a slight preference for larger footprints: a flat part of a picture matches a small window too well
  return va > 0 && vb > 0 ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : 0;
}
