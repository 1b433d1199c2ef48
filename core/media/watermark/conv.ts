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
