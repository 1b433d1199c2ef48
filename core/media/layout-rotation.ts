// A copy turned by a few degrees (a scan, a phone photo of a print, a straightened horizon) cannot be laid over the
// signed picture's layout by a scale and an offset alone: its corners and edges would read as changed content. The
// copy's luma is turned back about its centre before it is compared (layout-compare.ts), and what the turn brings in
// from outside the copy's frame is marked invalid, so that it counts neither as a match nor as a change.

export interface Turned {
  /** The copy's luma turned by −`degrees` (bilinear); outside the copy's frame, the mean of the valid pixels. */
  values: Float32Array;
  /** 1 where the value came from inside the copy's frame, else 0. */
  valid: Float32Array;
  degrees: number;
}

/** Turns a `w`×`h` luma plane by −`degrees` about its centre: the picture a copy turned by `degrees` was made from. */
export function turnBack(luma: Float32Array, w: number, h: number, degrees: number): Turned {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const values = new Float32Array(w * h);
  const valid = new Float32Array(w * h);
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      // where this pixel of the upright picture lies in the turned copy
      const sx = cx + cos * dx - sin * dy;
      const sy = cy + sin * dx + cos * dy;
      if (sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) continue;
      const x0 = Math.min(w - 2, Math.floor(sx));
      const y0 = Math.min(h - 2, Math.floor(sy));
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * w + x0;
      const v = (luma[i]! * (1 - fx) + luma[i + 1]! * fx) * (1 - fy) + (luma[i + w]! * (1 - fx) + luma[i + w + 1]! * fx) * fy;
      values[y * w + x] = v;
      valid[y * w + x] = 1;
      sum += v;
      n++;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  for (let i = 0; i < values.length; i++) if (!valid[i]) values[i] = mean;
  return { values, valid, degrees };
}
