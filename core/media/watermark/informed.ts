// Informed embedding (improved spread spectrum, Malvar & Florêncio, IEEE Trans. SP 2003, generalised to a margin):
// the embedder knows the host, so it predicts what the extractor will read in every slot and spends the energy
// budget where the host works against the mark, instead of adding the same amplitude everywhere. Plain spread
// spectrum is limited by host interference (textured photos drown it); this removes most of it.

import { WASM_BASE64 as CONV_WASM } from '../kernels/wm-conv.wasm.ts';
import { growMemory, lazyKernel } from '../kernels/load.ts';
import { blockIdct } from './dct.ts';
import { fold, highPass } from './grid.ts';
import { EXTRACT_PARAMS, readSlots } from './extract.ts';
import { LAYOUT, SLOTS, TILE } from './layout.ts';

export const INFORMED_PARAMS = {
  /**
   * smallest and largest amplitude of a slot, relative to plain spread spectrum's 1. The margin is planned for the
   * unattacked image; a wider range (0.4–3) lifted it further but spent the energy on slots an attack then wipes:
   * measured over 15 photographs × 5 payloads × 6 lossy attacks, misses 5 → 2 with 0.7–2.
   */
  floor: 0.7,
  cap: 2,
};

/**
 * Separable convolution with a symmetric odd kernel, edges clamped: each output sums its taps in order, left to
 * right and top to bottom, in f64. Through kernels/wm-conv.wat where WebAssembly is available (the same sums).
 */
export function convolve(src: Float32Array, w: number, h: number, kx: Float32Array, ky: Float32Array): Float32Array {
  const k = convKernel.get();
  if (k) return convolveInKernel(k, src, w, h, kx, ky);
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const rx = kx.length >> 1;
  const ry = ky.length >> 1;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -rx; i <= rx; i++) s += kx[i + rx]! * src[o + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[o + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -ry; i <= ry; i++) s += ky[i + ry]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return out;
}

interface ConvKernel {
  convolve(src: number, tmp: number, out: number, w: number, h: number, kx: number, rx: number, ky: number, ry: number): void;
  memory: WebAssembly.Memory;
}

const convKernel = lazyKernel<ConvKernel>(CONV_WASM);

/** Kernel off: the JavaScript convolution (tests compare the two). */
export const useWasmConv = convKernel.use;

/** convolve through kernels/wm-conv.wat: the same sums in the same order, two outputs at a time. */
function convolveInKernel(k: ConvKernel, src: Float32Array, w: number, h: number, kx: Float32Array, ky: Float32Array): Float32Array {
  const plane = (w * h * 4 + 15) & ~15;
  const kxAt = plane * 3;
  const kyAt = kxAt + ((kx.length * 4 + 15) & ~15);
  const need = kyAt + ky.length * 4;
  growMemory(k.memory, need);
  const buf = k.memory.buffer;
  new Float32Array(buf, 0, w * h).set(src.subarray(0, w * h));
  new Float32Array(buf, kxAt, kx.length).set(kx);
  new Float32Array(buf, kyAt, ky.length).set(ky);
  k.convolve(0, plane, plane * 2, w, h, kxAt, kx.length >> 1, kyAt, ky.length >> 1);
  return new Float32Array(buf.slice(plane * 2, plane * 2 + w * h * 4));
}

export interface Channel {
  gw: number;
  gh: number;
  /** texture mask on the grid */
  mask: Float32Array;
  /** the extractor's whitening weight on the grid */
  weight: Float32Array;
  /** grid → full resolution → grid blur, per axis */
  kx: Float32Array;
  ky: Float32Array;
}

/** Grid-resolution change for slot amplitudes `amp` (signed, in slot order): mask · tiled pattern. */
export function deltaFor(amp: Float64Array, ch: Channel): Float32Array {
  const { pos, sign } = LAYOUT;
  const coef = new Float64Array(TILE * TILE);
  for (let k = 0; k < SLOTS; k++) coef[pos[k]!] = sign[k]! * amp[k]!;
  const tile = blockIdct(coef, TILE);
  const { gw, gh, mask } = ch;
  const delta = new Float32Array(gw * gh);
  const m = TILE - 1;
  for (let y = 0; y < gh; y++) {
    const r = (y & m) * TILE;
    for (let x = 0; x < gw; x++) delta[y * gw + x] = mask[y * gw + x]! * tile[r + (x & m)]!;
  }
  return delta;
}

/** What the extractor reads in each slot (identity geometry) from a grid-resolution change alone. */
export function slotResponse(delta: Float32Array, ch: Channel): Float64Array {
  const { gw, gh, weight } = ch;
  const seen = highPass(convolve(delta, gw, gh, ch.kx, ch.ky), gw, gh, EXTRACT_PARAMS.hpRadius);
  for (let i = 0; i < seen.length; i++) seen[i] = seen[i]! * weight[i]!;
  return readSlots(fold(seen, gw, gh, TILE, 1, 0), 0, 0);
}

/**
 * Slot amplitudes for desired signs `want` (±1 per slot) given the host's slot values `host`, with the same energy
 * as plain spread spectrum (Σ amp² = SLOTS): every slot gets the amplitude that lifts its reading to a common
 * margin t, within [floor, cap]; t is the largest margin the budget allows (bisection).
 */
export function informedAmplitudes(want: Float64Array, host: Float64Array, ch: Channel, scale: number, plainDelta: Float32Array = deltaFor(want, ch)): Float64Array {
  // gain of each slot: the response to the plain pattern (deltaFor(want, ch), which the caller may have), per unit amplitude
  const plain = slotResponse(plainDelta, ch);
  const gain = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) gain[k] = want[k]! * plain[k]! * scale;
  const sorted = Float64Array.from(gain).sort();
  const med = sorted[SLOTS >> 1]!;
  for (let k = 0; k < SLOTS; k++) gain[k] = Math.max(0.3 * med, gain[k]!);
  const { floor, cap } = INFORMED_PARAMS;
  const ampAt = (t: number, out: Float64Array): number => {
    let e = 0;
    for (let k = 0; k < SLOTS; k++) {
      const a = Math.min(cap, Math.max(floor, (t - want[k]! * host[k]!) / gain[k]!));
      out[k] = a * want[k]!;
      e += a * a;
    }
    return e;
  };
  const amp = new Float64Array(SLOTS);
  let lo = 0;
  let hi = med * cap * 4 + Math.max(...host.map(Math.abs));
  for (let i = 0; i < 40; i++) {
    const t = (lo + hi) / 2;
    if (ampAt(t, amp) > SLOTS) hi = t;
    else lo = t;
  }
  ampAt(lo, amp);
  return amp;
}
