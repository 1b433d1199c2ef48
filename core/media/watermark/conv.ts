// Payload error correction: a rate-1/3 convolutional code with constraint length 9 (generators 557, 663, 711 octal,
// free distance 18; Larsen, IEEE Trans. IT 1973), zero-terminated, decoded by a soft-decision Viterbi decoder.
// Soft decisions matter here: the extractor knows how confident each coded bit is (its correlation), and throwing
// that away (hard decisions, as a BCH decoder needs) costs about 2 dB.

import { WASM_BASE64 as VITERBI_WASM } from '../kernels/wm-viterbi.wasm.ts';
import { growMemory } from '../kernels/load.ts';

export const K = 9;
const GENERATORS = [0o557, 0o663, 0o711] as const;
export const RATE = GENERATORS.length;
const STATES = 1 << (K - 1);

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** OUT[(state << 1 | bit) * RATE + j] = output j (0/1) when `bit` enters the register holding `state`. */
const OUT = (() => {
  const t = new Uint8Array(STATES * 2 * RATE);
  for (let s = 0; s < STATES; s++) {
    for (let b = 0; b < 2; b++) {
      const reg = (b << (K - 1)) | s; // newest bit in the top position
      for (let j = 0; j < RATE; j++) t[((s << 1) | b) * RATE + j] = parity(reg & GENERATORS[j]!);
    }
  }
  return t;
})();

/** WORD[state << 1 | bit]: the RATE output bits of that branch as one number, output j in bit j. */
const WORD = (() => {
  const t = new Uint8Array(STATES * 2);
  for (let i = 0; i < t.length; i++) for (let j = 0; j < RATE; j++) t[i] = t[i]! | (OUT[i * RATE + j]! << j);
  return t;
})();

function next(state: number, bit: number): number {
  return ((bit << (K - 1)) | state) >>> 1;
}

export function codedLength(bits: number): number {
  return (bits + K - 1) * RATE;
}

/** Bits (0/1) → coded bits (0/1), with K-1 zero tail bits. */
export function convEncode(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(codedLength(bits.length));
  let s = 0;
  let o = 0;
  for (let i = 0; i < bits.length + K - 1; i++) {
    const b = i < bits.length ? bits[i]! : 0;
    for (let j = 0; j < RATE; j++) out[o++] = OUT[((s << 1) | b) * RATE + j]!;
    s = next(s, b);
  }
  return out;
}

/**
 * The decoder in WebAssembly (kernels/wm-viterbi.wat, for K = 9 and rate 1/3): the same metrics in the same order,
 * so the same bits (test/kernels.test.ts); an extraction decodes dozens of readings, and a fresh process would run
 * the JavaScript below interpreted until V8 compiles it. Null where WebAssembly is not available.
 */
let viterbiWasm: { run(soft: Float64Array, bits: number, steps: number): Uint8Array } | null | undefined;

/** Kernel off: the JavaScript decoder (tests compare the two). */
export function useWasmViterbi(on: boolean): boolean {
  viterbiWasm = on ? undefined : null;
  return on && viterbiKernel() != null;
}

function viterbiKernel(): typeof viterbiWasm {
  if (viterbiWasm !== undefined) return viterbiWasm;
  try {
    const e = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(VITERBI_WASM, 'base64')), {}).exports as {
      memory: WebAssembly.Memory;
      decode(soft: number, bits: number, steps: number, word: number, from: number, metric: number, next: number, branch: number, out: number): void;
    };
    // [word 512 B | metric, next 2 KB each | branch 64 B | soft | from | out]
    const word = 0;
    const metric = 512;
    const next = metric + STATES * 8;
    const branch = next + STATES * 8;
    const softAt = branch + 64;
    new Uint8Array(e.memory.buffer, word, WORD.length).set(WORD);
    viterbiWasm = {
      run(soft, bits, steps) {
        const fromAt = softAt + ((steps * RATE * 8 + 15) & ~15);
        const outAt = fromAt + steps * STATES * 2;
        const need = outAt + bits;
        growMemory(e.memory, need);
        new Float64Array(e.memory.buffer, softAt, steps * RATE).set(soft.subarray(0, steps * RATE));
        new Uint16Array(e.memory.buffer, fromAt, steps * STATES).fill(0);
        e.decode(softAt, bits, steps, word, fromAt, metric, next, branch, outAt);
        return new Uint8Array(e.memory.buffer.slice(outAt, outAt + bits));
      },
    };
  } catch {
    viterbiWasm = null;
  }
  return viterbiWasm;
}

/**
 * Soft Viterbi: soft[i] > 0 means coded bit i is more likely 1, its magnitude the confidence (a log-likelihood ratio
 * up to a scale). Returns the maximum-likelihood message of `bits` bits.
 */
export function viterbiDecode(soft: Float64Array, bits: number): Uint8Array {
  const steps = bits + K - 1;
  if (soft.length < steps * RATE) throw new Error(`expected ${steps * RATE} soft values, got ${soft.length}`);
  const k = viterbiKernel();
  if (k) return k.run(soft, bits, steps);
  let metric = new Float64Array(STATES).fill(-Infinity);
  let nextMetric = new Float64Array(STATES);
  metric[0] = 0;
  const from = new Uint16Array(steps * STATES); // predecessor state; the input bit is the new state's top bit
  // the branch metric of each of the 2^RATE output words, once per step rather than once per branch
  const branch = new Float64Array(1 << RATE);
  for (let t = 0; t < steps; t++) {
    nextMetric.fill(-Infinity);
    const base = t * RATE;
    for (let w = 0; w < branch.length; w++) {
      let bm = 0;
      for (let j = 0; j < RATE; j++) bm += (w >> j) & 1 ? soft[base + j]! : -soft[base + j]!;
      branch[w] = bm;
    }
    const maxBit = t < bits ? 1 : 0;
    const row = t * STATES;
    for (let s = 0; s < STATES; s++) {
      const m = metric[s]!;
      if (m === -Infinity) continue;
      for (let b = 0; b <= maxBit; b++) {
        const bm = m + branch[WORD[(s << 1) | b]!]!;
        const ns = ((b << (K - 1)) | s) >>> 1;
        if (bm > nextMetric[ns]!) {
          nextMetric[ns] = bm;
          from[row + ns] = s;
        }
      }
    }
    const tmp = metric;
    metric = nextMetric;
    nextMetric = tmp;
  }
  const out = new Uint8Array(bits);
  let s = 0; // zero-terminated
  for (let t = steps - 1; t >= 0; t--) {
    const bit = (s >>> (K - 2)) & 1;
    if (t < bits) out[t] = bit;
    s = from[t * STATES + s]!;
  }
  return out;
}

/** The decoder's metric of a message: Σ over its codeword's bits of +soft (bit 1) or −soft (bit 0). */
export function pathMetric(soft: Float64Array, bits: Uint8Array): number {
  const code = convEncode(bits);
  let m = 0;
  for (let i = 0; i < code.length; i++) m += code[i] ? soft[i]! : -soft[i]!;
  return m;
}

export interface ListPath {
  bits: Uint8Array;
  /** pathMetric of these bits (up to rounding) */
  metric: number;
}

/**
 * List Viterbi decoding (the tree-trellis algorithm, Soong & Huang 1991): the messages of `bits` bits in order of
 * decreasing metric, the first the maximum-likelihood one (viterbiDecode's, ties aside), each once; as many as the
 * caller takes. A forward pass keeps every state's best metric from the start at every step; a best-first search
 * then grows paths back from the zero-terminated end, each partial path ranked by its metric from the end plus the
 * forward metric of the state it has reached: that is the metric of its best completion, exactly, so complete paths
 * come out in order and the k-th costs about one path's length of expansions more than the (k−1)-th.
 */
export function* viterbiList(soft: Float64Array, bits: number): Generator<ListPath, void, undefined> {
  const steps = bits + K - 1;
  if (soft.length < steps * RATE) throw new Error(`expected ${steps * RATE} soft values, got ${soft.length}`);
  const branch = new Float64Array(steps << RATE);
  for (let t = 0; t < steps; t++) {
    for (let w = 0; w < 1 << RATE; w++) {
      let bm = 0;
      for (let j = 0; j < RATE; j++) bm += (w >> j) & 1 ? soft[t * RATE + j]! : -soft[t * RATE + j]!;
      branch[(t << RATE) | w] = bm;
    }
  }
  // fwd[t * STATES + s]: the best metric of a path from the zero state to s after t steps
  const fwd = new Float64Array((steps + 1) * STATES).fill(-Infinity);
  fwd[0] = 0;
  for (let t = 0; t < steps; t++) {
    const maxBit = t < bits ? 1 : 0;
    const row = t * STATES;
    for (let s = 0; s < STATES; s++) {
      const m = fwd[row + s]!;
      if (m === -Infinity) continue;
      for (let b = 0; b <= maxBit; b++) {
        const v = m + branch[(t << RATE) | WORD[(s << 1) | b]!]!;
        const at = row + STATES + (((b << (K - 1)) | s) >>> 1);
        if (v > fwd[at]!) fwd[at] = v;
      }
    }
  }
  // partial paths from the end: time reached, state there, metric from the end, the path it extends (−1: none)
  let cap = 1024;
  let nodeT = new Int32Array(cap);
  let nodeS = new Int32Array(cap);
  let nodeG = new Float64Array(cap);
  let nodeUp = new Int32Array(cap);
  let nodes = 0;
  // a binary max-heap of node indices by their key (g + forward metric)
  let heap = new Int32Array(cap);
  let key = new Float64Array(cap);
  let size = 0;
  const add = (t: number, s: number, g: number, up: number): void => {
    if (nodes === cap) {
      cap *= 2;
      const grow = <A extends Int32Array | Float64Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(cap);
        b.set(a);
        return b;
      };
      nodeT = grow(nodeT);
      nodeS = grow(nodeS);
      nodeG = grow(nodeG);
      nodeUp = grow(nodeUp);
      heap = grow(heap);
      key = grow(key);
    }
    const n = nodes++;
    nodeT[n] = t;
    nodeS[n] = s;
    nodeG[n] = g;
    nodeUp[n] = up;
    const f = g + fwd[t * STATES + s]!;
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (key[p]! >= f) break;
      heap[i] = heap[p]!;
      key[i] = key[p]!;
      i = p;
    }
    heap[i] = n;
    key[i] = f;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const n = heap[--size]!;
    const f = key[size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && key[c + 1]! > key[c]!) c++;
      if (key[c]! <= f) break;
      heap[i] = heap[c]!;
      key[i] = key[c]!;
      i = c;
    }
    heap[i] = n;
    key[i] = f;
    return top;
  };
  add(steps, 0, 0, -1);
  while (size > 0) {
    const f = key[0]!;
    const n = pop();
    const t = nodeT[n]!;
    const s = nodeS[n]!;
    if (t === 0) {
      const out = new Uint8Array(bits);
      // the bit that entered at step u is the top bit of the state after it
      for (let u = 0, m = nodeUp[n]!; m >= 0 && u < steps; u++, m = nodeUp[m]!) if (u < bits) out[u] = (nodeS[m]! >>> (K - 2)) & 1;
      yield { bits: out, metric: f };
      continue;
    }
    const b = s >>> (K - 2);
    const g = nodeG[n]!;
    for (let x = 0; x < 2; x++) {
      const p = ((s << 1) & (STATES - 1)) | x;
      if (fwd[(t - 1) * STATES + p] === -Infinity) continue;
      add(t - 1, p, g + branch[((t - 1) << RATE) | WORD[(p << 1) | b]!]!, n);
    }
  }
}
