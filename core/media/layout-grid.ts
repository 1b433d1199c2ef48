// Filters and morphology on layout grids (row-major float or 0/1 planes, `w`×`h` cells), and the global tone
// curve a copy is fitted with: the arithmetic layout-compare.ts builds its comparison from.

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** copy ≈ gain·original + offset, least squares twice, the second time without the outliers (the edits) or clipped cells. */
export function photometricFit(P: Float32Array, Q: Float32Array, mask: Uint8Array): { gain: number; offset: number; curve: Float32Array } {
  let gain = 1;
  let offset = 0;
  let limit = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    let n = 0, sp = 0, sq = 0, spp = 0, spq = 0;
    const residuals = new Float32Array(P.length);
    for (let i = 0; i < P.length; i++) {
      if (!mask[i] || Q[i]! >= 252 || Q[i]! <= 3) continue;
      const r = Math.abs(Q[i]! - (gain * P[i]! + offset));
      if (r > limit) continue;
      residuals[n] = r;
      n++; sp += P[i]!; sq += Q[i]!; spp += P[i]! * P[i]!; spq += P[i]! * Q[i]!;
    }
    const v = spp - (sp * sp) / Math.max(1, n);
    if (n < 16 || v <= 0) break;
    gain = (spq - (sp * sq) / n) / v;
    offset = (sq - gain * sp) / n;
    const used = residuals.subarray(0, n).sort();
    limit = Math.max(6, 3 * (used[Math.floor(n / 2)] ?? 0) * 1.4826);
  }
  return { gain, offset, curve: toneCurve(P, Q, mask, gain, offset, limit) };
}

/**
 * The linear fit bent where the copy says otherwise: per 16-level band of the original, the median of the copy's
 * departure from the line (among cells within `limit` of it), made monotone. A brightened copy clips its highlights,
 * a gamma change bends the mid-tones; neither is a local edit.
 */
export function toneCurve(P: Float32Array, Q: Float32Array, mask: Uint8Array, gain: number, offset: number, limit: number): Float32Array {
  const bands: number[][] = Array.from({ length: 16 }, () => []);
  for (let i = 0; i < P.length; i++) {
    if (!mask[i]) continue;
    const line = gain * P[i]! + offset;
    const r = Q[i]! - clamp255(line);
    if (Math.abs(r) > Math.max(limit, 24)) continue;
    bands[Math.min(15, Math.floor(P[i]! / 16))]!.push(Q[i]! - line);
  }
  const shift = bands.map((b) => {
    if (b.length < 12) return null;
    b.sort((x, y) => x - y);
    return b[Math.floor(b.length / 2)]!;
  });
  const curve = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const band = Math.min(15, Math.floor(v / 16));
    curve[v] = clamp255(gain * v + offset + (shift[band] ?? 0));
  }
  for (let v = 1; v < 256; v++) curve[v] = Math.max(curve[v]!, curve[v - 1]!);
  return curve;
}

/** The tone curve at a fractional level. */
export function tone(curve: Float32Array, v: number): number {
  const c = v <= 0 ? 0 : v >= 255 ? 255 : v;
  const i = Math.floor(c);
  const f = c - i;
  return i >= 255 ? curve[255]! : curve[i]! * (1 - f) + curve[i + 1]! * f;
}

/** Local energy of the detail a 3×3 binomial blur removes, times gain², averaged over 5×5 cells. */
export function detail(X: Float32Array, w: number, h: number, gain: number): Float32Array {
  const b = blur121(X, w, h);
  const d = new Float32Array(X.length);
  for (let i = 0; i < d.length; i++) d[i] = (gain * (X[i]! - b[i]!)) ** 2;
  return box(d, w, h, 2);
}

export function blur121(src: Float32Array, w: number, h: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      tmp[i] = (src[y * w + Math.max(0, x - 1)]! + 2 * src[i]! + src[y * w + Math.min(w - 1, x + 1)]!) / 4;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = (tmp[Math.max(0, y - 1) * w + x]! + 2 * tmp[y * w + x]! + tmp[Math.min(h - 1, y + 1) * w + x]!) / 4;
    }
  }
  return out;
}

/** Mean over a (2r+1)² window, clamped at the edges. */
export function box(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += src[y * w + Math.min(w - 1, Math.max(0, x + k))]!;
      tmp[y * w + x] = s / (2 * r + 1);
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!;
      out[y * w + x] = s / (2 * r + 1);
    }
  }
  return out;
}

export function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let ok = 1;
      for (let dy = -r; dy <= r && ok; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w || !mask[yy * w + xx]) {
            ok = 0;
            break;
          }
        }
      }
      out[y * w + x] = ok;
    }
  }
  return out;
}

export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) out[yy * w + xx] = 1;
        }
      }
    }
  }
  return out;
}

/** Morphological closing: joins the strokes of one edit (letters of a text, a clone's seams) into one region. */
export function close(kind: Uint8Array, w: number, h: number): Uint8Array {
  const m = new Uint8Array(kind.length);
  for (let i = 0; i < m.length; i++) m[i] = kind[i] ? 1 : 0;
  return erode(dilate(m, w, h, 2), w, h, 2);
}

export function count(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i]!;
  return n;
}

/** 8-connected components of `mask` with at least `minCells` marked cells, as bounding boxes. */
export function components(mask: Uint8Array, kind: Uint8Array, w: number, h: number, minCells: number): { x: number; y: number; w: number; h: number; cells: number; smoothed: number }[] {
  const seen = new Uint8Array(mask.length);
  const out: { x: number; y: number; w: number; h: number; cells: number; smoothed: number }[] = [];
  const stack: number[] = [];
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || seen[s]) continue;
    let x0 = w, y0 = h, x1 = -1, y1 = -1, cells = 0, marked = 0, smoothed = 0;
    stack.push(s);
    seen[s] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      const y = (i - x) / w;
      cells++;
      if (kind[i]) marked++;
      if (kind[i] === 2) smoothed++;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
          const j = yy * w + xx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    // the windows spread an edit's residual about one cell past its edge
    const sx = x1 - x0 >= 4 ? 1 : 0;
    const sy = y1 - y0 >= 4 ? 1 : 0;
    if (marked >= minCells) out.push({ x: x0 + sx, y: y0 + sy, w: x1 - x0 + 1 - 2 * sx, h: y1 - y0 + 1 - 2 * sy, cells, smoothed });
  }
  return out;
}
