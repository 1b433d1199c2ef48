// Multi-index hashing (Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012):
// a code of b bits is cut into m disjoint chunks; by pigeonhole, a code within Hamming distance r of the query
// differs from it in at most ⌊r/m⌋ bits in at least one chunk. So every chunk's table is probed with every value
// within ⌊r/m⌋ of the query's chunk, and each candidate found is checked on the whole code. Nothing within r can be
// missed, which is what makes the answers the same as a brute-force scan (test/hub-mih.test.ts proves it).
//
// Storage is flat typed arrays: the codes (b/32 words each, most significant first, as the hex spells them) and a
// 32-bit id per code. Each chunk's table is in CSR form (offsets by chunk value, then the positions), built in one
// counting pass; codes added after the last build sit in a small per-chunk hash chain until the next rebuild.

import { popcount32 } from '../../core/media/hash.ts';

/**
 * Codes added since the last build, for one chunk: per chunk value the newest such position, and per position the
 * previous one with the same value (-1 ends the chain). No array per value, so adding a code allocates nothing.
 * Chunks of up to 16 bits keep the heads in a typed array (256 KB, made at the first add), wider ones in a Map.
 */
interface Delta {
  table: Int32Array | null;
  map: Map<number, number> | null;
  /** Indexed by position − #built. */
  prev: Int32Array;
  count: number;
}

/** Widest chunk whose delta heads are a typed array. */
const TABLE_HEAD_BITS = 16;

interface Chunk {
  start: number;
  bits: number;
}

export interface Hit {
  id: number;
  distance: number;
}

/** At most this many bits per chunk: the offsets array of a chunk has 2^bits + 1 entries. */
const MAX_CHUNK_BITS = 24;
/** A rebuild folds the delta in once it holds more than this share of the codes (and more than the floor). */
const DELTA_SHARE = 1 / 8;
const DELTA_FLOOR = 16_384;

/**
 * Chunk count for n codes of `bits` bits. Norouzi et al. (§4.1) choose chunks of about log2(n) bits, so that a bucket
 * holds about one code; 64-bit codes here take chunks about 7 bits narrower (buckets of ~100 codes), because their
 * tables carry the codes inline: a bucket's codes are one run of memory, checked at a few ns each, while each probe
 * of another bucket costs cache misses. At 10 M codes, 4 chunks of 16 bits probe 428 buckets for r = 10 where 3 of
 * 21–22 bits probe 3,378, and the lookup takes about 0.6 of the time (bench:hub).
 */
export function chunkCount(bits: number, n: number): number {
  const perChunk = Math.max(16, Math.log2(Math.max(n, 2)) - (bits === 64 ? 7 : 0));
  return Math.max(Math.ceil(bits / MAX_CHUNK_BITS), Math.round(bits / perChunk));
}

function chunksOf(bits: number, m: number): Chunk[] {
  const out: Chunk[] = [];
  let start = 0;
  for (let j = 0; j < m; j++) {
    const len = Math.floor(bits / m) + (j < bits % m ? 1 : 0);
    out.push({ start, bits: len });
    start += len;
  }
  return out;
}

/** Bits [start, start + len) of the code at `off`, bit 0 being the most significant bit of the first word. */
function bitsAt(words: Uint32Array, off: number, start: number, len: number): number {
  const w = off + (start >>> 5);
  const o = start & 31;
  if (o + len <= 32) return (words[w]! >>> (32 - o - len)) & ((1 << len) - 1);
  const hiLen = 32 - o;
  const loLen = len - hiLen;
  return (((words[w]! & ((1 << hiLen) - 1)) << loLen) | (words[w + 1]! >>> (32 - loLen))) >>> 0;
}

/** Parses lowercase or uppercase hex of exactly `bits` bits into words. */
export function codeFromHex(hex: string, bits: number): Uint32Array {
  if (hex.length !== bits / 4 || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`expected ${bits / 4} hex digits, got ${JSON.stringify(hex)}`);
  const out = new Uint32Array(bits / 32);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  return out;
}

export class HammingIndex {
  readonly bits: number;
  readonly words: number;
  #codes: Uint32Array;
  #ids: Uint32Array;
  #size = 0;
  /** Codes [0, #built) are in the CSR tables, the rest in the delta chains. */
  #built = 0;
  #chunks: Chunk[] = [];
  #offsets: Uint32Array[] = [];
  #postings: Uint32Array[] = [];
  /**
   * 64-bit codes only: each chunk table's codes again, in posting order, so that a probe reads its candidates from
   * one run of memory instead of one cache miss each in the code array (at 10 M codes that is most of the time).
   */
  #inline: Uint32Array[] = [];
  #delta: Delta[] = [];

  constructor(bits: 64 | 128, capacity = 1024) {
    this.bits = bits;
    this.words = bits / 32;
    this.#codes = new Uint32Array(Math.max(1, capacity) * this.words);
    this.#ids = new Uint32Array(Math.max(1, capacity));
    this.#layout(0);
  }

  get size(): number {
    return this.#size;
  }

  get chunkCount(): number {
    return this.#chunks.length;
  }

  /** Bytes held by the arrays (codes, ids, tables), for the metrics. */
  get bytes(): number {
    let b = this.#codes.byteLength + this.#ids.byteLength;
    for (const o of this.#offsets) b += o.byteLength;
    for (const p of this.#postings) b += p.byteLength;
    for (const p of this.#inline) b += p.byteLength;
    return b;
  }

  /** Appends one code; it is searchable as soon as this returns. */
  add(code: Uint32Array, id: number): void {
    this.#append(code, 0, id);
    const pos = this.#size - 1;
    const k = pos - this.#built;
    for (let j = 0; j < this.#chunks.length; j++) {
      const c = this.#chunks[j]!;
      const v = bitsAt(this.#codes, pos * this.words, c.start, c.bits);
      const d = this.#delta[j]!;
      if (k === d.prev.length) {
        const grown = new Int32Array(Math.max(1024, 2 * k));
        grown.set(d.prev);
        d.prev = grown;
      }
      if (c.bits <= TABLE_HEAD_BITS) {
        d.table ??= new Int32Array(1 << c.bits).fill(-1);
        d.prev[k] = d.table[v]!;
        d.table[v] = pos;
      } else {
        d.map ??= new Map();
        d.prev[k] = d.map.get(v) ?? -1;
        d.map.set(v, pos);
      }
      d.count++;
    }
    const pending = this.#size - this.#built;
    if (pending > DELTA_FLOOR && pending > this.#size * DELTA_SHARE) this.rebuild();
  }

  /** Appends many codes (words laid end to end) and rebuilds once: how the index is loaded at start. */
  addMany(codes: Uint32Array, ids: Uint32Array): void {
    if (codes.length !== ids.length * this.words) throw new Error(`expected ${ids.length * this.words} words for ${ids.length} codes, got ${codes.length}`);
    this.#reserve(this.#size + ids.length);
    this.#codes.set(codes, this.#size * this.words);
    this.#ids.set(ids, this.#size);
    this.#size += ids.length;
    this.rebuild();
  }

  /** Rebuilds the chunk tables over every code, choosing the chunk count for the current size. */
  rebuild(): void {
    const n = this.#size;
    this.#chunks = chunksOf(this.bits, chunkCount(this.bits, n));
    this.#delta = this.#chunks.map(emptyDelta);
    for (let j = 0; j < this.#chunks.length; j++) {
      const c = this.#chunks[j]!;
      const offsets = new Uint32Array((1 << c.bits) + 1);
      const values = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const v = bitsAt(this.#codes, i * this.words, c.start, c.bits);
        values[i] = v;
        offsets[v + 1]!++;
      }
      for (let v = 0; v < offsets.length - 1; v++) offsets[v + 1]! += offsets[v]!;
      const fill = offsets.slice(0, offsets.length - 1);
      const postings = new Uint32Array(n);
      for (let i = 0; i < n; i++) postings[fill[values[i]!]!++] = i;
      this.#offsets[j] = offsets;
      this.#postings[j] = postings;
      if (this.words === 2) {
        const inline = new Uint32Array(n * 2);
        for (let p = 0; p < n; p++) {
          inline[2 * p] = this.#codes[2 * postings[p]!]!;
          inline[2 * p + 1] = this.#codes[2 * postings[p]! + 1]!;
        }
        this.#inline[j] = inline;
      }
    }
    this.#offsets.length = this.#chunks.length;
    this.#postings.length = this.#chunks.length;
    this.#inline.length = this.words === 2 ? this.#chunks.length : 0;
    this.#built = n;
  }

  /** Every code within `radius` of the query, nearest first (ties by insertion order). */
  search(query: Uint32Array, radius: number): Hit[] {
    if (query.length !== this.words) throw new Error(`expected a ${this.bits}-bit query, got ${query.length * 32} bits`);
    const radii = chunkRadii(this.#chunks, radius);
    const found = new Map<number, number>();
    const codes = this.#codes;
    const W = this.words;
    // Most candidates are far: the distance comes first, the duplicate check (a code found through two chunks) after.
    const check = (pos: number): void => {
      let d = 0;
      const off = pos * W;
      for (let k = 0; k < W && d <= radius; k++) d += popcount32((codes[off + k]! ^ query[k]!) >>> 0);
      if (d <= radius && !found.has(pos)) found.set(pos, d);
    };
    const q0 = query[0]!;
    const q1 = query[1]!;
    for (let j = 0; j < this.#chunks.length; j++) {
      const c = this.#chunks[j]!;
      const sub = radii[j]!;
      if (sub < 0) continue;
      const q = bitsAt(query, 0, c.start, c.bits);
      const offsets = this.#offsets[j]!;
      const postings = this.#postings[j]!;
      const { table, map, prev, count } = this.#delta[j]!;
      const newest = (v: number): number => (table ? table[v]! : (map!.get(v) ?? -1));
      const built = this.#built;
      const inline = this.#inline[j];
      const probe = inline
        ? (v: number): void => {
          for (let p = offsets[v]!, end = offsets[v + 1]!; p < end; p++) {
            const d = popcount32((inline[2 * p]! ^ q0) >>> 0) + popcount32((inline[2 * p + 1]! ^ q1) >>> 0);
            if (d <= radius && !found.has(postings[p]!)) found.set(postings[p]!, d);
          }
          if (count) for (let pos = newest(v); pos >= 0; pos = prev[pos - built]!) check(pos);
        }
        : (v: number): void => {
          for (let p = offsets[v]!, end = offsets[v + 1]!; p < end; p++) check(postings[p]!);
          if (count) for (let pos = newest(v); pos >= 0; pos = prev[pos - built]!) check(pos);
        };
      flips(q, c.bits, sub, probe);
    }
    const hits: Hit[] = [];
    for (const [pos, distance] of found) hits.push({ id: this.#ids[pos]!, distance });
    return hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  /** The same answers by scanning every code: the reference the tests and the benchmark compare against. */
  bruteForce(query: Uint32Array, radius: number): Hit[] {
    const hits: Hit[] = [];
    const W = this.words;
    for (let i = 0; i < this.#size; i++) {
      let d = 0;
      for (let k = 0; k < W; k++) d += popcount32((this.#codes[i * W + k]! ^ query[k]!) >>> 0);
      if (d <= radius) hits.push({ id: this.#ids[i]!, distance: d });
    }
    return hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  /** The code stored at insertion position i (for the benchmark's prefix filter). */
  codeAt(i: number): Uint32Array {
    return this.#codes.subarray(i * this.words, (i + 1) * this.words);
  }

  idAt(i: number): number {
    return this.#ids[i]!;
  }

  /** Chunks for n codes, with empty tables (rebuild fills them). */
  #layout(n: number): void {
    this.#chunks = chunksOf(this.bits, chunkCount(this.bits, n));
    this.#offsets = this.#chunks.map((c) => new Uint32Array((1 << c.bits) + 1));
    this.#postings = this.#chunks.map(() => new Uint32Array(0));
    this.#delta = this.#chunks.map(emptyDelta);
    this.#built = 0;
  }

  #reserve(n: number): void {
    if (n <= this.#ids.length) return;
    const cap = Math.max(n, Math.ceil(this.#ids.length * 1.5));
    const codes = new Uint32Array(cap * this.words);
    codes.set(this.#codes.subarray(0, this.#size * this.words));
    const ids = new Uint32Array(cap);
    ids.set(this.#ids.subarray(0, this.#size));
    this.#codes = codes;
    this.#ids = ids;
  }

  #append(code: Uint32Array, off: number, id: number): void {
    if (code.length - off < this.words) throw new Error(`expected a ${this.bits}-bit code, got ${(code.length - off) * 32} bits`);
    this.#reserve(this.#size + 1);
    for (let k = 0; k < this.words; k++) this.#codes[this.#size * this.words + k] = code[off + k]!;
    this.#ids[this.#size] = id >>> 0;
    this.#size++;
  }
}

function emptyDelta(): Delta {
  return { table: null, map: null, prev: new Int32Array(0), count: 0 };
}

/**
 * The radius each chunk table is probed with. Plain pigeonhole gives ⌊r/m⌋ for every chunk; Norouzi et al. (§3.2)
 * sharpen it: with r = m·⌊r/m⌋ + a (0 ≤ a < m), a code within r is within ⌊r/m⌋ on one of any a + 1 chosen chunks
 * or within ⌊r/m⌋ − 1 on one of the others — were it not, its distance would be at least
 * (a + 1)(⌊r/m⌋ + 1) + (m − a − 1)·⌊r/m⌋ = r + 1. The a + 1 narrowest chunks (cheapest to probe) take ⌊r/m⌋;
 * a radius of −1 means that chunk need not be probed at all. At 10 M 64-bit codes (chunks of 22, 21, 21 bits,
 * r = 10) that is 3,378 probes a query instead of 4,918; with 4 chunks of 16 bits, 428 instead of 548.
 */
export function chunkRadii(chunks: readonly { bits: number }[], radius: number): number[] {
  const m = chunks.length;
  const sub = Math.floor(radius / m);
  const a = radius - m * sub;
  const byWidth = chunks.map((c, j) => [c.bits, j] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out = new Array<number>(m).fill(sub - 1);
  for (let k = 0; k <= a; k++) out[byWidth[k]![1]] = sub;
  return out;
}

/** Calls visit(v) for every v of `bits` bits within Hamming distance `r` of q (q itself first). */
function flips(q: number, bits: number, r: number, visit: (v: number) => void): void {
  visit(q);
  const rec = (v: number, from: number, left: number): void => {
    for (let b = from; b < bits; b++) {
      const w = (v ^ (1 << b)) >>> 0;
      visit(w);
      if (left > 1) rec(w, b + 1, left - 1);
    }
  };
  if (r > 0) rec(q, 0, r);
}
